package testhosts

import (
	"net"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh/agent"
)

// ServeAgent serves keyring as an SSH agent on a unix socket until tb
// ends, and returns the socket's path (what SSH_AUTH_SOCK would hold).
func ServeAgent(tb testing.TB, keyring agent.Agent) string {
	tb.Helper()
	sock := filepath.Join(tb.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); agent.ServeAgent(keyring, c) })
		}
	})
	return sock
}
