package fakeec2

import (
	"bytes"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// keyPair is an imported key pair.
type keyPair struct {
	id          string
	seq         int
	name        string
	keyType     string // "ed25519" or "rsa"
	publicKey   string // authorized_keys form, without comment
	fingerprint string
	created     time.Time
	tags        map[string]string
}

// parsePublicKey accepts what ImportKeyPair accepts of the OpenSSH public
// key format: an ssh-ed25519 key, or an ssh-rsa key of 1024 bits or more.
// It returns the key type, the key in authorized_keys form, and the
// fingerprint EC2 computes for imported keys: for ed25519 the base64
// SHA-256 digest of the key blob (with padding), for RSA the MD5 digest as
// colon-separated hex (RFC 4716, section 4).
func parsePublicKey(material []byte) (keyType, line, fingerprint string, err error) {
	bad := errf("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
	pub, _, _, rest, perr := ssh.ParseAuthorizedKey(material)
	if perr != nil || len(bytes.TrimSpace(rest)) != 0 {
		return "", "", "", bad
	}
	blob := pub.Marshal()
	switch pub.Type() {
	case ssh.KeyAlgoED25519:
		sum := sha256.Sum256(blob)
		fingerprint = base64.StdEncoding.EncodeToString(sum[:])
		keyType = "ed25519"
	case ssh.KeyAlgoRSA:
		ck, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return "", "", "", bad
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		if !ok || rk.N.BitLen() < 1024 {
			return "", "", "", bad
		}
		sum := md5.Sum(blob)
		parts := make([]string, len(sum))
		for i, b := range sum {
			parts[i] = fmt.Sprintf("%02x", b)
		}
		fingerprint = strings.Join(parts, ":")
		keyType = "rsa"
	default:
		return "", "", "", bad
	}
	line = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	return keyType, line, fingerprint, nil
}

type importKeyPairResponse struct {
	meta
	KeyName        string   `xml:"keyName"`
	KeyFingerprint string   `xml:"keyFingerprint"`
	KeyPairID      string   `xml:"keyPairId"`
	Tags           []xmlTag `xml:"tagSet>item"`
}

func (s *Server) importKeyPair(p params) (response, error) {
	name := p.str("KeyName")
	if name == "" {
		return nil, errMissing("KeyName")
	}
	if len(name) > 255 {
		return nil, errInvalidValue(name, "KeyName")
	}
	encoded := p.str("PublicKeyMaterial")
	if encoded == "" {
		return nil, errMissing("PublicKeyMaterial")
	}
	material, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, errf("InvalidParameterValue", "Value for parameter PublicKeyMaterial is invalid. Parameter may not be null or empty.")
	}
	keyType, line, fp, err := parsePublicKey(material)
	if err != nil {
		return nil, err
	}
	tags, err := specTags(p, "key-pair", "key-pair")
	if err != nil {
		return nil, err
	}
	if s.findKeyName(name) != nil {
		return nil, errf("InvalidKeyPair.Duplicate", "The keypair '%s' already exists.", name)
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	id, seq := s.newSeqID("key")
	k := &keyPair{
		id: id, seq: seq, name: name, keyType: keyType,
		publicKey: line, fingerprint: fp, created: s.now(), tags: tags,
	}
	s.keyPairs = append(s.keyPairs, k)
	return &importKeyPairResponse{KeyName: name, KeyFingerprint: fp, KeyPairID: k.id, Tags: sortedTags(tags)}, nil
}

func (s *Server) findKeyName(name string) *keyPair {
	for _, k := range s.keyPairs {
		if k.name == name {
			return k
		}
	}
	return nil
}

type deleteKeyPairResponse struct {
	meta
	Return    bool   `xml:"return"`
	KeyPairID string `xml:"keyPairId,omitempty"`
}

// deleteKeyPair deletes by name or ID. Like EC2 it succeeds when the key
// pair does not exist, so a retried or repeated delete is harmless.
func (s *Server) deleteKeyPair(p params) (response, error) {
	name, id := p.str("KeyName"), p.str("KeyPairId")
	if name == "" && id == "" {
		return nil, errMissing("KeyName or KeyPairId")
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	out := &deleteKeyPairResponse{Return: true}
	for i, k := range s.keyPairs {
		if (name != "" && k.name == name) || (id != "" && k.id == id) {
			s.keyPairs = append(s.keyPairs[:i], s.keyPairs[i+1:]...)
			out.KeyPairID = k.id
			break
		}
	}
	return out, nil
}

type xmlKeyPair struct {
	KeyPairID      string   `xml:"keyPairId"`
	KeyName        string   `xml:"keyName"`
	KeyFingerprint string   `xml:"keyFingerprint"`
	KeyType        string   `xml:"keyType"`
	PublicKey      string   `xml:"publicKey,omitempty"`
	CreateTime     string   `xml:"createTime"`
	Tags           []xmlTag `xml:"tagSet>item"`
}

type describeKeyPairsResponse struct {
	meta
	KeyPairs []xmlKeyPair `xml:"keySet>item"`
}

func (k *keyPair) fields() fields {
	return fields{
		"key-name":    {k.name},
		"key-pair-id": {k.id},
		"fingerprint": {k.fingerprint},
		"key-type":    {k.keyType},
	}.withTags(k.tags)
}

func (s *Server) describeKeyPairs(p params) (response, error) {
	filters, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(filters, (&keyPair{}).fields()); err != nil {
		return nil, err
	}
	includePublic, err := p.bool("IncludePublicKey")
	if err != nil {
		return nil, err
	}
	names, ids := p.list("KeyName"), p.list("KeyPairId")
	for _, n := range names {
		if s.findKeyName(n) == nil {
			return nil, errf("InvalidKeyPair.NotFound", "The key pair '%s' does not exist", n)
		}
	}
	for _, id := range ids {
		found := false
		for _, k := range s.keyPairs {
			found = found || k.id == id
		}
		if !found {
			return nil, errf("InvalidKeyPair.NotFound", "The key pair ID '%s' does not exist", id)
		}
	}
	if err := dryRun(p); err != nil {
		return nil, err
	}
	out := &describeKeyPairsResponse{}
	for _, k := range s.keyPairs {
		if (len(names) > 0 && !slices.Contains(names, k.name)) || (len(ids) > 0 && !slices.Contains(ids, k.id)) {
			continue
		}
		if !matches(filters, k.fields(), k.tags) {
			continue
		}
		x := xmlKeyPair{
			KeyPairID: k.id, KeyName: k.name, KeyFingerprint: k.fingerprint, KeyType: k.keyType,
			CreateTime: timestamp(k.created), Tags: sortedTags(k.tags),
		}
		if includePublic {
			x.PublicKey = k.publicKey
		}
		out.KeyPairs = append(out.KeyPairs, x)
	}
	return out, nil
}
