package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// runtimeAPI is a client of the Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), the
// HTTP interface a custom runtime's bootstrap polls for invocations on the
// address in AWS_LAMBDA_RUNTIME_API. It is small enough not to need
// aws-lambda-go, which reads the environment itself and exits the process
// on errors.
type runtimeAPI struct {
	base   string // http://host:port/2018-06-01/runtime
	client *http.Client
}

func newRuntimeAPI(addr string, client *http.Client) *runtimeAPI {
	if client == nil {
		// No timeout: /next blocks until an invocation comes.
		client = &http.Client{}
	}
	return &runtimeAPI{base: "http://" + addr + "/2018-06-01/runtime", client: client}
}

// invocation is one event to handle.
type invocation struct {
	id       string
	deadline time.Time // zero when the API gave none
	arn      string
	event    []byte
}

// next waits for the next invocation.
func (r *runtimeAPI) next(ctx context.Context) (*invocation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/invocation/next", nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("runtime API: next invocation: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("runtime API: next invocation: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("runtime API: next invocation: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	inv := &invocation{
		id:    resp.Header.Get("Lambda-Runtime-Aws-Request-Id"),
		arn:   resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"),
		event: body,
	}
	if inv.id == "" {
		return nil, fmt.Errorf("runtime API: next invocation has no Lambda-Runtime-Aws-Request-Id")
	}
	if ms, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64); err == nil && ms > 0 {
		inv.deadline = time.UnixMilli(ms)
	}
	return inv, nil
}

// respond posts an invocation's result.
func (r *runtimeAPI) respond(ctx context.Context, id string, body []byte) error {
	return r.post(ctx, "/invocation/"+id+"/response", body, "")
}

// fail reports an invocation's error.
func (r *runtimeAPI) fail(ctx context.Context, id, errType string, cause error) error {
	return r.post(ctx, "/invocation/"+id+"/error", errorDoc(errType, cause), errType)
}

// initFailed reports that the runtime could not start; the service then
// fails the pending invocation and retires the environment.
func (r *runtimeAPI) initFailed(ctx context.Context, errType string, cause error) error {
	return r.post(ctx, "/init/error", errorDoc(errType, cause), errType)
}

func errorDoc(errType string, cause error) []byte {
	b, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{cause.Error(), errType})
	return b
}

func (r *runtimeAPI) post(ctx context.Context, path string, body []byte, errType string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if errType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errType)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("runtime API: post %s: %w", path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("runtime API: post %s: %s: %s", path, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
