package awsec2

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// A fixed host key (made with ssh-keygen for this test, used nowhere
// else), so the rendered user data is stable; the test checks its halves
// belong together.
const (
	testHostKeyPEM = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACCQTAEjElMzm9kIfZVcY3umCCnsqq4/VcAfj7alilv5FAAAAJgQ0UzIENFM
yAAAAAtzc2gtZWQyNTUxOQAAACCQTAEjElMzm9kIfZVcY3umCCnsqq4/VcAfj7alilv5FA
AAAECwfi0he6GQ9qtpUMDx1Nnhpc2DvtnnTD4S/N5klGAfx5BMASMSUzOb2Qh9lVxje6YI
Keyqrj9VwB+PtqWKW/kUAAAAFWxpdGhvcHMgdGVzdCBob3N0IGtleQ==
-----END OPENSSH PRIVATE KEY-----
`
	testHostKeyPub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBMASMSUzOb2Qh9lVxje6YIKeyqrj9VwB+PtqWKW/kU"
)

// The user data an instance boots with: its host key for cloud-init to
// install (and no other), and the idle watchdog with its systemd unit.
// The golden file is what EC2 receives; review changes to it like code.
func TestUserData(t *testing.T) {
	got, err := userData(testHostKeyPEM, testHostKeyPub, "ubuntu", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "userdata.golden")
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("wrong user data (-want +got):\n%s", diff)
	}
	if len(got) > 16384 {
		t.Errorf("user data is %d bytes, over EC2's 16 KiB", len(got))
	}

	signer, err := ssh.ParsePrivateKey([]byte(testHostKeyPEM))
	if err != nil || string(ssh.MarshalAuthorizedKey(signer.PublicKey())) != testHostKeyPub+"\n" {
		t.Fatalf("the test host key's halves do not match (%v)", err)
	}

	cc, err := ParseUserData(got)
	if err != nil {
		t.Fatal(err)
	}
	if cc.SSHKeys["ed25519_private"] != testHostKeyPEM || cc.SSHKeys["ed25519_public"] != testHostKeyPub || !cc.SSHDeleteKeys || len(cc.SSHGenKeyTypes) != 0 {
		t.Errorf("host key settings do not round-trip: %+v", cc)
	}
	script, ok := cc.File(WatchdogPath)
	if !ok || script != watchdog {
		t.Errorf("the watchdog script does not round-trip")
	}
	if diff := cmp.Diff([]string{"LITHOPS_IDLE_SECONDS=900", "LITHOPS_IDLE_USER=ubuntu"}, cc.UnitEnvironment()); diff != "" {
		t.Errorf("wrong watchdog settings (-want +got):\n%s", diff)
	}
	if _, err := ParseUserData([]byte("#!/bin/sh\necho hi\n")); err == nil || !strings.Contains(err.Error(), "not a cloud-config") {
		t.Errorf("a shell script parsed as cloud-config: %v", err)
	}
}
