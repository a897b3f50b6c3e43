package fakelambda_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"lithops/internal/fakelambda"
)

// echoResponse is what echofn answers.
type echoResponse struct {
	Echo        json.RawMessage   `json:"echo"`
	Env         map[string]string `json:"env"`
	PID         int               `json:"pid"`
	Cwd         string            `json:"cwd"`
	Args        []string          `json:"args"`
	RequestID   string            `json:"request_id"`
	FunctionARN string            `json:"function_arn"`
	DeadlineMS  int64             `json:"deadline_ms"`
	File        string            `json:"file"`
}

// invokeEcho invokes name synchronously with the event ev, expecting the
// function to succeed.
func invokeEcho(t *testing.T, ctx context.Context, c *lambda.Client, name string, ev any, logType types.LogType) (*lambda.InvokeOutput, echoResponse) {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload, LogType: logType})
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	if out.FunctionError != nil {
		t.Fatalf("invoke %s: function error %s: %s", name, *out.FunctionError, out.Payload)
	}
	var resp echoResponse
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		t.Fatalf("invoke %s: payload %q: %v", name, out.Payload, err)
	}
	return out, resp
}

// configSummary is the part of a FunctionConfiguration the tests compare.
type configSummary struct {
	Name, ARN, Runtime, Handler, Role  string
	Memory, Timeout                    int32
	State                              types.State
	UpdateStatus                       types.LastUpdateStatus
	PackageType                        types.PackageType
	Architectures                      []types.Architecture
	Env                                map[string]string
	CodeSha256                         string
	CodeSize                           int64
	Version                            string
	EphemeralStorage                   int32
	LogGroup                           string
	TracingMode                        types.TracingMode
	StateReasonCode                    types.StateReasonCode
	LastUpdateStatusReasonCode         types.LastUpdateStatusReasonCode
	HasRevisionID, HasLastModified     bool
	HasRuntimeVersionArn, HasSnapStart bool
}

func summarize(c *types.FunctionConfiguration) configSummary {
	s := configSummary{
		Name: aws.ToString(c.FunctionName), ARN: aws.ToString(c.FunctionArn), Runtime: string(c.Runtime),
		Handler: aws.ToString(c.Handler), Role: aws.ToString(c.Role),
		Memory: aws.ToInt32(c.MemorySize), Timeout: aws.ToInt32(c.Timeout),
		State: c.State, UpdateStatus: c.LastUpdateStatus, PackageType: c.PackageType,
		Architectures: c.Architectures, CodeSha256: aws.ToString(c.CodeSha256), CodeSize: c.CodeSize,
		Version: aws.ToString(c.Version), StateReasonCode: c.StateReasonCode, LastUpdateStatusReasonCode: c.LastUpdateStatusReasonCode,
		HasRevisionID: aws.ToString(c.RevisionId) != "", HasLastModified: aws.ToString(c.LastModified) != "",
		HasRuntimeVersionArn: c.RuntimeVersionConfig != nil && aws.ToString(c.RuntimeVersionConfig.RuntimeVersionArn) != "",
		HasSnapStart:         c.SnapStart != nil,
	}
	if c.Environment != nil {
		s.Env = c.Environment.Variables
	}
	if c.EphemeralStorage != nil {
		s.EphemeralStorage = aws.ToInt32(c.EphemeralStorage.Size)
	}
	if c.LoggingConfig != nil {
		s.LogGroup = aws.ToString(c.LoggingConfig.LogGroup)
	}
	if c.TracingConfig != nil {
		s.TracingMode = c.TracingConfig.Mode
	}
	return s
}

// asConfig converts an operation's output that is a FunctionConfiguration
// in all but name (CreateFunctionOutput, UpdateFunctionCodeOutput, ...).
func asConfig(t *testing.T, out any) *types.FunctionConfiguration {
	t.Helper()
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var c types.FunctionConfiguration
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func codeSha256(zip []byte) string {
	sum := sha256.Sum256(zip)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestLifecycle drives one function through the life a backend gives it,
// with the real SDK client and its waiters: create, wait until active,
// read, invoke, update the code, wait, update the configuration, wait,
// invoke with the log tail, delete.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	srv := runServer(t, fakelambda.Options{
		Credentials: fakelambda.Credentials{AccessKeyID: "AKIDFUNCTION", SecretAccessKey: "function-secret"},
		Env:         map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"},
	})
	c := newClient(srv, true)
	zip1 := echoZip(t, map[string][]byte{"version.txt": []byte("one")})
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:echo"

	in := createInput("echo", zip1)
	in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hello"}}
	created, err := c.CreateFunction(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := configSummary{
		Name: "echo", ARN: arn, Runtime: "provided.al2023", Handler: "bootstrap", Role: role,
		Memory: 256, Timeout: 10, State: types.StatePending, StateReasonCode: types.StateReasonCodeCreating,
		PackageType: types.PackageTypeZip, Architectures: []types.Architecture{types.ArchitectureX8664},
		Env: map[string]string{"GREETING": "hello"}, CodeSha256: codeSha256(zip1), CodeSize: int64(len(zip1)),
		Version: "$LATEST", EphemeralStorage: 512, LogGroup: "/aws/lambda/echo", TracingMode: types.TracingModePassThrough,
		HasRevisionID: true, HasLastModified: true, HasRuntimeVersionArn: true, HasSnapStart: true,
	}
	if diff := cmp.Diff(want, summarize(asConfig(t, created))); diff != "" {
		t.Errorf("wrong CreateFunction response (-want +got):\n%s", diff)
	}

	got := waitActive(t, ctx, c, "echo")
	want.State, want.StateReasonCode, want.UpdateStatus = types.StateActive, "", types.LastUpdateStatusSuccessful
	if diff := cmp.Diff(want, summarize(got.Configuration)); diff != "" {
		t.Errorf("wrong configuration once active (-want +got):\n%s", diff)
	}
	if got.Code == nil || aws.ToString(got.Code.RepositoryType) != "S3" || aws.ToString(got.Code.Location) == "" {
		t.Errorf("GetFunction Code = %+v, want an S3 location", got.Code)
	}

	_, first := invokeEcho(t, ctx, c, "echo", map[string]any{"echo": map[string]int{"n": 1}, "read_file": "version.txt"}, "")
	wantEnv := map[string]string{
		"GREETING":                        "hello",
		"AWS_LAMBDA_FUNCTION_NAME":        "echo",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_REGION":                      "us-east-1",
		"AWS_ACCESS_KEY_ID":               "AKIDFUNCTION",
		"AWS_SECRET_ACCESS_KEY":           "function-secret",
		"AWS_ENDPOINT_URL_S3":             "http://127.0.0.1:9000",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                first.Cwd,
	}
	gotEnv := map[string]string{}
	for k := range wantEnv {
		gotEnv[k] = first.Env[k]
	}
	if diff := cmp.Diff(wantEnv, gotEnv); diff != "" {
		t.Errorf("wrong function environment (-want +got):\n%s", diff)
	}
	if string(first.Echo) != `{"n":1}` || first.File != "one" || len(first.Args) != 0 || first.FunctionARN != arn {
		t.Errorf("first invocation: echo %s, file %q, args %q, arn %q; want {\"n\":1}, one, none, %s", first.Echo, first.File, first.Args, first.FunctionARN, arn)
	}
	if first.DeadlineMS <= 0 || first.DeadlineMS > 10_000 {
		t.Errorf("function saw %d ms left, want within the 10 s timeout", first.DeadlineMS)
	}

	zip2 := echoZip(t, map[string][]byte{"version.txt": []byte("two")})
	updated, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("echo"), ZipFile: zip2})
	if err != nil {
		t.Fatal(err)
	}
	if updated.LastUpdateStatus != types.LastUpdateStatusInProgress || aws.ToString(updated.CodeSha256) != codeSha256(zip2) {
		t.Errorf("UpdateFunctionCode answered %s with sha %s, want InProgress with %s", updated.LastUpdateStatus, aws.ToString(updated.CodeSha256), codeSha256(zip2))
	}
	waitUpdated(t, ctx, c, "echo")
	_, second := invokeEcho(t, ctx, c, "echo", map[string]any{"read_file": "version.txt"}, "")
	if second.File != "two" || second.PID == first.PID {
		t.Errorf("after the code update: file %q from pid %d, want \"two\" from a new process (not %d)", second.File, second.PID, first.PID)
	}

	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("echo"),
		MemorySize:   aws.Int32(512),
		Environment:  &types.Environment{Variables: map[string]string{"GREETING": "bonjour"}},
	}); err != nil {
		t.Fatal(err)
	}
	final := waitUpdated(t, ctx, c, "echo")
	if m := aws.ToInt32(final.Configuration.MemorySize); m != 512 {
		t.Errorf("memory after update = %d, want 512", m)
	}
	out, third := invokeEcho(t, ctx, c, "echo", map[string]any{"print": "log line from echo"}, types.LogTypeTail)
	if third.Env["GREETING"] != "bonjour" || third.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] != "512" {
		t.Errorf("after the configuration update: GREETING=%q memory=%q, want bonjour, 512", third.Env["GREETING"], third.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatalf("LogResult: %v", err)
	}
	for _, want := range []string{"START RequestId: " + third.RequestID, "log line from echo", "END RequestId: " + third.RequestID, "REPORT RequestId: " + third.RequestID, "Memory Size: 512 MB"} {
		if !strings.Contains(string(tail), want) {
			t.Errorf("log tail lacks %q:\n%s", want, tail)
		}
	}
	if logs := strings.Join(srv.Logs("echo"), "\n"); !strings.Contains(logs, "log line from echo") {
		t.Errorf("Logs(echo) lacks the printed line:\n%s", logs)
	}

	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("echo")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("echo")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || aws.ToString(notFound.Message) != "Function not found: "+arn {
		t.Errorf("GetFunction after delete: %v, want ResourceNotFoundException for %s", err, arn)
	}
	if n := srv.Running(); n != 0 {
		t.Errorf("%d execution environments running after delete, want 0", n)
	}

	var ops []string
	for _, call := range srv.Calls() {
		if call.Op != fakelambda.OpGetFunction {
			ops = append(ops, string(call.Op)+" "+strconv.Itoa(call.Status))
		}
	}
	wantOps := []string{"CreateFunction 201", "Invoke 200", "UpdateFunctionCode 200", "Invoke 200", "UpdateFunctionConfiguration 200", "Invoke 200", "DeleteFunction 204"}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("wrong calls besides GetFunction (-want +got):\n%s", diff)
	}
	noStrayProcesses(t, srv)
}
