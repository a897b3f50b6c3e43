package remote

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"lithops/internal/testhosts"

	"golang.org/x/crypto/ssh/agent"
)

// silentServer accepts TCP connections on 127.0.0.1 and never speaks.
func silentServer(t *testing.T) Host {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	return Host{User: "ops", Addr: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
}

// silentConfig logs in with an empty agent: no key file is needed, and the
// login never gets that far.
func silentConfig(t *testing.T) Config {
	return Config{
		AgentSocket: testhosts.ServeAgent(t, agent.NewKeyring()),
		HostKey:     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJb87pPYpt11uTLOoxoA3dt8ibGpgymsxrp9uBSw2hEZ",
	}
}

func TestDialTimesOutOnASilentServer(t *testing.T) {
	h := silentServer(t)
	cfg := silentConfig(t)
	cfg.ConnectTimeout = 200 * time.Millisecond
	_, err := Dial(context.Background(), h, cfg)
	if err == nil || !strings.Contains(err.Error(), "no login within 200ms") {
		t.Errorf("wrong error %v", err)
	}
}

func TestDialStopsWhenCancelled(t *testing.T) {
	h := silentServer(t)
	cfg := silentConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Dial(ctx, h, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial after cancel: %v, want context.Canceled", err)
	}
}
