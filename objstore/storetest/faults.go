package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	// Extra are further cases, each with its own Match and Times, run
	// against every operation (e.g. failing the middle part of an upload).
	Extra []faults.Rule
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
	var rules []faults.Rule
	for _, r := range h.Transient {
		r.Times = 2
		rules = append(rules, r)
	}
	rules = append(rules, faults.Rule{Name: "body cut short", ResetAfter: 1000, Times: 2, Match: faults.Method("GET")})
	rules = append(rules, h.Extra...)
	for _, r := range rules {
		r.Name = name(r)
		for _, o := range ops {
			if r.ResetAfter > 0 && !o.body {
				continue
			}
			t.Run(name(r)+"/"+o.name, func(t *testing.T) {
				h.Proxy.Clear()
				h.Proxy.Add(r)
				if err := o.run(ctx, s); err != nil {
					t.Fatalf("%s failed through %d injected faults: %v", o.name, h.Proxy.Injected()[name(r)], err)
				}
				h.Proxy.Clear()
			})
		}
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
