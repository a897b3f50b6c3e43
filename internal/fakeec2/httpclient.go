package fakeec2

import (
	"io"
	"net/http"
)

// HTTPClient returns an HTTP client to give the SDK (ec2.Options.HTTPClient)
// in tests that make one attempt per call. It works around a client-side
// race that a server answering in microseconds exposes: smithy-go closes
// the request body as soon as the response headers arrive, and its closed
// body's WriteTo returns io.EOF, which net/http's write loop, still doing
// its final read of the body, takes for a failure and answers by closing
// the connection under the response being read ("use of closed network
// connection", aws/aws-sdk-go-v2#2737). Against EC2 the SDK's default
// retryer retries that error; this client hides WriteTo from request
// bodies so it never happens. Its idle connections close with the server.
func (s *Server) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	s.mu.Lock()
	s.transports = append(s.transports, tr)
	s.mu.Unlock()
	return &http.Client{Transport: plainBodies{tr}}
}

// plainBodies sends request bodies as plain readers.
type plainBodies struct{ next http.RoundTripper }

func (p plainBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req = req.Clone(req.Context())
		req.Body = plainBody{req.Body}
	}
	return p.next.RoundTrip(req)
}

// plainBody is an io.ReadCloser and nothing else.
type plainBody struct{ rc io.ReadCloser }

func (b plainBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b plainBody) Close() error               { return b.rc.Close() }
