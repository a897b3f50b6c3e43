package fakelambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults for Options' zero values.
const (
	DefaultRegion           = "us-east-1"
	DefaultAccountID        = "123456789012"
	DefaultStateDelay       = 100 * time.Millisecond
	DefaultConcurrencyLimit = 10
)

// Credentials are the AWS credentials a function finds in its environment
// (AWS_ACCESS_KEY_ID, ...). On the real service they come from the execution
// role; here the test chooses them, typically the ones its local S3 accepts.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Options configure a Server. The zero value is usable.
type Options struct {
	// Region and AccountID make up ARNs and are checked against the
	// credential scope of requests and against role and function ARNs.
	// Defaults: DefaultRegion, DefaultAccountID.
	Region    string
	AccountID string

	// StateDelay is how long a new function stays Pending and an update
	// InProgress. Zero means DefaultStateDelay; a negative value completes
	// them before the response is written (the response still says
	// Pending/InProgress, as the service's does, but the next read says
	// Active/Successful), for clients whose waiters cannot be shortened.
	StateDelay time.Duration

	// ConcurrencyLimit is the account's concurrent executions: synchronous
	// invocations beyond it are throttled (TooManyRequestsException, Reason
	// ConcurrentInvocationLimitExceeded), asynchronous ones wait. Zero means
	// DefaultConcurrencyLimit.
	ConcurrencyLimit int

	// RIE is the path of the aws-lambda-rie binary. Empty means FindRIE. If
	// none is found the control plane works and Invoke answers
	// ServiceException saying how to install it.
	RIE string

	// Credentials and Env are added to every function's environment
	// (before the function's own variables, which win). Env is where a test
	// puts what the real service would not set but the function needs here,
	// e.g. AWS_ENDPOINT_URL_S3 for a local S3.
	Credentials Credentials
	Env         map[string]string

	// Dir holds unpacked code and each execution environment's scratch
	// directory (its TMPDIR, the /tmp of the real service). Empty means a
	// new temporary directory, removed on Close (New uses tb.TempDir()).
	Dir string

	// FetchS3 reads a deployment package given as Code.S3Bucket/S3Key.
	// Nil refuses such code with InvalidParameterValueException.
	FetchS3 func(ctx context.Context, bucket, key, version string) ([]byte, error)

	// Logf receives every line functions and the emulator write (prefixed
	// with the function name), e.g. t.Logf. Nil discards them; Logs keeps
	// them either way.
	Logf func(format string, args ...any)
}

// Server is a running fake Lambda service. Its methods are safe for
// concurrent use.
type Server struct {
	opts   Options
	id     string // marks this server's processes (see reap.go)
	hs     *httptest.Server
	dir    string
	ownDir bool
	rie    string
	rieErr error
	envBin string // /usr/bin/env, which points the bootstrap at the runtime API proxy

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // state transitions and asynchronous invocations
	slots  chan struct{}  // one token per execution in progress

	mu        sync.Mutex
	closed    bool
	funcs     map[string]*function
	codes     map[string]*code // deployment packages by SHA-256
	calls     []Call
	faults    map[Op]*fault
	sandboxes map[*sandbox]struct{} // every running execution environment
	inflight  int                   // executions in progress
	async     int                   // Event invocations accepted and not finished
	seq       int                   // numbers execution environments
}

// New starts a Server for a test and stops it when the test ends. It fails
// the test if the server cannot start.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Dir == "" {
		opts.Dir = tb.TempDir()
	}
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("start fake lambda: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a Server on a loopback port. Close stops it.
func Start(opts Options) (*Server, error) {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.StateDelay == 0 {
		opts.StateDelay = DefaultStateDelay
	}
	if opts.ConcurrencyLimit <= 0 {
		opts.ConcurrencyLimit = DefaultConcurrencyLimit
	}
	s := &Server{
		opts:      opts,
		id:        newID(),
		dir:       opts.Dir,
		slots:     make(chan struct{}, opts.ConcurrencyLimit),
		funcs:     map[string]*function{},
		codes:     map[string]*code{},
		faults:    map[Op]*fault{},
		sandboxes: map[*sandbox]struct{}{},
	}
	if s.dir == "" {
		d, err := os.MkdirTemp("", "fakelambda-")
		if err != nil {
			return nil, fmt.Errorf("fake lambda directory: %w", err)
		}
		s.dir, s.ownDir = d, true
	}
	s.rie, s.rieErr = opts.RIE, nil
	if s.rie == "" {
		s.rie, s.rieErr = FindRIE()
	}
	if s.rieErr == nil {
		s.envBin, s.rieErr = exec.LookPath("env")
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hs = httptest.NewUnstartedServer(s.routes())    // httptest binds 127.0.0.1
	s.hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the package never prints
	s.hs.Start()
	return s, nil
}

// URL is the endpoint to give the SDK client as BaseEndpoint.
func (s *Server) URL() string { return s.hs.URL }

// Close stops every execution environment (and every process they
// started), waits for the handlers, transitions and asynchronous
// invocations in flight, and removes the directory it created.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	var running []*sandbox
	for sb := range s.sandboxes {
		running = append(running, sb)
	}
	s.mu.Unlock()

	s.cancel()
	for _, sb := range running {
		s.retire(sb)
	}
	s.hs.Close()
	s.wg.Wait()
	// Environments started by handlers racing with Close retire themselves
	// (see startSandbox); this sweep catches anything that escaped.
	reap(s.id + "/")
	if s.ownDir {
		os.RemoveAll(s.dir)
	}
}

// routes maps the REST API's paths (from the SDK's operation schemas) to
// handlers.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /2015-03-31/functions", s.operation(OpCreateFunction, s.createFunction))
	mux.Handle("POST /2015-03-31/functions/{$}", s.operation(OpCreateFunction, s.createFunction))
	mux.Handle("GET /2015-03-31/functions", s.operation(OpListFunctions, s.listFunctions))
	mux.Handle("GET /2015-03-31/functions/{$}", s.operation(OpListFunctions, s.listFunctions))
	mux.Handle("GET /2015-03-31/functions/{name}", s.operation(OpGetFunction, s.getFunction))
	mux.Handle("GET /2015-03-31/functions/{name}/configuration", s.operation(OpGetFunctionConfiguration, s.getFunctionConfiguration))
	mux.Handle("PUT /2015-03-31/functions/{name}/code", s.operation(OpUpdateFunctionCode, s.updateFunctionCode))
	mux.Handle("PUT /2015-03-31/functions/{name}/configuration", s.operation(OpUpdateFunctionConfiguration, s.updateFunctionConfiguration))
	mux.Handle("DELETE /2015-03-31/functions/{name}", s.operation(OpDeleteFunction, s.deleteFunction))
	mux.Handle("POST /2015-03-31/functions/{name}/invocations", s.operation(OpInvoke, s.invoke))
	mux.HandleFunc("GET /_fakelambda/code/{name}", s.downloadCode)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errUnknownOperation(r.Method, r.URL.Path).write(w, newID())
	})
	return mux
}

// handler is one operation's body. It fills in the Call it is given and
// writes a success response itself, or returns the error to answer with.
type handler func(w http.ResponseWriter, r *http.Request, c *Call) *apiError

// operation wraps an operation's handler with what every request goes
// through: a request id, the authentication check, injected faults and the
// record of the call.
func (s *Server) operation(op Op, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Call{Op: op, Function: r.PathValue("name"), RequestID: newID()}
		rec := &statusRecorder{ResponseWriter: w}
		rec.Header().Set("X-Amzn-RequestId", c.RequestID)
		aerr := s.authenticate(r)
		if aerr == nil {
			aerr = s.takeFault(op)
		}
		if aerr == nil {
			aerr = h(rec, r, &c)
		}
		if aerr != nil {
			aerr.write(rec, c.RequestID)
			c.ErrorCode = aerr.code
		}
		c.Status = rec.status
		s.record(c)
	})
}

// authenticate checks that the request is SigV4-signed for this region and
// for lambda. The signature itself is not verified: the fake does not know
// the client's secret.
func (s *Server) authenticate(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errMissingAuthentication()
	}
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return errInvalidSignature("Authorization header requires the AWS4-HMAC-SHA256 algorithm.")
	}
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return errInvalidSignature("Authorization header requires 'Credential' parameter.")
	}
	cred, _, _ = strings.Cut(cred, ",")
	scope := strings.Split(cred, "/") // KEY/DATE/REGION/SERVICE/aws4_request
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return errInvalidSignature("Credential should be scoped to a valid region, not '%s'.", cred)
	}
	if scope[2] != s.opts.Region {
		return errInvalidSignature("Credential should be scoped to a valid region, not '%s'. ", scope[2])
	}
	if scope[3] != "lambda" {
		return errInvalidSignature("Credential should be scoped to correct service: 'lambda'. ")
	}
	return nil
}

// decodeBody reads a JSON request body of at most limit bytes into v.
func decodeBody(r *http.Request, limit int, op string, v any) *apiError {
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return errSerialization(err)
	}
	if len(b) > limit {
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLargeException", messageKey: "message", kind: "User",
			message: fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", limit, op)}
	}
	if len(b) == 0 {
		b = []byte("{}")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errValidation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must be of type %s", typeErr.Field, typeErr.Type)
		}
		return errSerialization(err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // response shapes always marshal
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// statusRecorder remembers the status a handler wrote, for the Call record.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// scheduleComplete runs complete for f after the configured delay, unless f was
// deleted (or replaced) or the server closed meanwhile. With a negative
// delay it completes at once. Called with s.mu held.
func (s *Server) scheduleComplete(f *function) {
	delay := s.opts.StateDelay
	if delay < 0 {
		s.completeLocked(f)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.funcs[f.name] == f {
			s.completeLocked(f)
		}
	}()
}

// completeLocked makes f's configuration live and retires the warm
// environments of the previous one: new code or configuration means new
// execution environments. Called with s.mu held.
func (s *Server) completeLocked(f *function) {
	old := f.idle
	f.idle = nil
	f.complete()
	for _, sb := range old {
		s.retireLater(sb)
	}
}

// SetStateDelay changes StateDelay for the creations and updates that
// start from now on, e.g. to hold an update InProgress while a test looks.
func (s *Server) SetStateDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == 0 {
		d = DefaultStateDelay
	}
	s.opts.StateDelay = d
}
