package remote

import (
	"fmt"
	"path/filepath"
	"time"
)

// Config says how to log in to hosts and how to recognise them. Dial refuses
// a Config that cannot verify host keys: there is no option to skip the check.
type Config struct {
	// PrivateKeyFiles are private keys to offer, unencrypted (a key behind a
	// passphrase belongs in the agent).
	PrivateKeyFiles []string
	// AgentSocket is the SSH agent's socket (the caller's SSH_AUTH_SOCK);
	// empty means no agent. Its keys are offered after the files' keys. An
	// agent that cannot be reached is an error only when it is the sole
	// source of keys.
	AgentSocket string

	// KnownHostsFiles are OpenSSH known_hosts files (hashed entries,
	// @cert-authority and @revoked lines included) to verify host keys with;
	// a file that does not exist counts as empty. The ssh block's default is
	// DefaultKnownHostsFile(home).
	KnownHostsFiles []string
	// HostKey is the one key the host must present, in authorized_keys form
	// ("ssh-ed25519 AAAA... comment"): the host key a fleet backend generated
	// and injected when it created the machine. Set either HostKey or
	// KnownHostsFiles, not both.
	HostKey string

	// ConnectTimeout bounds the TCP connect, the handshake and the login;
	// 0 means 15s.
	ConnectTimeout time.Duration
	// KeepaliveInterval is how often the connection sends a
	// keepalive@openssh.com request; 0 means 2s.
	KeepaliveInterval time.Duration
	// KeepaliveTimeout: when a keepalive has gone unanswered this long and
	// nothing else arrived from the host either, the connection counts as
	// lost and is closed; 0 means 6s. A host that dies without closing its
	// TCP connection (power loss, cut link) is thus noticed within about
	// KeepaliveInterval+KeepaliveTimeout.
	KeepaliveTimeout time.Duration
}

// DefaultKnownHostsFile is OpenSSH's per-user known_hosts file under home.
func DefaultKnownHostsFile(home string) string {
	return filepath.Join(home, ".ssh", "known_hosts")
}

func (c Config) withDefaults() Config {
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 15 * time.Second
	}
	if c.KeepaliveInterval == 0 {
		c.KeepaliveInterval = 2 * time.Second
	}
	if c.KeepaliveTimeout == 0 {
		c.KeepaliveTimeout = 6 * time.Second
	}
	return c
}

func (c Config) validate() error {
	switch {
	case len(c.KnownHostsFiles) == 0 && c.HostKey == "":
		return fmt.Errorf("no way to verify host keys: set known_hosts files or the expected host key")
	case len(c.KnownHostsFiles) > 0 && c.HostKey != "":
		return fmt.Errorf("both known_hosts files and an expected host key are set: use one")
	case len(c.PrivateKeyFiles) == 0 && c.AgentSocket == "":
		return fmt.Errorf("no credentials: set private key files or an SSH agent socket")
	case c.ConnectTimeout < 0 || c.KeepaliveInterval < 0 || c.KeepaliveTimeout < 0:
		return fmt.Errorf("negative timeout")
	}
	return nil
}
