package testhosts

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func newKey(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, string(pem.EncodeToMemory(block))
}

// login runs command on addr as name with key, accepting only hostKey.
func login(addr, name string, key ssh.Signer, hostKey ssh.PublicKey, command string) (string, error) {
	c, err := ssh.Dial("tcp", net.JoinHostPort(addr, "22"), &ssh.ClientConfig{
		User:              name,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback:   ssh.FixedHostKey(hostKey),
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           10 * time.Second,
	})
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	out, err := s.CombinedOutput(command)
	return string(out), err
}

// Booting a host as a cloud instance's first boot does gives it the host
// key and authorized key it is handed, lets the image's login in as the
// host's own user (its uid and home), runs its init program, and leaves
// the other hosts alone; halting it takes it off the network.
func TestBootAndHalt(t *testing.T) {
	f := Start(t, 2)
	hostSigner, hostPEM := newKey(t)
	clientSigner, _ := newKey(t)
	init := filepath.Join(t.TempDir(), "init")
	os.WriteFile(init, []byte("#!/bin/sh\necho \"init as $(id -un) on $(hostname)\"\nexec sleep 300\n"), 0o755)

	err := f.Boot(0, Boot{
		HostKey:        hostPEM,
		AuthorizedKeys: string(ssh.MarshalAuthorizedKey(clientSigner.PublicKey())),
		Login:          "ubuntu",
		Init:           init,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := f.Hosts[0]
	out, err := login(h.Addr, "ubuntu", clientSigner, hostSigner.PublicKey(), `id -u; echo "$HOME"; hostname`)
	if err != nil {
		t.Fatalf("login as ubuntu with the booted host key: %v\n%s", err, out)
	}
	u, err := user.Lookup(h.User)
	if err != nil {
		t.Fatal(err)
	}
	if want := u.Uid + "\n" + h.Home + "\n" + h.Hostname + "\n"; out != want {
		t.Errorf("ubuntu on host 1 is\n%s, want the host user's uid, home and hostname:\n%s", out, want)
	}
	// Another fleet adding or removing a user renames a new /etc/passwd
	// into place; the booted host keeps its login.
	someone := fmt.Sprintf("ltb%x", time.Now().UnixNano()&0xffffff)
	if out, err := exec.Command("useradd", "-M", "-s", "/bin/false", someone).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	if out, err := exec.Command("userdel", someone).CombinedOutput(); err != nil {
		t.Fatalf("userdel: %v\n%s", err, out)
	}
	if out, err := login(h.Addr, "ubuntu", clientSigner, hostSigner.PublicKey(), "id -u"); err != nil || out != u.Uid+"\n" {
		t.Errorf("after /etc/passwd was replaced, ubuntu logs in as %q (%v), want uid %s", out, err, u.Uid)
	}

	var initLog []byte
	for range 100 {
		if initLog, _ = os.ReadFile(filepath.Join(f.Dir, "h1", "init.log")); len(initLog) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if want := "init as root on " + h.Hostname + "\n"; string(initLog) != want {
		t.Errorf("init.log holds %q, want %q", initLog, want)
	}

	// The other host keeps its keys and has no ubuntu login.
	other := f.Hosts[1]
	oldKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(other.HostKeys[0]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := login(other.Addr, "ubuntu", clientSigner, oldKey, "true"); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("ubuntu logged in to the host that was not booted, or the host key changed: %v", err)
	}
	clientKey, err := os.ReadFile(f.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	fleetSigner, err := ssh.ParsePrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := login(other.Addr, other.User, fleetSigner, oldKey, "true"); err != nil {
		t.Errorf("the fleet's own login to host 2 broke: %v\n%s", err, out)
	}

	if err := f.Halt(0); err != nil {
		t.Fatal(err)
	}
	if _, err := login(h.Addr, "ubuntu", clientSigner, hostSigner.PublicKey(), "true"); err == nil {
		t.Error("the halted host still answers")
	}
	if procs, _ := exec.Command("ip", "netns", "pids", h.User).Output(); len(bytes.TrimSpace(procs)) != 0 {
		t.Errorf("processes left on the halted host: %s", procs)
	}
}
