package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestDialRefusesConfig covers what Dial refuses before touching the
// network (the address is unroutable on purpose: nothing may be dialed).
func TestDialRefusesConfig(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	encrypted := filepath.Join(dir, "id_encrypted")
	if err := os.WriteFile(encrypted, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "id_garbage")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "id_missing")
	kh := []string{filepath.Join(dir, "known_hosts")}
	h := Host{User: "ops", Addr: "192.0.2.1", Port: 22}

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no host key check", Config{PrivateKeyFiles: []string{garbage}},
			"ssh ops@192.0.2.1:22: no way to verify host keys: set known_hosts files or the expected host key"},
		{"both host key checks", Config{PrivateKeyFiles: []string{garbage}, KnownHostsFiles: kh, HostKey: "ssh-ed25519 AAAA"},
			"ssh ops@192.0.2.1:22: both known_hosts files and an expected host key are set: use one"},
		{"no credentials", Config{KnownHostsFiles: kh},
			"ssh ops@192.0.2.1:22: no credentials: set private key files or an SSH agent socket"},
		{"encrypted key", Config{PrivateKeyFiles: []string{encrypted}, KnownHostsFiles: kh},
			"ssh ops@192.0.2.1:22: private key " + encrypted + " is protected by a passphrase: add it to the SSH agent (ssh-add " + encrypted + ") and let lithops use the agent"},
		{"garbage key", Config{PrivateKeyFiles: []string{garbage}, KnownHostsFiles: kh},
			"ssh ops@192.0.2.1:22: parse private key " + garbage + ": ssh: no key found"},
		{"missing key", Config{PrivateKeyFiles: []string{missing}, KnownHostsFiles: kh},
			"ssh ops@192.0.2.1:22: read private key: open " + missing + ": no such file or directory"},
		{"agent only, unreachable", Config{AgentSocket: filepath.Join(dir, "no.sock"), KnownHostsFiles: kh},
			"ssh ops@192.0.2.1:22: ssh agent at " + filepath.Join(dir, "no.sock") + ": dial unix " + filepath.Join(dir, "no.sock") + ": connect: no such file or directory"},
	}
	for _, tt := range tests {
		_, err := Dial(context.Background(), h, tt.cfg)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: wrong error\nwant %s\n got %v", tt.name, tt.want, err)
		}
	}
}

func TestFixedHostKeyRefusesBadKeys(t *testing.T) {
	h := Host{User: "ops", Addr: "192.0.2.1", Port: 22}
	for _, tt := range []struct{ key, want string }{
		{"ssh-ed25519 !!!", "parse the configured host key: ssh: no key found; last parsing error for ignored line: illegal base64 data at input byte 0"},
		{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJb87pPYpt11uTLOoxoA3dt8ibGpgymsxrp9uBSw2hEZ\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJb87pPYpt11uTLOoxoA3dt8ibGpgymsxrp9uBSw2hEZ",
			"the configured host key holds more than one key"},
	} {
		_, err := fixedHostKeyCheck(tt.key, h)
		if err == nil || err.Error() != tt.want {
			t.Errorf("fixedHostKeyCheck(%q): wrong error\nwant %s\n got %v", tt.key, tt.want, err)
		}
	}
}

func TestPreferredAlgorithms(t *testing.T) {
	got := preferredAlgorithms(append(algorithmsFor(ssh.KeyAlgoRSA), ssh.KeyAlgoECDSA256, ssh.KeyAlgoED25519, "x-new@example.com"))
	want := []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, "x-new@example.com"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("preferredAlgorithms = %q, want %q", got, want)
	}
}
