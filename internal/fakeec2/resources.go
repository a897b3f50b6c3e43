package fakeec2

import (
	"net/url"
	"slices"
	"strings"
)

// Resource is something that would cost money or block a cleanup on EC2:
// an instance that is not terminated (stopped ones included), a key pair,
// or a security group other than the VPC's default one.
type Resource struct {
	Kind string // "instance", "key-pair" or "security-group"
	ID   string
	// Name is the key pair's or group's name, the instance's Name tag.
	Name string
	// State is the instance's state; empty for other kinds.
	State State
}

// Resources lists every live resource, sorted by kind then ID, so a test
// can assert that a destroy left nothing behind.
func (s *Server) Resources() []Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Resource
	for _, in := range s.instances {
		if in.State != Terminated {
			out = append(out, Resource{Kind: "instance", ID: in.ID, Name: in.Tags["Name"], State: in.State})
		}
	}
	for _, k := range s.keyPairs {
		out = append(out, Resource{Kind: "key-pair", ID: k.id, Name: k.name})
	}
	for _, g := range s.groups {
		if !g.isDefault {
			out = append(out, Resource{Kind: "security-group", ID: g.id, Name: g.name})
		}
	}
	slices.SortFunc(out, func(a, b Resource) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Call is one request the server answered.
type Call struct {
	Action string
	// Params are the request's form values, Action and Version included.
	Params url.Values
	// Code is the error code answered, empty on success.
	Code string
	// Status is the HTTP status answered.
	Status int
	// Attempt is the SDK's attempt number for this operation call (1 for
	// the first try, 2 for the first retry), 0 when the client did not say.
	Attempt int
}

// Calls returns every request answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = cloneValues(c.Params)
		out[i] = c
	}
	return out
}

// Actions returns the action of every request answered so far, in order:
// the short form of Calls for asserting a sequence.
func (s *Server) Actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.Action
	}
	return out
}
