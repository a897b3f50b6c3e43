package fakelambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"lithops/internal/fakelambda"
)

// TestCreateFunctionValidation: each bad CreateFunction request is refused
// with the error code the service gives. Constraint violations (pattern,
// range, length, enum) are the framework's ValidationException, which the
// SDK surfaces as a generic API error; the operation's own checks are
// InvalidParameterValueException, a typed error.
func TestCreateFunctionValidation(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	noBootstrap, err := fakelambda.Zip(fakelambda.ZipFile{Name: "main", Mode: 0o755, Data: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		edit    func(in *lambda.CreateFunctionInput)
		code    string // "" when the request is accepted
		message string
	}{
		{"accepted", func(in *lambda.CreateFunctionInput) {}, "", ""},
		{"accepted without a bootstrap (fails at invoke)", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = noBootstrap }, "", ""},
		{"role not an ARN", func(in *lambda.CreateFunctionInput) { in.Role = aws.String("lambda-exec") },
			"ValidationException", "1 validation error detected: Value 'lambda-exec' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"},
		{"role of another account", func(in *lambda.CreateFunctionInput) { in.Role = aws.String("arn:aws:iam::999999999999:role/x") },
			"InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda."},
		{"memory below 128 MB", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) },
			"ValidationException", "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"},
		{"memory above 10240 MB", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(10241) },
			"ValidationException", "Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240"},
		{"timeout 0", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(0) },
			"ValidationException", "Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"timeout above 900 s", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) },
			"ValidationException", "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"two violations at once", func(in *lambda.CreateFunctionInput) { in.Timeout, in.MemorySize = aws.Int32(0), aws.Int32(64) },
			"ValidationException", "2 validation errors detected: "},
		{"deprecated runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimeGo1x },
			"InvalidParameterValueException", "The runtime parameter of go1.x is no longer supported for creating or updating AWS Lambda functions."},
		{"unknown runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = "cobol85" },
			"InvalidParameterValueException", "Value cobol85 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["},
		{"no runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = "" },
			"InvalidParameterValueException", "Runtime and Handler are mandatory parameters for functions created with deployment packages."},
		{"unknown architecture", func(in *lambda.CreateFunctionInput) { in.Architectures = []types.Architecture{"sparc"} },
			"ValidationException", "Member must satisfy enum value set: [x86_64, arm64]"},
		{"two architectures", func(in *lambda.CreateFunctionInput) {
			in.Architectures = []types.Architecture{types.ArchitectureX8664, types.ArchitectureArm64}
		}, "ValidationException", "Member must have length less than or equal to 1"},
		{"not a zip", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = []byte("hello") },
			"InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"no code source", func(in *lambda.CreateFunctionInput) { in.Code = &types.FunctionCode{} },
			"InvalidParameterValueException", "Please provide a source for function code."},
		{"code from S3 without FetchS3", func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{S3Bucket: aws.String("b"), S3Key: aws.String("k.zip")}
		}, "InvalidParameterValueException", "Options.FetchS3"},
		{"reserved environment variable", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "eu-west-1", "OK": "1"}}
		}, "InvalidParameterValueException", "Reserved keys used in this request: AWS_REGION"},
		{"environment over 4 KB", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"BIG": strings.Repeat("x", 4096)}}
		}, "InvalidParameterValueException", "exceeded the 4KB limit"},
		{"bad environment variable name", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"1X": "y"}}
		}, "ValidationException", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"},
		{"layers", func(in *lambda.CreateFunctionInput) {
			in.Layers = []string{"arn:aws:lambda:us-east-1:123456789012:layer:deps:1"}
		}, "InvalidParameterValueException", "Layer version arn:aws:lambda:us-east-1:123456789012:layer:deps:1 does not exist."},
		{"name with a space", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("my function") },
			"ValidationException", "Value 'my function' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"name over 64 characters", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String(strings.Repeat("f", 65)) },
			"ValidationException", "Member must have length less than or equal to 64"},
		{"image not in ECR", func(in *lambda.CreateFunctionInput) {
			in.PackageType, in.Runtime, in.Handler = types.PackageTypeImage, "", nil
			in.Code = &types.FunctionCode{ImageUri: aws.String("docker.io/library/alpine:3")}
		}, "InvalidParameterValueException", "Source image docker.io/library/alpine:3 is not valid."},
		{"image function given a zip", func(in *lambda.CreateFunctionInput) { in.PackageType = types.PackageTypeImage },
			"InvalidParameterValueException", "Please don't provide ZipFile or S3 location when creating a function with packageType Image."},
		{"publish a version", func(in *lambda.CreateFunctionInput) { in.Publish = true },
			"InvalidParameterValueException", "fakelambda does not implement function versions"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := createInput("f"+string(rune('a'+i)), inertZip(t))
			tc.edit(in)
			_, err := c.CreateFunction(ctx, in)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := errorCode(err); got != tc.code || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("got %v, want %s containing %q", err, tc.code, tc.message)
			}
			if tc.code == "InvalidParameterValueException" {
				var typed *types.InvalidParameterValueException
				if !errors.As(err, &typed) {
					t.Errorf("%v is not a *types.InvalidParameterValueException", err)
				}
			}
		})
	}
}

// TestUpdateValidation: updates are held to the same rules.
func TestUpdateValidation(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("f", inertZip(t))); err != nil {
		t.Fatal(err)
	}
	f := aws.String("f")
	cases := []struct {
		name    string
		call    func() error
		code    string
		message string
	}{
		{"memory above 10240 MB", func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: f, MemorySize: aws.Int32(20000)})
			return err
		}, "ValidationException", "Value '20000' at 'memorySize'"},
		{"deprecated runtime", func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: f, Runtime: types.RuntimeProvided})
			return err
		}, "InvalidParameterValueException", "The runtime parameter of provided is no longer supported"},
		{"reserved environment variable", func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: f, Environment: &types.Environment{Variables: map[string]string{"LAMBDA_TASK_ROOT": "/"}}})
			return err
		}, "InvalidParameterValueException", "Reserved keys used in this request: LAMBDA_TASK_ROOT"},
		{"role of another account", func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: f, Role: aws.String("arn:aws:iam::999999999999:role/x")})
			return err
		}, "InvalidParameterValueException", "cannot be assumed by Lambda"},
		{"code not a zip", func() error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: f, ZipFile: []byte("PK but not really")})
			return err
		}, "InvalidParameterValueException", "Could not unzip uploaded file."},
		{"image for a zip function", func() error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: f, ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/w:1")})
			return err
		}, "InvalidParameterValueException", "Please don't provide ImageUri when updating a function with packageType Zip."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := errorCode(err); got != tc.code || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got %v, want %s containing %q", err, tc.code, tc.message)
			}
		})
	}
	got, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: f})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(got.MemorySize) != 256 || got.Runtime != types.RuntimeProvidedal2023 || got.Environment != nil {
		t.Errorf("refused updates changed the function: memory %d, runtime %s, environment %v", aws.ToInt32(got.MemorySize), got.Runtime, got.Environment)
	}
}

// TestMissingRole: Role is required. The SDK refuses to send a request
// without it; sent anyway, the service's framework refuses it.
func TestMissingRole(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{})
	c := newClient(srv, false)
	in := createInput("f", inertZip(t))
	in.Role = nil
	_, err := c.CreateFunction(ctx, in)
	var invalid smithy.InvalidParamsError
	if !errors.As(err, &invalid) {
		t.Errorf("SDK sent CreateFunction without Role: %v", err)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("server saw %d calls, want none", n)
	}

	body, _ := json.Marshal(map[string]any{"FunctionName": "f", "Runtime": "provided.al2023", "Handler": "bootstrap", "Code": map[string]any{"ZipFile": inertZip(t)}})
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/2015-03-31/functions", bytes.NewReader(body))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	const want = "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null"
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "ValidationException" || !strings.Contains(string(b), want) {
		t.Errorf("CreateFunction without Role: %d %s %s, want 400 ValidationException %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b, want)
	}
}
