package fakelambda_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"lithops/internal/fakelambda"
)

// The tests in this file need no emulator: they exercise the control plane
// and the checks Invoke makes before it runs anything.

// TestPendingFunctionRefusesWork holds a new function Pending: the service
// refuses invocations and updates until it is Active, which is why clients
// must wait for it.
func TestPendingFunctionRefusesWork(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: time.Hour})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("slow", inertZip(t))); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("slow")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.State != types.StatePending || cfg.StateReasonCode != types.StateReasonCodeCreating || aws.ToString(cfg.StateReason) != "The function is being created." {
		t.Errorf("new function: state %s (%s: %s), want Pending (Creating)", cfg.State, cfg.StateReasonCode, aws.ToString(cfg.StateReason))
	}

	const pending = "The operation cannot be performed at this time. The function is currently in the following state: Pending"
	var conflict *types.ResourceConflictException
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(`{}`)})
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != pending {
		t.Errorf("Invoke while Pending: %v, want ResourceConflictException %q", err, pending)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("slow"), Timeout: aws.Int32(5)})
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != pending {
		t.Errorf("UpdateFunctionConfiguration while Pending: %v, want ResourceConflictException %q", err, pending)
	}
	_, err = c.CreateFunction(ctx, createInput("slow", inertZip(t)))
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != "Function already exist: slow" {
		t.Errorf("second CreateFunction: %v, want ResourceConflictException", err)
	}
}

// TestUpdateInProgressRefusesUpdates holds an update InProgress: a second
// update is refused until the first completes, and the FunctionUpdated
// waiter sees it complete.
func TestUpdateInProgressRefusesUpdates(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	created, err := c.CreateFunction(ctx, createInput("f", inertZip(t)))
	if err != nil {
		t.Fatal(err)
	}
	if created.State != types.StatePending {
		t.Errorf("CreateFunction answered state %s, want Pending even when it completes at once", created.State)
	}
	waitActive(t, ctx, c, "f")

	srv.SetStateDelay(time.Hour)
	up, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Timeout: aws.Int32(30)})
	if err != nil {
		t.Fatal(err)
	}
	if up.LastUpdateStatus != types.LastUpdateStatusInProgress || aws.ToInt32(up.Timeout) != 30 {
		t.Errorf("update answered %s with timeout %d, want InProgress with 30", up.LastUpdateStatus, aws.ToInt32(up.Timeout))
	}
	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("f"), ZipFile: inertZip(t)})
	var conflict *types.ResourceConflictException
	want := "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:f"
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != want {
		t.Errorf("UpdateFunctionCode during an update: %v, want ResourceConflictException %q", err, want)
	}
}

// TestUnknownFunction asks every operation about a function that does not
// exist, or a version of one that does.
func TestUnknownFunction(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("here", inertZip(t))); err != nil {
		t.Fatal(err)
	}
	const missing = "arn:aws:lambda:us-east-1:123456789012:function:missing"
	calls := []struct {
		name string
		call func() error
		want string
	}{
		{"GetFunction", func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("missing")})
			return err
		}, missing},
		{"GetFunction by ARN", func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(missing)})
			return err
		}, missing},
		{"GetFunction of a version", func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("here"), Qualifier: aws.String("3")})
			return err
		}, "arn:aws:lambda:us-east-1:123456789012:function:here:3"},
		{"GetFunctionConfiguration", func() error {
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("missing")})
			return err
		}, missing},
		{"UpdateFunctionCode", func() error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("missing"), ZipFile: inertZip(t)})
			return err
		}, missing},
		{"UpdateFunctionConfiguration", func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("missing"), Timeout: aws.Int32(5)})
			return err
		}, missing},
		{"DeleteFunction", func() error {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("missing")})
			return err
		}, missing},
		{"Invoke", func() error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("missing")})
			return err
		}, missing},
		{"Invoke of a version", func() error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("here:7")})
			return err
		}, "arn:aws:lambda:us-east-1:123456789012:function:here:7"},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				t.Fatalf("got %v, want ResourceNotFoundException", err)
			}
			if got, want := aws.ToString(nf.Message), "Function not found: "+tc.want; got != want {
				t.Errorf("wrong message: got %q, want %q", got, want)
			}
		})
	}
}

func TestListFunctionsPages(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	for _, name := range []string{"c", "a", "b"} {
		if _, err := c.CreateFunction(ctx, createInput(name, inertZip(t))); err != nil {
			t.Fatal(err)
		}
	}
	var pages [][]string
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName)+" "+string(f.State))
		}
		pages = append(pages, names)
	}
	want := [][]string{{"a Active", "b Active"}, {"c Active"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("wrong pages (-want +got):\n%s", diff)
	}
}

func TestRevisionIDGuardsUpdates(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("f", inertZip(t))); err != nil {
		t.Fatal(err)
	}
	cur, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Description: aws.String("x"), RevisionId: aws.String("stale")})
	var pf *types.PreconditionFailedException
	if !errors.As(err, &pf) {
		t.Errorf("update with a stale RevisionId: %v, want PreconditionFailedException", err)
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Description: aws.String("x"), RevisionId: cur.RevisionId}); err != nil {
		t.Errorf("update with the current RevisionId: %v", err)
	}
}

// TestCodeLocation downloads the package from GetFunction's Code.Location,
// as `aws lambda get-function` users do.
func TestCodeLocation(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	zip := inertZip(t)
	if _, err := c.CreateFunction(ctx, createInput("f", zip)); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != string(zip) {
		t.Errorf("Code.Location answered %d with %d bytes, want 200 with the %d-byte package", resp.StatusCode, len(b), len(zip))
	}
}

// TestInjectedFaults: ThrottleNext and FailNext answer the next requests
// with TooManyRequestsException and ServiceException, which the SDK's
// standard retryer retries and a client without retries sees.
func TestInjectedFaults(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	raw, retrying := newClient(srv, false), newClient(srv, true)
	if _, err := raw.CreateFunction(ctx, createInput("f", inertZip(t))); err != nil {
		t.Fatal(err)
	}
	get := func(c *lambda.Client) error {
		_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
		return err
	}

	srv.ThrottleNext(fakelambda.OpGetFunction, 1)
	err := get(raw)
	var throttled *types.TooManyRequestsException
	if !errors.As(err, &throttled) || throttled.Reason != types.ThrottleReasonCallerRateLimitExceeded || aws.ToString(throttled.RetryAfterSeconds) != "1" {
		t.Errorf("throttled GetFunction without retries: %v, want TooManyRequestsException (CallerRateLimitExceeded, Retry-After 1)", err)
	}
	srv.FailNext(fakelambda.AnyOp, 1)
	err = get(raw)
	var failed *types.ServiceException
	if !errors.As(err, &failed) {
		t.Errorf("failed GetFunction without retries: %v, want ServiceException", err)
	}

	srv.ThrottleNext(fakelambda.OpGetFunction, 1)
	srv.FailNext(fakelambda.OpGetFunction, 1)
	if err := get(retrying); err != nil {
		t.Errorf("GetFunction with retries after a throttle and a failure: %v", err)
	}

	var statuses []int
	for _, call := range srv.Calls() {
		if call.Op == fakelambda.OpGetFunction {
			statuses = append(statuses, call.Status)
		}
	}
	if diff := cmp.Diff([]int{429, 500, 429, 500, 200}, statuses); diff != "" {
		t.Errorf("wrong GetFunction statuses (-want +got):\n%s", diff)
	}
}

// TestInvokeChecks covers what Invoke refuses before running anything.
func TestInvokeChecks(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("f", inertZip(t))); err != nil {
		t.Fatal(err)
	}
	py := createInput("py", inertZip(t))
	py.Runtime = types.RuntimePython312
	py.Handler = aws.String("app.handler")
	if _, err := c.CreateFunction(ctx, py); err != nil {
		t.Fatal(err)
	}
	img := &lambda.CreateFunctionInput{
		FunctionName: aws.String("img"), Role: aws.String(role), PackageType: types.PackageTypeImage,
		Code: &types.FunctionCode{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:latest")},
	}
	if _, err := c.CreateFunction(ctx, img); err != nil {
		t.Fatal(err)
	}

	dry, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != http.StatusNoContent {
		t.Errorf("DryRun: %v, status %d; want 204", err, dry.StatusCode)
	}

	cases := []struct {
		name    string
		in      *lambda.InvokeInput
		code    string
		message string
	}{
		{"payload not JSON", &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: []byte("not json")},
			"InvalidRequestContentException", "Could not parse request body into json"},
		{"payload over 6 MB", &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: []byte(`"` + strings.Repeat("x", 6291456) + `"`)},
			"RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{"event payload over 1 MB", &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`"` + strings.Repeat("x", 1048576) + `"`)},
			"RequestTooLargeException", "Request must be smaller than 1048576 bytes"},
		{"container image", &lambda.InvokeInput{FunctionName: aws.String("img")},
			"ServiceException", "there is no container runtime on this machine"},
		{"managed runtime", &lambda.InvokeInput{FunctionName: aws.String("py")},
			"ServiceException", "cannot run runtime python3.12"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Invoke(ctx, tc.in)
			if got := errorCode(err); got != tc.code || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got %v, want %s containing %q", err, tc.code, tc.message)
			}
		})
	}
}

// TestAuthentication: requests must be SigV4-signed for lambda in the
// server's region.
func TestAuthentication(t *testing.T) {
	ctx := context.Background()
	srv := fakelambda.New(t, fakelambda.Options{})

	resp, err := http.Get(srv.URL() + "/2015-03-31/functions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Amzn-ErrorType"); resp.StatusCode != http.StatusForbidden || got != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned request: %d %s, want 403 MissingAuthenticationTokenException", resp.StatusCode, got)
	}

	other := lambda.New(lambda.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	_, err = other.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if got := errorCode(err); got != "InvalidSignatureException" {
		t.Errorf("request signed for eu-west-1: %v, want InvalidSignatureException", err)
	}
}
