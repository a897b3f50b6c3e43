package fakeec2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value is a working us-east-1 account
// with a default VPC and subnet, the default images and instance types, the
// default address pool and a MemoryHost.
type Options struct {
	// Region names availability zones and ARNs; default "us-east-1".
	Region string
	// AccountID owns every resource; default "123456789012".
	AccountID string
	// Addresses is the pool instances draw their private and public IPv4
	// addresses from, in order; a terminated instance's address returns to
	// the end of the pool. When the pool is empty RunInstances fails with
	// InsufficientFreeAddressesInSubnet. Default: DefaultAddresses(250).
	Addresses []Address
	// Host backs instances; default a new MemoryHost.
	Host Host
	// BootDelay is how long an instance stays pending after Host.Start
	// returns. Zero: it is running as soon as Start returns.
	BootDelay time.Duration
	// ShutdownDelay is how long an instance stays shutting-down (or
	// stopping) after Host.Stop returns.
	ShutdownDelay time.Duration
	// TerminatedRetention is how long a terminated instance stays visible
	// to DescribeInstances; default one hour, as on EC2.
	TerminatedRetention time.Duration
	// StaleDescribes makes a new instance invisible to the first N
	// requests that would show it or act on it (DescribeInstances,
	// TerminateInstances, CreateTags): InvalidInstanceID.NotFound when named
	// by ID, missing from listings. This is the eventual consistency EC2
	// documents after RunInstances.
	StaleDescribes int
	// Images are what DescribeImages knows; default DefaultImages().
	Images []Image
	// InstanceTypes are the valid instance types; default
	// DefaultInstanceTypes().
	InstanceTypes []InstanceType
	// Now is the clock for launch, creation and termination times and for
	// TerminatedRetention; default time.Now.
	Now func() time.Time
}

// Server is a fake EC2 endpoint. Its methods are safe for concurrent use.
type Server struct {
	http   *httptest.Server
	opts   Options
	host   Host
	now    func() time.Time
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every instance state change
	ids        map[string]int
	requests   int
	calls      []Call
	hostErrs   []error
	instances  []*instance // launch order, pruned after TerminatedRetention
	tokens     map[string]*clientToken
	keyPairs   []*keyPair
	groups     []*securityGroup
	vpc        *vpc
	subnet     *subnet
	images     []Image
	types      map[string]InstanceType
	typeOrder  []string
	pool       []Address
	faults     []*Fault
	refuse     int
	limits     []*CapacityLimit
	transports []*http.Transport // from HTTPClient, closed with the server
}

// New starts a Server on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Addresses == nil {
		opts.Addresses = DefaultAddresses(250)
	}
	if opts.TerminatedRetention == 0 {
		opts.TerminatedRetention = time.Hour
	}
	if opts.Images == nil {
		opts.Images = DefaultImages()
	}
	if opts.InstanceTypes == nil {
		opts.InstanceTypes = DefaultInstanceTypes()
	}
	s := &Server{
		opts:    opts,
		host:    opts.Host,
		now:     opts.Now,
		changed: make(chan struct{}),
		ids:     map[string]int{},
		tokens:  map[string]*clientToken{},
		types:   map[string]InstanceType{},
		pool:    append([]Address(nil), opts.Addresses...),
		images:  append([]Image(nil), opts.Images...),
	}
	if s.host == nil {
		s.host = &MemoryHost{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, t := range opts.InstanceTypes {
		s.types[t.Name] = t
		s.typeOrder = append(s.typeOrder, t.Name)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.initNetwork()
	s.http = httptest.NewServer(s)
	return s
}

// URL is the endpoint to give the SDK as BaseEndpoint.
func (s *Server) URL() string { return s.http.URL }

// Region is the region the server pretends to be.
func (s *Server) Region() string { return s.opts.Region }

// AccountID is the account that owns every resource.
func (s *Server) AccountID() string { return s.opts.AccountID }

// Close stops serving, cancels instance transitions in flight, stops the
// backing host of every instance whose host is still up, and waits for all
// of it. It returns the errors Host.Stop reported during the server's life.
func (s *Server) Close() error {
	s.http.Close()
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tr := range s.transports {
		tr.CloseIdleConnections()
	}
	return errors.Join(s.hostErrs...)
}

// newID returns a deterministic identifier in EC2's format: the prefix, a
// dash and 17 hex digits, different for every call on one server.
func (s *Server) newID(prefix string) string {
	s.ids[prefix]++
	sum := sha256.Sum256([]byte(prefix + "/" + strconv.Itoa(s.ids[prefix])))
	return prefix + "-0" + hex.EncodeToString(sum[:])[:16]
}

// newSeqID is newID with the sequence number it used, which orders
// resources of one kind by creation.
func (s *Server) newSeqID(prefix string) (string, int) {
	id := s.newID(prefix)
	return id, s.ids[prefix]
}

func (s *Server) newRequestID() string {
	s.requests++
	sum := sha256.Sum256([]byte("request/" + strconv.Itoa(s.requests)))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// notify wakes WaitState callers; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

const xmlns = "http://ec2.amazonaws.com/doc/2016-11-15/"

// response is what a handler returns; the request ID goes in by setRequestID.
type response interface{ setRequestID(string) }

type meta struct {
	RequestID string `xml:"requestId"`
}

func (m *meta) setRequestID(id string) { m.RequestID = id }

type handler func(s *Server, p params) (response, error)

// handler returns the handler of an action.
func handlerFor(action string) (handler, bool) {
	switch action {
	case "RunInstances":
		return (*Server).runInstances, true
	case "DescribeInstances":
		return (*Server).describeInstances, true
	case "TerminateInstances":
		return (*Server).terminateInstances, true
	case "CreateTags":
		return (*Server).createTags, true
	case "DeleteTags":
		return (*Server).deleteTags, true
	case "ImportKeyPair":
		return (*Server).importKeyPair, true
	case "DeleteKeyPair":
		return (*Server).deleteKeyPair, true
	case "DescribeKeyPairs":
		return (*Server).describeKeyPairs, true
	case "CreateSecurityGroup":
		return (*Server).createSecurityGroup, true
	case "DeleteSecurityGroup":
		return (*Server).deleteSecurityGroup, true
	case "DescribeSecurityGroups":
		return (*Server).describeSecurityGroups, true
	case "AuthorizeSecurityGroupIngress":
		return (*Server).authorizeSecurityGroupIngress, true
	case "RevokeSecurityGroupIngress":
		return (*Server).revokeSecurityGroupIngress, true
	case "DescribeImages":
		return (*Server).describeImages, true
	case "DescribeVpcs":
		return (*Server).describeVpcs, true
	case "DescribeSubnets":
		return (*Server).describeSubnets, true
	case "DescribeInstanceTypes":
		return (*Server).describeInstanceTypes, true
	}
	return nil, false
}

// ServeHTTP answers one EC2 Query request. Requests are served one at a
// time: EC2's own consistency is weaker, so nothing a backend relies on is
// lost by serialising them.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p := params(r.Form)
	action := p.str("Action")

	s.mu.Lock()
	requestID := s.newRequestID()
	call := Call{Action: action, Params: cloneValues(r.Form), Attempt: sdkAttempt(r.Header)}
	resp, err := s.serve(r, p, action)
	var body []byte
	if err == nil {
		resp.setRequestID(requestID)
		body, err = marshalResponse(action, resp)
	}
	status := http.StatusOK
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = errf("InternalError", "An internal error has occurred: %v", err)
		}
		status = statusFor(ae.Code)
		call.Code = ae.Code
		body = marshalError(ae, requestID)
	}
	call.Status = status
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) serve(r *http.Request, p params, action string) (response, error) {
	s.prune()
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return nil, errf("AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	if action == "" {
		return nil, errf("MissingAction", "The request must contain the parameter Action")
	}
	if err := s.takeFault(action); err != nil {
		return nil, err
	}
	h, ok := handlerFor(action)
	if !ok {
		return nil, errf("InvalidAction", "The action %s is not valid for this web service.", action)
	}
	if v := p.str("Version"); v == "" {
		return nil, errMissing("Version")
	}
	return h(s, p)
}

func marshalResponse(action string, resp response) ([]byte, error) {
	var b strings.Builder
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	if err := enc.EncodeElement(resp, start); err != nil {
		return nil, fmt.Errorf("encode %s response: %w", action, err)
	}
	return []byte(b.String()), nil
}

type xmlErrorResponse struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []xmlError `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

type xmlError struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func marshalError(e *apiError, requestID string) []byte {
	out, err := xml.Marshal(xmlErrorResponse{Errors: []xmlError{{Code: e.Code, Message: e.Message}}, RequestID: requestID})
	if err != nil {
		// Marshalling two strings cannot fail; keep the response well formed anyway.
		return []byte("<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>")
	}
	return append([]byte(xml.Header), out...)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// sdkAttempt reads the attempt number from the SDK's amz-sdk-request header
// ("attempt=2; max=3"); 0 when absent.
func sdkAttempt(h http.Header) int {
	for _, part := range strings.Split(h.Get("Amz-Sdk-Request"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "attempt="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// timestamp formats t the way EC2 writes dateTime values.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
