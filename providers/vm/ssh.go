package vm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"lithops/remote"
)

// defaultIdentities are the private keys OpenSSH offers when none is
// configured, under ~/.ssh.
var defaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// sshConfig is how to log in with the given ssh block settings: the
// configured key file, or else the default identities that exist and are
// not behind a passphrase; the agent, if any; and the known_hosts file, or
// for a Machine the one host key it may present. It never produces a
// Config that skips host key verification: remote.Dial refuses one without
// known_hosts files or a host key.
func (b *Backend) sshConfig(keyFile, knownHosts, hostKey string) (remote.Config, error) {
	cfg := remote.Config{
		AgentSocket:       b.AgentSocket,
		KnownHostsFiles:   []string{knownHosts},
		ConnectTimeout:    b.Timing.Connect,
		KeepaliveInterval: b.Timing.KeepaliveInterval,
		KeepaliveTimeout:  b.Timing.KeepaliveTimeout,
	}
	switch {
	case hostKey != "":
		cfg.KnownHostsFiles, cfg.HostKey = nil, hostKey
	case knownHosts == "":
		return remote.Config{}, errors.New("no known_hosts file to verify host keys with")
	}
	if keyFile != "" {
		cfg.PrivateKeyFiles = []string{keyFile}
		return cfg, nil
	}
	if b.Home != "" {
		for _, name := range defaultIdentities {
			p := filepath.Join(b.Home, ".ssh", name)
			pem, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			// A key behind a passphrase is the agent's to offer.
			if _, err := ssh.ParsePrivateKey(pem); err == nil {
				cfg.PrivateKeyFiles = append(cfg.PrivateKeyFiles, p)
			}
		}
	}
	if len(cfg.PrivateKeyFiles) == 0 && cfg.AgentSocket == "" {
		return remote.Config{}, errors.New("no SSH credentials: set ssh { private_key_file = \"~/.ssh/KEY\" }, or run an SSH agent (SSH_AUTH_SOCK) holding the key")
	}
	return cfg, nil
}

// dial connects to h with the ssh block settings (or a Machine's key and
// host key), verifying its host key.
func (b *Backend) dial(ctx context.Context, h remote.Host, keyFile, knownHosts, hostKey string) (*remote.Conn, error) {
	cfg, err := b.sshConfig(keyFile, knownHosts, hostKey)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", h, err)
	}
	return remote.Dial(ctx, h, cfg)
}

// unreachable reports whether err says only that the host could not be
// reached (refused, no route, timed out, lost): not a refused host key,
// not a failed login, not a local problem.
func unreachable(err error) bool {
	var hke *remote.HostKeyError
	if errors.As(err, &hke) {
		return false
	}
	var ne *net.OpError
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, remote.ErrConnLost)
}

// isHostKeyError reports whether err is a refused host key.
func isHostKeyError(err error) bool {
	var hke *remote.HostKeyError
	return errors.As(err, &hke)
}
