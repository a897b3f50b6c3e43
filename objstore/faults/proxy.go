package faults

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Rule fails requests that Match, Times times (or forever when Times < 0).
// Exactly one of Status, Reset and ResetAfter says how.
type Rule struct {
	// Name identifies the rule in Proxy.Injected.
	Name  string
	Match func(*http.Request) bool // nil matches every request
	Times int
	// Status answers with this status, Header and Body instead of
	// forwarding.
	Status int
	Header http.Header
	Body   string
	// Reset closes the connection with a TCP reset instead of answering,
	// after reading the request.
	Reset bool
	// ResetAfter forwards the request but resets the connection after this
	// many bytes of the response body (a body cut short).
	ResetAfter int64
}

// Proxy forwards requests to a target server, failing some on purpose.
type Proxy struct {
	srv       *httptest.Server
	target    *url.URL
	transport *http.Transport

	mu        sync.Mutex
	bandwidth int64 // bytes per second per response; 0 is unlimited
	rules     []*rule
	requests  int
	injected  map[string]int
}

type rule struct {
	Rule
	left int
}

// New starts a proxy on 127.0.0.1 in front of target (a base URL such as
// "http://127.0.0.1:9000"). Close it when done.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("fault proxy target %q: %w", target, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("fault proxy target %q: want http://host:port", target)
	}
	p := &Proxy{
		target:    u,
		transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, DisableCompression: true},
		injected:  map[string]int{},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	return p, nil
}

// URL is the proxy's base URL; point the client at it instead of the target.
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.transport.CloseIdleConnections()
}

// Add installs a rule. Rules are tried in the order added; the first that
// matches a request and has failures left fails it.
func (p *Proxy) Add(r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Name == "" {
		r.Name = fmt.Sprintf("rule %d", len(p.rules)+1)
	}
	p.rules = append(p.rules, &rule{Rule: r, left: r.Times})
}

// SetBandwidth caps the rate at which each response body is sent, in bytes
// per second (0 lifts the cap): a model of a store whose throughput per
// request is limited, as S3's is, for benchmarks of parallel reads.
func (p *Proxy) SetBandwidth(bytesPerSecond int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bandwidth = bytesPerSecond
}

// Clear removes every rule and zeroes the counters.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
	p.requests = 0
	p.injected = map[string]int{}
}

// Requests is how many requests reached the proxy.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Injected is how many faults each rule (by Name) injected.
func (p *Proxy) Injected() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.injected))
	for k, v := range p.injected {
		out[k] = v
	}
	return out
}

// pick returns the rule that fails r, if any, and counts it.
func (p *Proxy) pick(r *http.Request) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	for _, ru := range p.rules {
		if ru.left == 0 || (ru.Match != nil && !ru.Match(r)) {
			continue
		}
		if ru.left > 0 {
			ru.left--
		}
		p.injected[ru.Name]++
		return &ru.Rule
	}
	return nil
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	ru := p.pick(r)
	switch {
	case ru == nil, ru.ResetAfter > 0:
	case ru.Reset:
		io.Copy(io.Discard, r.Body)
		reset(w)
		return
	default:
		io.Copy(io.Discard, r.Body)
		for k, vs := range ru.Header {
			w.Header()[k] = vs
		}
		if ru.Body != "" {
			w.Header().Set("Content-Length", fmt.Sprint(len(ru.Body)))
		}
		w.WriteHeader(ru.Status)
		io.WriteString(w, ru.Body)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = p.target.Scheme
	out.URL.Host = p.target.Host
	out.Host = r.Host // signatures may cover the Host the client used
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if ru != nil && ru.ResetAfter > 0 {
		io.CopyN(w, resp.Body, ru.ResetAfter)
		http.NewResponseController(w).Flush()
		reset(w)
		return
	}
	p.mu.Lock()
	bw := p.bandwidth
	p.mu.Unlock()
	if bw <= 0 {
		io.Copy(w, resp.Body)
		return
	}
	paced(w, resp.Body, bw)
}

// paced copies src to w at about bw bytes per second.
func paced(w http.ResponseWriter, src io.Reader, bw int64) {
	buf := make([]byte, 64<<10)
	start := time.Now()
	var sent int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
			due := start.Add(time.Duration(float64(sent) / float64(bw) * float64(time.Second)))
			time.Sleep(time.Until(due))
		}
		if err != nil {
			return
		}
	}
}

// reset closes the client's connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("fault proxy: hijack: %v", err))
	}
	flush(buf)
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func flush(buf *bufio.ReadWriter) {
	if buf != nil {
		buf.Flush()
	}
}

// Method matches requests with one of these methods.
func Method(methods ...string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		return false
	}
}

// PathContains matches requests whose (escaped) path contains s.
func PathContains(s string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.Contains(r.URL.EscapedPath(), s) }
}

// HasQuery matches requests with this query parameter.
func HasQuery(name string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Query().Has(name) }
}

// HasHeader matches requests with this header.
func HasHeader(name string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get(name) != "" }
}

// All matches requests that every matcher matches.
func All(ms ...func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if !m(r) {
				return false
			}
		}
		return true
	}
}

// Any matches requests that at least one matcher matches.
func Any(ms ...func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if m(r) {
				return true
			}
		}
		return false
	}
}

// Not matches requests that m does not match.
func Not(m func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool { return !m(r) }
}
