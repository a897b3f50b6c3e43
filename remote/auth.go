package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// credentials are the keys one login offers.
type credentials struct {
	files []ssh.Signer
	agent agent.ExtendedAgent
	// agentConn is closed once the login is done.
	agentConn net.Conn
	// agentErr says why a configured agent is not used.
	agentErr error
	cfg      Config
}

// loadCredentials reads the key files and connects to the agent.
func loadCredentials(ctx context.Context, cfg Config) (*credentials, error) {
	cr := &credentials{cfg: cfg}
	for _, f := range cfg.PrivateKeyFiles {
		s, err := readPrivateKey(f)
		if err != nil {
			return nil, err
		}
		cr.files = append(cr.files, s)
	}
	if cfg.AgentSocket != "" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", cfg.AgentSocket)
		if err != nil {
			cr.agentErr = fmt.Errorf("ssh agent at %s: %w", cfg.AgentSocket, err)
			if len(cr.files) == 0 {
				return nil, cr.agentErr
			}
		} else {
			cr.agentConn = c
			cr.agent = agent.NewClient(c)
		}
	}
	return cr, nil
}

func readPrivateKey(path string) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var pm *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &pm):
		return nil, fmt.Errorf("private key %s is protected by a passphrase: add it to the SSH agent (ssh-add %s) and let lithops use the agent", path, Quote(path))
	case err != nil:
		return nil, fmt.Errorf("parse private key %s: %w", path, err)
	}
	return s, nil
}

// auth is the single publickey method offering every key: the SSH client
// tries each method only once, so files and agent share one.
func (cr *credentials) auth() ssh.AuthMethod {
	return ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		signers := append([]ssh.Signer(nil), cr.files...)
		if cr.agent != nil {
			as, err := cr.agent.Signers()
			if err != nil {
				cr.agentErr = fmt.Errorf("list the SSH agent's keys: %w", err)
			}
			signers = append(signers, as...)
		}
		return signers, nil
	})
}

// describe lists what was offered, for an authentication failure.
func (cr *credentials) describe() string {
	var parts []string
	if len(cr.cfg.PrivateKeyFiles) > 0 {
		parts = append(parts, "key files "+strings.Join(cr.cfg.PrivateKeyFiles, ", "))
	}
	if cr.agent != nil {
		n := "?"
		if keys, err := cr.agent.List(); err == nil {
			n = fmt.Sprint(len(keys))
		}
		parts = append(parts, fmt.Sprintf("the agent's keys (%s)", n))
	}
	if cr.agentErr != nil {
		parts = append(parts, "no agent ("+cr.agentErr.Error()+")")
	}
	return strings.Join(parts, " and ")
}

func (cr *credentials) close() {
	if cr.agentConn != nil {
		cr.agentConn.Close()
	}
}
