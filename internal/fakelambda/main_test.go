package fakelambda_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"lithops/internal/fakelambda"
)

// echoBuild is the echofn bootstrap, built at most once per test run into
// a directory TestMain removes.
var echoBuild struct {
	dir  string
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fakelambda-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	echoBuild.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// echoBootstrap returns the path of the echofn bootstrap binary, building
// it on first use. Tests that run functions call it after RequireRIE, so a
// run without the emulator builds nothing.
func echoBootstrap(t *testing.T) string {
	t.Helper()
	echoBuild.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		echoBuild.path, echoBuild.err = fakelambda.BuildBootstrap(ctx, "lithops/internal/fakelambda/echofn", echoBuild.dir)
	})
	if echoBuild.err != nil {
		t.Fatal(echoBuild.err)
	}
	return echoBuild.path
}

// echoZip is a deployment package of echofn with the extra files. The
// bootstrap is stored uncompressed, which keeps the race-enabled run fast.
func echoZip(t *testing.T, extra map[string][]byte) []byte {
	t.Helper()
	bin, err := os.ReadFile(echoBootstrap(t))
	if err != nil {
		t.Fatal(err)
	}
	files := []fakelambda.ZipFile{{Name: "bootstrap", Mode: 0o755, Data: bin, Store: true}}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		files = append(files, fakelambda.ZipFile{Name: name, Mode: 0o644, Data: extra[name]})
	}
	z, err := fakelambda.Zip(files...)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// inertZip is a valid deployment package that is never run: for tests of
// the control plane, which need no emulator.
func inertZip(t *testing.T) []byte {
	t.Helper()
	z, err := fakelambda.Zip(fakelambda.ZipFile{Name: "bootstrap", Mode: 0o755, Data: []byte("#!/bin/sh\nexit 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// runServer starts a server that runs functions: it needs the emulator.
func runServer(t *testing.T, opts fakelambda.Options) *fakelambda.Server {
	t.Helper()
	opts.RIE = fakelambda.RequireRIE(t)
	return fakelambda.New(t, opts)
}

// newClient is the real SDK client pointed at srv, with static credentials.
// Without retries it surfaces the first error response as is (the
// standard retryer retries throttles and 5xx three times).
func newClient(srv *fakelambda.Server, retries bool) *lambda.Client {
	o := lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDFAKELAMBDA", SecretAccessKey: "secret", Source: "test"}, nil
		}),
	}
	if !retries {
		o.Retryer = aws.NopRetryer{}
	}
	return lambda.New(o)
}

// role is an execution role ARN in the server's default account.
const role = "arn:aws:iam::123456789012:role/lambda-exec"

// createInput is a CreateFunction request for a provided.al2023 function.
func createInput(name string, zip []byte) *lambda.CreateFunctionInput {
	return &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String(role),
		Runtime:      "provided.al2023",
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: zip},
		Timeout:      aws.Int32(10),
		MemorySize:   aws.Int32(256),
	}
}

// waitActive waits for a new function with the SDK's waiter, its delays
// shortened for tests (the defaults start at 5 s).
func waitActive(t *testing.T, ctx context.Context, c *lambda.Client, name string) *lambda.GetFunctionOutput {
	t.Helper()
	w := lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute)
	if err != nil {
		t.Fatalf("wait for %s to be active: %v", name, err)
	}
	return out
}

// waitUpdated waits for an update to complete with the SDK's waiter.
func waitUpdated(t *testing.T, ctx context.Context, c *lambda.Client, name string) *lambda.GetFunctionOutput {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute)
	if err != nil {
		t.Fatalf("wait for %s to be updated: %v", name, err)
	}
	return out
}

// errorCode is the API error code of err ("" if err is not an API error).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// noStrayProcesses closes srv and checks that none of its processes
// survive.
func noStrayProcesses(t *testing.T, srv *fakelambda.Server) {
	t.Helper()
	srv.Close()
	if pids := srv.Processes(); len(pids) > 0 {
		t.Errorf("processes left after Close: %v", pids)
	}
	if n := srv.Running(); n != 0 {
		t.Errorf("Running() after Close = %d, want 0", n)
	}
}
