package remote

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyProblem is why a host key was refused.
type HostKeyProblem int

const (
	// HostKeyUnknown: no key is on record for the host.
	HostKeyUnknown HostKeyProblem = iota + 1
	// HostKeyChanged: keys are on record and the host presented another
	// one, or offered none of their types.
	HostKeyChanged
	// HostKeyRevoked: the presented key is marked @revoked.
	HostKeyRevoked
)

// KeyInfo names a public key without carrying it.
type KeyInfo struct {
	Type        string // "ssh-ed25519"
	Fingerprint string // "SHA256:..."
	// File and Line locate a known_hosts entry; File is empty for the
	// configured HostKey.
	File string
	Line int
}

// HostKeyError is the refusal of a host key. The connection is dropped
// during the handshake, before authentication: nothing ran on the host.
type HostKeyError struct {
	Host    Host
	Problem HostKeyProblem
	// Offered is what the host presented; empty when it offered none of
	// the key types on record.
	Offered KeyInfo
	// Known are the keys on record for the host.
	Known []KeyInfo
	// Files are the known_hosts files consulted; none for a configured
	// HostKey.
	Files []string
}

func (e *HostKeyError) Error() string {
	addr := e.Host.Address()
	var b strings.Builder
	switch e.Problem {
	case HostKeyUnknown:
		fmt.Fprintf(&b, "host key for %s is not in %s", addr, strings.Join(e.Files, " or "))
		if len(e.Files) == 1 {
			if _, err := os.Stat(e.Files[0]); errors.Is(err, os.ErrNotExist) {
				b.WriteString(" (no such file)")
			}
		}
		fmt.Fprintf(&b, "; add it with: ssh-keyscan")
		if e.Host.Port != DefaultPort {
			fmt.Fprintf(&b, " -p %d", e.Host.Port)
		}
		fmt.Fprintf(&b, " -t %s %s >> %s", keyscanType(e.Offered.Type), e.Host.Addr, Quote(e.Files[0]))
		fmt.Fprintf(&b, " (the host offered %s %s: check it against the host's own key before trusting it)",
			e.Offered.Type, e.Offered.Fingerprint)
	case HostKeyChanged:
		fmt.Fprintf(&b, "host key for %s CHANGED: ", addr)
		for i, k := range e.Known {
			if i > 0 {
				b.WriteString(", ")
			}
			if k.File == "" {
				fmt.Fprintf(&b, "expected %s %s (the configured host key)", k.Type, k.Fingerprint)
			} else {
				fmt.Fprintf(&b, "%s:%d holds %s %s", k.File, k.Line, k.Type, k.Fingerprint)
			}
		}
		if e.Offered.Type == "" {
			b.WriteString("; the host offers none of these key types")
		} else {
			fmt.Fprintf(&b, "; the host offered %s %s", e.Offered.Type, e.Offered.Fingerprint)
		}
		b.WriteString("; possible man-in-the-middle; nothing was run there")
		if len(e.Known) > 0 && e.Known[0].File != "" {
			fmt.Fprintf(&b, ". If the host was reinstalled, remove the old key with: ssh-keygen -f %s -R %s",
				Quote(e.Known[0].File), Quote(knownhosts.Normalize(addr)))
		}
	case HostKeyRevoked:
		fmt.Fprintf(&b, "host key for %s is REVOKED (%s %s, @revoked in %s:%d); nothing was run there",
			addr, e.Offered.Type, e.Offered.Fingerprint, e.Known[0].File, e.Known[0].Line)
	}
	return b.String()
}

// keyscanType is ssh-keyscan's -t name of a key type.
func keyscanType(t string) string {
	switch {
	case t == ssh.KeyAlgoED25519:
		return "ed25519"
	case t == ssh.KeyAlgoRSA:
		return "rsa"
	case strings.HasPrefix(t, "ecdsa-sha2-"):
		return "ecdsa"
	case t == ssh.KeyAlgoSKED25519:
		return "ed25519-sk"
	case t == ssh.KeyAlgoSKECDSA256:
		return "ecdsa-sk"
	}
	return t
}

func keyInfo(k ssh.PublicKey) KeyInfo {
	return KeyInfo{Type: k.Type(), Fingerprint: ssh.FingerprintSHA256(k)}
}

// hostKeyCheck is how one dial verifies the host's key.
type hostKeyCheck struct {
	callback ssh.HostKeyCallback
	// algorithms are the host key algorithms to ask for: those of the keys
	// on record, so that a recorded ed25519 key is what the host must
	// present even if it would rather show its RSA key. With nothing on
	// record, certificates (for @cert-authority lines) and then plain keys
	// in hostKeyPreference order: an unknown host is then refused showing
	// its ed25519 key, the one worth recording.
	algorithms []string
	known      []KeyInfo
	files      []string
}

// newHostKeyCheck prepares verification of h, reached at remote.
func newHostKeyCheck(cfg Config, h Host, remote net.Addr) (*hostKeyCheck, error) {
	if cfg.HostKey != "" {
		return fixedHostKeyCheck(cfg.HostKey, h)
	}
	return knownHostsCheck(cfg.KnownHostsFiles, h, remote)
}

func fixedHostKeyCheck(line string, h Host) (*hostKeyCheck, error) {
	want, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("parse the configured host key: %w", err)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("the configured host key holds more than one key")
	}
	if _, ok := want.(*ssh.Certificate); ok {
		return nil, fmt.Errorf("the configured host key is a certificate; give the host's plain public key")
	}
	known := []KeyInfo{keyInfo(want)}
	c := &hostKeyCheck{algorithms: algorithmsFor(want.Type()), known: known}
	c.callback = func(_ string, _ net.Addr, got ssh.PublicKey) error {
		if bytes.Equal(got.Marshal(), want.Marshal()) {
			return nil
		}
		return &HostKeyError{Host: h, Problem: HostKeyChanged, Offered: keyInfo(got), Known: known}
	}
	return c, nil
}

func knownHostsCheck(files []string, h Host, remote net.Addr) (*hostKeyCheck, error) {
	var present []string
	for _, f := range files {
		_, err := os.Stat(f)
		switch {
		case err == nil:
			present = append(present, f)
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("known_hosts file: %w", err)
		}
	}
	db, err := knownhosts.New(present...)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	c := &hostKeyCheck{files: files}

	// Ask the database about a key it cannot hold: its refusal lists every
	// key on record for the host.
	_, probe, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	probeKey, err := ssh.NewPublicKey(probe.Public())
	if err != nil {
		return nil, err
	}
	var ke *knownhosts.KeyError
	if err := db(h.Address(), remote, probeKey); errors.As(err, &ke) {
		for _, k := range ke.Want {
			c.known = append(c.known, KeyInfo{Type: k.Key.Type(), Fingerprint: ssh.FingerprintSHA256(k.Key), File: k.Filename, Line: k.Line})
			c.algorithms = append(c.algorithms, algorithmsFor(k.Key.Type())...)
		}
	}
	if len(c.known) == 0 {
		c.algorithms = slices.Concat(hostCertPreference, hostKeyPreference)
	} else {
		c.algorithms = preferredAlgorithms(c.algorithms)
	}

	c.callback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := db(hostname, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &ke) && len(ke.Want) == 0:
			return &HostKeyError{Host: h, Problem: HostKeyUnknown, Offered: keyInfo(key), Files: files}
		case errors.As(err, &ke):
			var known []KeyInfo
			for _, k := range ke.Want {
				known = append(known, KeyInfo{Type: k.Key.Type(), Fingerprint: ssh.FingerprintSHA256(k.Key), File: k.Filename, Line: k.Line})
			}
			return &HostKeyError{Host: h, Problem: HostKeyChanged, Offered: keyInfo(key), Known: known, Files: files}
		case errors.As(err, &re):
			return &HostKeyError{Host: h, Problem: HostKeyRevoked, Offered: keyInfo(key),
				Known: []KeyInfo{{Type: re.Revoked.Key.Type(), Fingerprint: ssh.FingerprintSHA256(re.Revoked.Key), File: re.Revoked.Filename, Line: re.Revoked.Line}},
				Files: files}
		}
		return fmt.Errorf("host key for %s: %w", h.Address(), err)
	}
	return c, nil
}

// negotiationError turns a failed host key negotiation, which happens when
// the host has none of the key types on record, into a HostKeyError.
func (c *hostKeyCheck) negotiationError(h Host, err error) error {
	var ne *ssh.AlgorithmNegotiationError
	if len(c.known) > 0 && errors.As(err, &ne) && ne.What == "host key" {
		return &HostKeyError{Host: h, Problem: HostKeyChanged, Known: c.known, Files: c.files}
	}
	return err
}

// algorithmsFor are the signature algorithms a host key of type t can use
// (RSA keys sign with SHA-2; SHA-1 "ssh-rsa" signatures are not accepted).
func algorithmsFor(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{t}
}

// hostKeyPreference orders host key algorithms, strongest and smallest
// first; others follow in the order found.
var hostKeyPreference = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA521, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA256,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// hostCertPreference is hostKeyPreference for host certificates.
var hostCertPreference = []string{
	ssh.CertAlgoED25519v01,
	ssh.CertAlgoECDSA521v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA256v01,
	ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01,
}

func preferredAlgorithms(found []string) []string {
	var out []string
	for _, a := range hostKeyPreference {
		if slices.Contains(found, a) {
			out = append(out, a)
		}
	}
	for _, a := range found {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
