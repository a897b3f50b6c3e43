package faults

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func target(t *testing.T) *Proxy {
	t.Helper()
	body := strings.Repeat("x", 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	p, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// get returns the status, or "error" when the request or its body failed.
func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return "error"
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "error"
	}
	if resp.StatusCode == 200 && len(b) != 1000 {
		return "short"
	}
	return resp.Status
}

func TestProxyFailsFirstMatchingRequests(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want []string
	}{
		{"status twice", Rule{Status: 503, Times: 2}, []string{"503 Service Unavailable", "503 Service Unavailable", "200 OK"}},
		{"reset once", Rule{Reset: true, Times: 1}, []string{"error", "200 OK", "200 OK"}},
		{"body cut short", Rule{ResetAfter: 10, Times: 1}, []string{"error", "200 OK", "200 OK"}},
		{"only matching", Rule{Status: 429, Times: 5, Match: PathContains("/other")}, []string{"200 OK", "200 OK", "200 OK"}},
		{"forever", Rule{Status: 500, Times: -1}, []string{"500 Internal Server Error", "500 Internal Server Error", "500 Internal Server Error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := target(t)
			p.Add(tt.rule)
			// A fresh connection per request: Go's transport silently retries
			// some idempotent requests on a reused connection.
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			var got []string
			for range 3 {
				got = append(got, get(t, c, p.URL()+"/obj"))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong outcomes (-want +got):\n%s", diff)
			}
			if p.Requests() != 3 {
				t.Errorf("proxy saw %d requests, want 3", p.Requests())
			}
		})
	}
}
