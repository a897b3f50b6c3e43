package fakelambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Payload limits of the real service.
const (
	maxSyncPayload  = 6291456 // request and response of a RequestResponse invocation
	maxAsyncPayload = 1048576 // request of an Event invocation
	maxTailLog      = 4096    // X-Amz-Log-Result carries the last 4 KB of the log
)

// invoke is Invoke: POST /2015-03-31/functions/{name}/invocations.
// RequestResponse runs the function and answers 200 with its result (and
// X-Amz-Function-Error when it failed); Event answers 202 and runs it in
// the background; DryRun answers 204.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request, c *Call) *apiError {
	invocationType := r.Header.Get("X-Amz-Invocation-Type")
	if invocationType == "" {
		invocationType = "RequestResponse"
	}
	c.InvocationType = invocationType
	logType := r.Header.Get("X-Amz-Log-Type")
	if logType == "" {
		logType = "None"
	}
	var v violations
	v.enum("invocationType", invocationType, "Event", "RequestResponse", "DryRun")
	v.enum("logType", logType, "None", "Tail")
	if aerr := v.err(); aerr != nil {
		return aerr
	}

	limit := maxSyncPayload
	if invocationType == "Event" {
		limit = maxAsyncPayload
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return errSerialization(err)
	}
	if len(payload) > limit {
		return errRequestTooLarge(limit, "InvokeFunction")
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		return errInvalidRequestContent("Could not parse request body into json: Could not parse payload into json: the payload is not a JSON document")
	}

	s.mu.Lock()
	f, aerr := s.lookup(r, c)
	if aerr == nil && f.state == statePending {
		aerr = errResourceConflict("The operation cannot be performed at this time. The function is currently in the following state: %s", f.state)
	}
	var d *deployment
	if aerr == nil {
		d = f.live
		if invocationType == "Event" {
			s.async++
			s.wg.Add(1)
		}
	}
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}

	switch invocationType {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "Event":
		go s.runAsync(f, d, c.RequestID, payload)
		w.WriteHeader(http.StatusAccepted)
		return nil
	}

	if aerr := s.runnable(d); aerr != nil {
		return aerr
	}
	if !s.trySlot() {
		return errTooManyRequests("ConcurrentInvocationLimitExceeded")
	}
	res := s.execute(f, d, c.RequestID, r.Header.Get("X-Amz-Client-Context"), payload)
	s.releaseSlot()
	if res.err != nil {
		return res.err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", latest)
	if res.functionError != "" {
		h.Set("X-Amz-Function-Error", res.functionError)
		c.FunctionError = res.functionError
	}
	if logType == "Tail" {
		h.Set("X-Amz-Log-Result", tailLog(res.log))
	}
	w.WriteHeader(http.StatusOK)
	w.Write(res.payload)
	return nil
}

// runAsync runs an accepted Event invocation once an execution slot is
// free (asynchronous invocations queue rather than throttle) and records
// its outcome as an Execution call.
func (s *Server) runAsync(f *function, d *deployment, id string, payload []byte) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.async--
		s.mu.Unlock()
	}()
	c := Call{Op: OpInvoke, Function: d.name, InvocationType: "Event", Execution: true, RequestID: id}
	if aerr := s.runnable(d); aerr != nil {
		c.ErrorCode = aerr.code
		s.record(c)
		return
	}
	if !s.waitSlot() {
		return
	}
	res := s.execute(f, d, id, "", payload)
	s.releaseSlot()
	if res.err != nil {
		c.ErrorCode = res.err.code
	}
	c.FunctionError = res.functionError
	s.record(c)
}

// WaitAsync waits until every Event invocation accepted so far has run.
func (s *Server) WaitAsync(ctx context.Context) error {
	for {
		s.mu.Lock()
		n := s.async
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %d asynchronous invocations: %w", n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// runnable says why this machine cannot run d, or nil.
func (s *Server) runnable(d *deployment) *apiError {
	switch {
	case d.cfg.packageType == packageImage:
		return errService("fakelambda accepted the container-image function %s but cannot run it: there is no container runtime on this machine. Use a Zip package with a provided.al2023 bootstrap.", d.name)
	case !slices.Contains(runnableRuntimes, d.cfg.runtime):
		return errService("fakelambda cannot run runtime %s (function %s): only %s, whose bootstrap is the whole runtime, run under the emulator here.", d.cfg.runtime, d.name, strings.Join(runnableRuntimes, " and "))
	case d.cfg.architectures[0] != hostArchitecture():
		return errService("fakelambda cannot run the %s function %s on this %s machine.", d.cfg.architectures[0], d.name, runtime.GOARCH)
	case s.rieErr != nil:
		return errService("fakelambda cannot run functions: %v", s.rieErr)
	}
	return nil
}

// hostArchitecture is this machine's architecture in Lambda's words.
func hostArchitecture() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// result is the outcome of one execution.
type result struct {
	payload       []byte
	functionError string // "Unhandled" when the function failed
	timedOut      bool
	log           []string
	err           *apiError // the service failed, not the function
}

// functionFailed is a failure of the function reported by the platform
// rather than by the function's runtime (crash, timeout, bad package), in
// the document shape the real service answers with.
func functionFailed(id, errorType, message string) result {
	b, _ := json.Marshal(map[string]string{"errorType": errorType, "errorMessage": "RequestId: " + id + " Error: " + message})
	return result{payload: b, functionError: "Unhandled"}
}

// execute runs one invocation of d in an execution environment.
func (s *Server) execute(f *function, d *deployment, id, clientContext string, payload []byte) result {
	codeDir, err := d.cfg.code.unpack(s.dir)
	if err != nil {
		return result{err: errService("fakelambda could not unpack the code of %s: %v", d.name, err)}
	}
	if msg := entrypointError(codeDir, d.cfg.architectures[0]); msg != "" {
		res := functionFailed(id, "Runtime.InvalidEntrypoint", msg)
		res.log = []string{
			"START RequestId: " + id + " Version: " + latest,
			"RequestId: " + id + " Error: " + msg,
			"Runtime.InvalidEntrypoint",
			"END RequestId: " + id,
			"REPORT RequestId: " + id + "\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: " + fmt.Sprint(d.cfg.memory) + " MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: Runtime.InvalidEntrypoint",
		}
		for _, l := range res.log {
			s.functionLog(f, l)
		}
		return res
	}
	sb, err := s.takeSandbox(s.ctx, d, f, codeDir)
	if err != nil {
		return result{err: errService("fakelambda could not start an execution environment: %v", err)}
	}

	// The emulator enforces the timeout itself; the grace covers its
	// answer arriving late.
	timeout := time.Duration(d.cfg.timeout) * time.Second
	ctx, cancel := context.WithTimeout(s.ctx, timeout+3*time.Second)
	start := time.Now()
	status, body, err := sb.invoke(ctx, id, clientContext, payload)
	elapsed := time.Since(start)
	deadlineHit := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()

	var res result
	healthy := false
	timedOut := func() result {
		r := functionFailed(id, "Sandbox.Timedout", fmt.Sprintf("Task timed out after %d.00 seconds", d.cfg.timeout))
		r.timedOut = true
		return r
	}
	switch {
	case err != nil && deadlineHit:
		res = timedOut()
	case err != nil:
		res = result{err: errService("fakelambda lost the execution environment of %s: %v", d.name, err)}
	case status == http.StatusOK && strings.HasPrefix(string(body), "Task timed out after "):
		res = timedOut()
	case status == http.StatusOK && sb.proxy.reportedError(id):
		res = result{payload: body, functionError: "Unhandled"}
		healthy = true
	case status == http.StatusOK:
		healthy = true
		res = result{payload: body}
		if len(body) > maxSyncPayload {
			res = functionFailed(id, "Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", len(body), maxSyncPayload))
		}
	case status == http.StatusBadGateway && json.Valid(body) && len(body) > 0:
		// The runtime reported an error and exited, or exited without one
		// (Runtime.ExitError): the emulator's body is the error document.
		res = result{payload: body, functionError: "Unhandled"}
	case status == http.StatusBadGateway:
		res = functionFailed(id, "Runtime.Unknown", "Runtime exited without providing a reason")
	default:
		res = result{err: errService("fakelambda: the emulator answered %d: %s", status, body)}
	}
	if healthy {
		res.log = sb.invocationLog(id, 2*time.Second)
		s.returnSandbox(sb, true)
		return res
	}
	// The environment is done for: stopping it drains its output, which
	// then holds all the invocation wrote. The emulator writes no END and
	// REPORT lines for a runtime that crashed; the service does.
	s.retire(sb)
	res.log = sb.takeLines()
	if res.timedOut {
		res.log = insertBeforeEnd(res.log, id, time.Now().UTC().Format("2006-01-02T15:04:05.000Z")+" "+id+" Task timed out after "+fmt.Sprint(d.cfg.timeout)+".00 seconds")
	}
	if !slices.Contains(res.log, "END RequestId: "+id) {
		errorType := "Runtime.Unknown"
		var doc struct{ ErrorType string }
		if json.Unmarshal(res.payload, &doc) == nil && doc.ErrorType != "" {
			errorType = doc.ErrorType
		}
		res.log = append(res.log, "END RequestId: "+id, fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\tStatus: error\tError Type: %s",
			id, float64(elapsed.Microseconds())/1000, elapsed.Milliseconds()+1, d.cfg.memory, d.cfg.memory, errorType))
	}
	return res
}

// insertBeforeEnd inserts line before the invocation's END line, or at the
// end.
func insertBeforeEnd(log []string, id, line string) []string {
	end := "END RequestId: " + id
	for i, l := range log {
		if l == end {
			return slices.Insert(log, i, line)
		}
	}
	return append(log, line)
}

// tailLog is X-Amz-Log-Result: the last 4 KB of the invocation's log,
// base64-encoded.
func tailLog(log []string) string {
	text := strings.Join(log, "\n")
	if len(log) > 0 {
		text += "\n"
	}
	if len(text) > maxTailLog {
		text = text[len(text)-maxTailLog:]
	}
	return base64.StdEncoding.EncodeToString([]byte(text))
}
