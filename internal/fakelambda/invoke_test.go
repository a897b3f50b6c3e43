package fakelambda_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"lithops/internal/fakelambda"
)

// errorDocument is the payload of a failed invocation.
type errorDocument struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// TestInvokeOutcomes: every way an invocation can end comes back as the
// service reports it. A failing function is not an API error: Invoke
// succeeds with X-Amz-Function-Error: Unhandled and an error document.
func TestInvokeOutcomes(t *testing.T) {
	ctx := context.Background()
	srv := runServer(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	echo := echoZip(t, nil)
	bin, err := os.ReadFile(echoBootstrap(t))
	if err != nil {
		t.Fatal(err)
	}
	zipOf := func(f fakelambda.ZipFile) []byte {
		f.Store = true
		z, err := fakelambda.Zip(f)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	// The echo binary with its ELF header claiming the other architecture.
	foreign := append([]byte(nil), bin...)
	other := uint16(183) // EM_AARCH64
	if runtime.GOARCH == "arm64" {
		other = 62 // EM_X86_64
	}
	binary.LittleEndian.PutUint16(foreign[18:], other)

	cases := []struct {
		name      string
		zip       []byte
		timeout   int32
		event     string
		wantErr   *errorDocument // nil: the function succeeds
		inMessage string         // part of the error message
	}{
		{"result", echo, 10, `{"echo":"hi"}`, nil, ""},
		{"error returned", echo, 10, `{"error":"boom"}`, &errorDocument{"EchoError", "boom"}, ""},
		{"panic", echo, 10, `{"panic":"kaboom"}`, &errorDocument{"string", "kaboom"}, ""},
		{"exit", echo, 10, `{"exit":3}`, &errorDocument{ErrorType: "Runtime.ExitError"}, "Runtime exited with error: exit status 3"},
		{"timeout", echo, 1, `{"sleep_ms":5000}`, &errorDocument{ErrorType: "Sandbox.Timedout"}, "Task timed out after 1.00 seconds"},
		{"response over 6 MB", echo, 10, `{"pad_bytes":6291456}`, &errorDocument{ErrorType: "Function.ResponseSizeTooLarge"}, "exceeded maximum allowed payload size"},
		{"no bootstrap", zipOf(fakelambda.ZipFile{Name: "main", Mode: 0o755, Data: bin}), 10, `{}`,
			&errorDocument{ErrorType: "Runtime.InvalidEntrypoint"}, "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"},
		{"bootstrap not executable", zipOf(fakelambda.ZipFile{Name: "bootstrap", Mode: 0o644, Data: bin}), 10, `{}`,
			&errorDocument{ErrorType: "Runtime.InvalidEntrypoint"}, "fork/exec /var/task/bootstrap: permission denied"},
		{"bootstrap for another architecture", zipOf(fakelambda.ZipFile{Name: "bootstrap", Mode: 0o755, Data: foreign}), 10, `{}`,
			&errorDocument{ErrorType: "Runtime.InvalidEntrypoint"}, "exec format error"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "outcome" + string(rune('a'+i))
			in := createInput(name, tc.zip)
			in.Timeout = aws.Int32(tc.timeout)
			if _, err := c.CreateFunction(ctx, in); err != nil {
				t.Fatal(err)
			}
			out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(tc.event), LogType: types.LogTypeTail})
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if out.StatusCode != 200 || aws.ToString(out.ExecutedVersion) != "$LATEST" {
				t.Errorf("status %d, executed version %q; want 200, $LATEST", out.StatusCode, aws.ToString(out.ExecutedVersion))
			}
			if tc.wantErr == nil {
				if out.FunctionError != nil {
					t.Fatalf("function error %s: %s", *out.FunctionError, out.Payload)
				}
				return
			}
			if got := aws.ToString(out.FunctionError); got != "Unhandled" {
				t.Errorf("X-Amz-Function-Error = %q, want Unhandled (payload %s)", got, out.Payload)
			}
			var doc errorDocument
			if err := json.Unmarshal(out.Payload, &doc); err != nil {
				t.Fatalf("error document %q: %v", out.Payload, err)
			}
			want := *tc.wantErr
			if tc.inMessage != "" {
				// Platform errors name the request: compare a part.
				if !strings.Contains(doc.ErrorMessage, tc.inMessage) {
					t.Errorf("error message %q lacks %q", doc.ErrorMessage, tc.inMessage)
				}
				doc.ErrorMessage = ""
			}
			if diff := cmp.Diff(want, doc); diff != "" {
				t.Errorf("wrong error document (-want +got):\n%s", diff)
			}
			tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: "} {
				if !strings.Contains(string(tail), want) {
					t.Errorf("log tail lacks %q:\n%s", want, tail)
				}
			}
			if want.ErrorType == "Sandbox.Timedout" && !strings.Contains(string(tail), "Task timed out after 1.00 seconds") {
				t.Errorf("log tail of a timeout lacks the timeout line:\n%s", tail)
			}

			// After a failure of the function the next invocation runs.
			if tc.name != "no bootstrap" && !strings.HasPrefix(tc.name, "bootstrap") {
				invokeEcho(t, ctx, c, name, map[string]string{}, "")
			}
		})
	}
	noStrayProcesses(t, srv)
}

// TestWarmEnvironments: an execution environment serves invocation after
// invocation; new code or configuration gets new environments; invocations
// during an update still run the previous code.
func TestWarmEnvironments(t *testing.T) {
	ctx := context.Background()
	srv := runServer(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("warm", echoZip(t, map[string][]byte{"v": []byte("1")}))); err != nil {
		t.Fatal(err)
	}
	_, a := invokeEcho(t, ctx, c, "warm", map[string]string{"read_file": "v"}, "")
	_, b := invokeEcho(t, ctx, c, "warm", map[string]string{"read_file": "v"}, "")
	if a.PID != b.PID || srv.Running() != 1 {
		t.Errorf("two invocations in a row ran in pids %d and %d with %d environments, want one warm environment", a.PID, b.PID, srv.Running())
	}

	srv.SetStateDelay(time.Hour)
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("warm"), ZipFile: echoZip(t, map[string][]byte{"v": []byte("2")})}); err != nil {
		t.Fatal(err)
	}
	if _, during := invokeEcho(t, ctx, c, "warm", map[string]string{"read_file": "v"}, ""); during.File != "1" || during.PID != a.PID {
		t.Errorf("during the update: file %q from pid %d, want the previous code (1) in the warm environment %d", during.File, during.PID, a.PID)
	}

	srv.SetStateDelay(-1)
	if _, err := c.CreateFunction(ctx, createInput("other", echoZip(t, nil))); err != nil {
		t.Fatal(err)
	}
	invokeEcho(t, ctx, c, "other", map[string]string{}, "")
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("warm")}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Running(); n != 1 {
		t.Errorf("%d environments after deleting one of two functions, want 1", n)
	}
	noStrayProcesses(t, srv)
}

// TestConcurrencyLimit: with a limit of one concurrent execution, a second
// synchronous invocation while the first runs is throttled; the SDK's
// typed error carries the reason. (The standard retryer would retry it: a
// backend that wants to see throttles, to back off or count them, must
// either turn retries down or inspect the error after they are spent.)
func TestConcurrencyLimit(t *testing.T) {
	ctx := context.Background()
	srv := runServer(t, fakelambda.Options{StateDelay: -1, ConcurrencyLimit: 1})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("one", echoZip(t, nil))); err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(t.TempDir(), "release")
	done := make(chan struct{})
	var firstErr error
	go func() {
		defer close(done)
		_, firstErr = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("one"), Payload: []byte(`{"wait_file":"` + release + `"}`)})
	}()
	// Wait until the first invocation holds the only slot.
	for srv.InFlight() == 0 {
		select {
		case <-done:
			t.Fatalf("first Invoke ended before the second was sent: %v", firstErr)
		case <-time.After(5 * time.Millisecond):
		}
	}

	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("one"), Payload: []byte(`{}`)})
	var throttled *types.TooManyRequestsException
	if !errors.As(err, &throttled) || throttled.Reason != types.ThrottleReasonConcurrentInvocationLimitExceeded {
		t.Errorf("second concurrent Invoke: %v, want TooManyRequestsException (ConcurrentInvocationLimitExceeded)", err)
	}

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	<-done
	if firstErr != nil {
		t.Errorf("first Invoke: %v", firstErr)
	}
	invokeEcho(t, ctx, c, "one", map[string]string{}, "")
	noStrayProcesses(t, srv)
}

// TestEventInvocations: an Event invocation is accepted with 202 and runs
// afterwards; its outcome is recorded.
func TestEventInvocations(t *testing.T) {
	ctx := context.Background()
	srv := runServer(t, fakelambda.Options{StateDelay: -1})
	c := newClient(srv, false)
	if _, err := c.CreateFunction(ctx, createInput("async", echoZip(t, nil))); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	ok, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"touch_file":"` + marker + `"}`)})
	if err != nil || ok.StatusCode != 202 {
		t.Fatalf("Event Invoke: %v, status %d; want 202", err, ok.StatusCode)
	}
	failing, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"error":"async boom"}`)})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := srv.WaitAsync(wctx); err != nil {
		t.Fatal(err)
	}

	okID, _ := awsmiddleware.GetRequestIDMetadata(ok.ResultMetadata)
	failingID, _ := awsmiddleware.GetRequestIDMetadata(failing.ResultMetadata)
	if b, err := os.ReadFile(marker); err != nil || string(b) != okID {
		t.Errorf("the event's function wrote %q (%v), want its request id %s", b, err, okID)
	}
	var got []fakelambda.Call
	for _, call := range srv.Calls() {
		if call.Op == fakelambda.OpInvoke {
			call.Status = 0
			got = append(got, call)
		}
	}
	want := []fakelambda.Call{
		{Op: fakelambda.OpInvoke, Function: "async", InvocationType: "Event", RequestID: okID},
		{Op: fakelambda.OpInvoke, Function: "async", InvocationType: "Event", RequestID: failingID},
	}
	executions := []fakelambda.Call{
		{Op: fakelambda.OpInvoke, Function: "async", InvocationType: "Event", Execution: true, RequestID: okID},
		{Op: fakelambda.OpInvoke, Function: "async", InvocationType: "Event", Execution: true, RequestID: failingID, FunctionError: "Unhandled"},
	}
	sortCalls := func(cs []fakelambda.Call) []fakelambda.Call {
		var api, exe []fakelambda.Call
		for _, c := range cs {
			if c.Execution {
				exe = append(exe, c)
			} else {
				api = append(api, c)
			}
		}
		if len(exe) == 2 && exe[0].RequestID != okID {
			exe[0], exe[1] = exe[1], exe[0]
		}
		return append(api, exe...)
	}
	if diff := cmp.Diff(append(want, executions...), sortCalls(got)); diff != "" {
		t.Errorf("wrong Invoke records (-want +got):\n%s", diff)
	}
	noStrayProcesses(t, srv)
}
