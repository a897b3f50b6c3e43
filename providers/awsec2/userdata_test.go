package awsec2

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"lithops/internal/golden"
)

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
	golden.Check(t, "userdata.golden", string(got))
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

// Whatever the host key and login, the user data parses back to them: the
// renderer quotes what YAML would misread.
func FuzzUserData(f *testing.F) {
	f.Add(testHostKeyPEM, testHostKeyPub, "ubuntu", int64(900))
	f.Add("key: value\n- item\n", "#not a comment", "a: b", int64(10))
	f.Add("", "'\"\\\n\t", "yes", int64(1))
	f.Add("k", "p", "ubuntu\nExecStartPre=/bin/evil", int64(60))
	f.Fuzz(func(t *testing.T, pem, pub, user string, seconds int64) {
		if seconds < 1 || seconds > 7*24*3600 {
			return
		}
		ud, err := userData(pem, pub, user, time.Duration(seconds)*time.Second)
		if err != nil {
			return // over EC2's size limit, or not valid UTF-8 for YAML
		}
		cc, err := ParseUserData(ud)
		if err != nil {
			t.Fatalf("rendered user data does not parse: %v\n%s", err, ud)
		}
		if cc.SSHKeys["ed25519_private"] != pem || cc.SSHKeys["ed25519_public"] != pub {
			t.Errorf("host key does not round-trip: %q %q", cc.SSHKeys["ed25519_private"], cc.SSHKeys["ed25519_public"])
		}
		want := []string{fmt.Sprintf("LITHOPS_IDLE_SECONDS=%d", seconds), "LITHOPS_IDLE_USER=" + user}
		if diff := cmp.Diff(want, cc.UnitEnvironment()); diff != "" {
			t.Errorf("wrong watchdog settings (-want +got):\n%s", diff)
		}
	})
}
