package fakelambda

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sandbox is one execution environment: an emulator process running one
// function's bootstrap, which serves one invocation at a time.
type sandbox struct {
	id    string    // the value of markerEnv in its processes
	owner *function // the function it runs; compared by identity
	gen   int       // the owner's generation it runs
	sink  func(line string)

	cmd    *exec.Cmd
	url    string // the emulator's invoke endpoint
	client *http.Client
	proxy  *runtimeAPIProxy
	tmp    string
	logR   *os.File

	exited  chan struct{} // closed when the emulator has exited
	logDone chan struct{} // closed when its output is drained

	mu      sync.Mutex
	lines   []string      // output not yet handed to an invocation
	changed chan struct{} // closed and replaced when lines grows

	stopOnce sync.Once
}

// rapidLine matches the emulator's own log lines, which are not part of the
// function's log on the real service.
var rapidLine = regexp.MustCompile(`^\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[[A-Z]+\] \(rapid\)`)

// lambdaPath is PATH in the real service's environment.
const lambdaPath = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"

// startSandbox starts an emulator for d's code (unpacked in codeDir) and
// waits until it accepts invocations. A port taken between choosing and
// binding it makes the emulator exit; that is retried with new ports.
func (s *Server) startSandbox(ctx context.Context, d *deployment, owner *function, codeDir string) (*sandbox, error) {
	var errs []error
	for range 3 {
		sb, err := s.startSandboxOnce(ctx, d, owner, codeDir)
		if err == nil {
			return sb, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start execution environment for %q: %w", d.name, errors.Join(errs...))
}

func (s *Server) startSandboxOnce(ctx context.Context, d *deployment, owner *function, codeDir string) (*sandbox, error) {
	emuAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	rapiAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.seq++
	id := s.id + "/" + strconv.Itoa(s.seq)
	s.mu.Unlock()

	sb := &sandbox{
		id:      id,
		owner:   owner,
		gen:     d.gen,
		url:     "http://" + emuAddr + "/2015-03-31/functions/function/invocations",
		client:  &http.Client{Transport: &http.Transport{}},
		exited:  make(chan struct{}),
		logDone: make(chan struct{}),
		changed: make(chan struct{}),
	}
	sb.sink = func(line string) { s.functionLog(owner, line) }
	if sb.tmp, err = os.MkdirTemp(s.dir, "tmp-"); err != nil {
		return nil, err
	}
	if sb.proxy, err = startRuntimeAPIProxy(rapiAddr, d.arn); err != nil {
		os.RemoveAll(sb.tmp)
		return nil, err
	}
	logR, logW, err := os.Pipe()
	if err != nil {
		sb.proxy.close()
		os.RemoveAll(sb.tmp)
		return nil, err
	}
	sb.logR = logR
	cfg := d.cfg
	// The emulator runs its last arguments as the runtime. env(1) points the
	// runtime at the proxy (the emulator would otherwise set
	// AWS_LAMBDA_RUNTIME_API to itself) and sets _HANDLER, which the
	// emulator would set to the last argument.
	sb.cmd = exec.Command(s.rie,
		"--log-level", "error",
		"--runtime-interface-emulator-address", emuAddr,
		"--runtime-api-address", rapiAddr,
		s.envBin, "AWS_LAMBDA_RUNTIME_API="+sb.proxy.addr, "_HANDLER="+cfg.handler,
		filepath.Join(codeDir, "bootstrap"))
	sb.cmd.Dir = codeDir
	sb.cmd.Env = s.functionEnv(d, codeDir, sb)
	sb.cmd.Stdout = logW
	sb.cmd.Stderr = logW
	sb.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := sb.cmd.Start(); err != nil {
		logW.Close()
		logR.Close()
		sb.proxy.close()
		os.RemoveAll(sb.tmp)
		return nil, fmt.Errorf("start %s: %w", s.rie, err)
	}
	logW.Close()
	go sb.readLogs()
	go func() {
		sb.cmd.Wait()
		close(sb.exited)
	}()

	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.sandboxes[sb] = struct{}{}
	}
	s.mu.Unlock()
	if closed {
		sb.stop()
		return nil, errors.New("server closed")
	}

	if err := sb.waitReady(ctx, emuAddr, rapiAddr); err != nil {
		s.retire(sb)
		return nil, fmt.Errorf("%w; emulator output: %s", err, strings.Join(sb.takeLines(), "\n"))
	}
	return sb, nil
}

// functionEnv is the emulator's environment, which it passes on whole to
// the runtime: the variables the real service sets (with this machine's
// paths), the test's credentials and extras, the function's own variables,
// and the process marker.
func (s *Server) functionEnv(d *deployment, codeDir string, sb *sandbox) []string {
	cfg := d.cfg
	env := map[string]string{
		"PATH":                            lambdaPath,
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"LAMBDA_TASK_ROOT":                codeDir,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"TMPDIR":                          sb.tmp,
		"AWS_REGION":                      s.opts.Region,
		"AWS_DEFAULT_REGION":              s.opts.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        d.name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cfg.memory),
		"AWS_LAMBDA_FUNCTION_VERSION":     latest,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       cfg.logging.LogGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + strings.ReplaceAll(newID(), "-", ""),
		// Read by the emulator: it gives the runtime this deadline and
		// enforces it.
		"AWS_LAMBDA_FUNCTION_TIMEOUT": strconv.Itoa(cfg.timeout),
		"AWS_ACCESS_KEY_ID":           s.opts.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       s.opts.Credentials.SecretAccessKey,
		"AWS_SESSION_TOKEN":           s.opts.Credentials.SessionToken,
	}
	maps.Copy(env, s.opts.Env)
	maps.Copy(env, cfg.env)
	env[markerEnv] = sb.id
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady waits until the emulator listens on both its addresses.
func (sb *sandbox) waitReady(ctx context.Context, addrs ...string) error {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		ready := true
		for _, a := range addrs {
			ready = ready && listensOn(sb.cmd.Process.Pid, a)
		}
		if ready {
			return nil
		}
		select {
		case <-sb.exited:
			return fmt.Errorf("emulator exited before listening on %v", addrs)
		case <-deadline.C:
			return fmt.Errorf("emulator not listening on %v after 10s", addrs)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// readLogs collects the emulator's and runtime's output line by line.
func (sb *sandbox) readLogs() {
	defer close(sb.logDone)
	sc := bufio.NewScanner(sb.logR)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if rapidLine.MatchString(line) {
			continue
		}
		sb.sink(line)
		sb.mu.Lock()
		sb.lines = append(sb.lines, line)
		close(sb.changed)
		sb.changed = make(chan struct{})
		sb.mu.Unlock()
	}
}

// takeLines hands over the output collected so far.
func (sb *sandbox) takeLines() []string {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	out := sb.lines
	sb.lines = nil
	return out
}

// invocationLog waits (briefly) for the emulator's REPORT line of
// invocation id and returns the output up to it: the invocation's log.
func (sb *sandbox) invocationLog(id string, wait time.Duration) []string {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	report := "REPORT RequestId: " + id
	for {
		sb.mu.Lock()
		for i, l := range sb.lines {
			if strings.HasPrefix(l, report) {
				out := slices.Clone(sb.lines[:i+1])
				sb.lines = slices.Clone(sb.lines[i+1:])
				sb.mu.Unlock()
				return out
			}
		}
		changed := sb.changed
		sb.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return sb.takeLines()
		case <-sb.logDone:
			return sb.takeLines()
		}
	}
}

// invoke sends one invocation to the emulator and returns its status and
// body.
func (sb *sandbox) invoke(ctx context.Context, id, clientContext string, payload []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sb.url, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", id)
	if clientContext != "" {
		req.Header.Set("X-Amz-Client-Context", clientContext)
	}
	resp, err := sb.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

// stop kills the emulator and every process it started, and releases what
// the environment held. It is idempotent.
func (sb *sandbox) stop() {
	sb.stopOnce.Do(func() {
		if sb.cmd.Process != nil {
			syscall.Kill(-sb.cmd.Process.Pid, syscall.SIGKILL)
			<-sb.exited
		}
		reap(sb.id)
		sb.proxy.close()
		sb.client.CloseIdleConnections()
		select {
		case <-sb.logDone:
		case <-time.After(2 * time.Second):
			// A process holding the pipe escaped the sweep; stop reading.
		}
		sb.logR.Close()
		os.RemoveAll(sb.tmp)
	})
}
