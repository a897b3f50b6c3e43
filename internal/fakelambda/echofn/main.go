// Command echofn is a Lambda function (a provided.al2023 bootstrap built
// with aws-lambda-go) for tests that run functions under fakelambda. It
// answers its event with the event's "echo" member and facts about its
// execution environment, and on request prints, reads or creates files,
// waits, sleeps, fails, panics or exits, so a test can provoke each outcome
// the service reports. Build it with fakelambda.BuildBootstrap.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// event is what the function understands; every member is optional and
// they act in the order listed.
type event struct {
	Echo      json.RawMessage `json:"echo"`
	Print     string          `json:"print"`      // written to stdout, i.e. the function's log
	ReadFile  string          `json:"read_file"`  // path relative to LAMBDA_TASK_ROOT, returned as "file"
	TouchFile string          `json:"touch_file"` // created (absolute path), to show an Event invocation ran
	WaitFile  string          `json:"wait_file"`  // polled until it exists (absolute path)
	SleepMS   int             `json:"sleep_ms"`
	Error     string          `json:"error"` // returned as an error of type EchoError
	Panic     string          `json:"panic"`
	Exit      *int            `json:"exit"`      // os.Exit with this status
	PadBytes  int             `json:"pad_bytes"` // response padded with this many bytes
}

type response struct {
	Echo        json.RawMessage   `json:"echo,omitempty"`
	Env         map[string]string `json:"env"`
	PID         int               `json:"pid"`
	Cwd         string            `json:"cwd"`
	Args        []string          `json:"args"`
	RequestID   string            `json:"request_id"`
	FunctionARN string            `json:"function_arn"`
	DeadlineMS  int64             `json:"deadline_ms"` // time left when the invocation started
	File        string            `json:"file,omitempty"`
	Pad         string            `json:"pad,omitempty"`
}

// EchoError is the error the function returns on request; its type name
// becomes the errorType of the invocation's error document.
type EchoError struct{ msg string }

func (e *EchoError) Error() string { return e.msg }

func handle(ctx context.Context, ev event) (*response, error) {
	out := &response{Echo: ev.Echo, Env: map[string]string{}, PID: os.Getpid(), Args: os.Args[1:]}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		out.Env[k] = v
	}
	out.Cwd, _ = os.Getwd()
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		out.RequestID, out.FunctionARN = lc.AwsRequestID, lc.InvokedFunctionArn
	}
	if dl, ok := ctx.Deadline(); ok {
		out.DeadlineMS = time.Until(dl).Milliseconds()
	}
	if ev.Print != "" {
		fmt.Println(ev.Print)
	}
	if ev.ReadFile != "" {
		b, err := os.ReadFile(filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), ev.ReadFile))
		if err != nil {
			return nil, err
		}
		out.File = string(b)
	}
	if ev.TouchFile != "" {
		if err := os.WriteFile(ev.TouchFile, []byte(out.RequestID), 0o644); err != nil {
			return nil, err
		}
	}
	for ev.WaitFile != "" {
		if _, err := os.Stat(ev.WaitFile); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	if ev.SleepMS > 0 {
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	}
	if ev.Error != "" {
		return nil, &EchoError{msg: ev.Error}
	}
	if ev.Panic != "" {
		panic(ev.Panic)
	}
	if ev.Exit != nil {
		os.Exit(*ev.Exit)
	}
	if ev.PadBytes > 0 {
		out.Pad = strings.Repeat("x", ev.PadBytes)
	}
	return out, nil
}

func main() { lambda.Start(handle) }
