package fakelambda

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
)

// runtimeAPIProxy sits between a function's runtime and the emulator's
// Runtime API and watches what the runtime reports. The emulator answers a
// function error (the runtime's POST .../invocation/ID/error) exactly like a
// success, 200 and the error document as the body, so without this the fake
// could not tell a failed invocation from one that returned a document that
// looks like an error; the real service sets X-Amz-Function-Error from that
// very call.
type runtimeAPIProxy struct {
	addr string
	srv  *http.Server
	tr   *http.Transport

	mu     sync.Mutex
	errors map[string]string // invocation id → Lambda-Runtime-Function-Error-Type
}

var invocationErrorPath = regexp.MustCompile(`^/2018-06-01/runtime/invocation/([^/]+)/error$`)

// startRuntimeAPIProxy listens on a loopback port and forwards to the
// emulator's Runtime API at target (host:port). It also corrects the
// function ARN the emulator hands the runtime (it makes one up with account
// 012345678912) to functionARN.
func startRuntimeAPIProxy(target, functionARN string) (*runtimeAPIProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &runtimeAPIProxy{addr: ln.Addr().String(), tr: &http.Transport{}, errors: map[string]string{}}
	u := &url.URL{Scheme: "http", Host: target}
	// The package never prints: the proxy's server and transport log lines
	// are discarded.
	quiet := log.New(io.Discard, "", 0)
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport:     p.tr,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			if resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") != "" {
				resp.Header.Set("Lambda-Runtime-Invoked-Function-Arn", functionARN)
			}
			return nil
		},
		// The runtime's long poll breaks when its environment is stopped;
		// that is not worth a log line.
		ErrorLog: quiet,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{ErrorLog: quiet, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := invocationErrorPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
			p.mu.Lock()
			p.errors[m[1]] = r.Header.Get("Lambda-Runtime-Function-Error-Type")
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

// reportedError says whether the runtime reported invocation id as failed.
func (p *runtimeAPIProxy) reportedError(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.errors[id]
	delete(p.errors, id)
	return ok
}

func (p *runtimeAPIProxy) close() {
	p.srv.Close()
	p.tr.CloseIdleConnections()
}
