package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"lithops/objstore"
	"lithops/objstore/faults"
)

// FaultHarness is a store that talks to its server through Proxy.
type FaultHarness struct {
	Proxy *faults.Proxy
	Store objstore.Store
	// Attempts is the store's configured number of attempts per request.
	Attempts int
	// PartSize is the size above which the store uploads in parts.
	PartSize int64
	// Transient lists how the service fails transiently (each with Status
	// or Reset set): throttling as the service spells it, 500s, resets.
	// Times and, when nil, Match are set by the suite.
	Transient []faults.Rule
	// Extra are further cases aimed at one operation, each with its own
	// Match and Times (e.g. failing parts in the middle of an upload).
	Extra []Fault
}

// Fault is a rule aimed at one operation of the suite: "put", "put large",
// "get", "get range", "head", "list" or "delete".
type Fault struct {
	Op   string
	Rule faults.Rule
}

type op struct {
	name string
	body bool // reads a response body worth cutting short
	run  func(ctx context.Context, s objstore.Store) error
}

// Faults checks that every operation succeeds when the first requests fail
// transiently, that a read whose body is cut short resumes, and that
// persistent faults give an error naming the object.
func Faults(t *testing.T, h FaultHarness) {
	ctx := context.Background()
	s := h.Store
	small := []byte("small object\n")
	large := bytes.Repeat([]byte("0123456789abcdef"), int(2*h.PartSize/16+100))
	Put(t, s, "fault/get", large)
	Put(t, s, "fault/list/a", small)
	Put(t, s, "fault/list/b", small)
	ops := []op{
		{"put", false, func(ctx context.Context, s objstore.Store) error {
			_, err := s.Put(ctx, "fault/put", bytes.NewReader(small), int64(len(small)))
			return err
		}},
		{"put large", false, func(ctx context.Context, s objstore.Store) error {
			if _, err := s.Put(ctx, "fault/put-large", bytes.NewReader(large), -1); err != nil {
				return err
			}
			return equal(ctx, s, "fault/put-large", large)
		}},
		{"get", true, func(ctx context.Context, s objstore.Store) error {
			return equal(ctx, s, "fault/get", large)
		}},
		{"get range", true, func(ctx context.Context, s objstore.Store) error {
			rc, err := s.GetRange(ctx, "fault/get", 5, int64(len(large))-10)
			if err != nil {
				return err
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, large[5:len(large)-5]) {
				return fmt.Errorf("range read back %d bytes that differ", len(got))
			}
			return nil
		}},
		{"head", false, func(ctx context.Context, s objstore.Store) error {
			info, err := s.Head(ctx, "fault/get")
			if err == nil && info.Size != int64(len(large)) {
				err = fmt.Errorf("head: size %d, want %d", info.Size, len(large))
			}
			return err
		}},
		{"list", false, func(ctx context.Context, s objstore.Store) error {
			n := 0
			err := s.List(ctx, "fault/list/", func(objstore.ObjectInfo) error { n++; return nil })
			if err == nil && n != 2 {
				err = fmt.Errorf("listed %d objects, want 2", n)
			}
			return err
		}},
		{"delete", false, func(ctx context.Context, s objstore.Store) error {
			return s.Delete(ctx, "fault/put")
		}},
	}
	var cases []Fault
	for _, r := range h.Transient {
		r.Times = 2
		for _, o := range ops {
			cases = append(cases, Fault{o.name, r})
		}
	}
	cut := faults.Rule{Name: "body cut short", ResetAfter: 1000, Times: 2, Match: faults.Method("GET")}
	cases = append(cases, Fault{"get", cut}, Fault{"get range", cut})
	cases = append(cases, h.Extra...)
	for _, c := range cases {
		r := c.Rule
		r.Name = name(r)
		i := slices.IndexFunc(ops, func(o op) bool { return o.name == c.Op })
		if i < 0 {
			t.Fatalf("fault %q aimed at unknown operation %q", r.Name, c.Op)
		}
		o := ops[i]
		t.Run(r.Name+"/"+o.name, func(t *testing.T) {
			h.Proxy.Clear()
			defer h.Proxy.Clear()
			h.Proxy.Add(r)
			err := o.run(ctx, s)
			injected := h.Proxy.Injected()[r.Name]
			if err != nil {
				t.Fatalf("%s failed through %d injected faults: %v", o.name, injected, err)
			}
			if injected != r.Times {
				t.Errorf("%d faults injected, want %d: the rule missed the operation", injected, r.Times)
			}
		})
	}
	t.Run("persistent", func(t *testing.T) {
		for _, o := range ops {
			t.Run(o.name, func(t *testing.T) {
				h.Proxy.Clear()
				h.Proxy.Add(faults.Rule{Name: "503 forever", Status: 503, Times: -1})
				defer h.Proxy.Clear()
				err := o.run(ctx, s)
				if err == nil {
					t.Fatalf("%s succeeded through persistent 503s", o.name)
				}
				t.Logf("error: %v", err)
				if msg := err.Error(); !strings.Contains(msg, "fault/") || !strings.Contains(msg, "503") {
					t.Errorf("error %q does not name the object and the status", msg)
				}
				if o.name == "head" && h.Proxy.Requests() != h.Attempts {
					t.Errorf("head made %d requests, want the %d attempts configured", h.Proxy.Requests(), h.Attempts)
				}
			})
		}
	})
}

func name(r faults.Rule) string {
	if r.Name != "" {
		return r.Name
	}
	switch {
	case r.Reset:
		return "reset"
	case r.ResetAfter > 0:
		return "body cut short"
	}
	return fmt.Sprint(r.Status)
}

func equal(ctx context.Context, s objstore.Store, key string, want []byte) error {
	rc, _, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return errors.New("read back different bytes")
	}
	return nil
}
