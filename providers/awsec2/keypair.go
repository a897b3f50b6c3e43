package awsec2

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/crypto/ssh"

	"lithops/internal/atomicfile"
	"lithops/providers"
)

// KeyPairType is the resource type of a fleet's key pair.
const KeyPairType = "aws_ec2_key_pair"

// KeyDir is where a fleet's private keys are kept, relative to the
// configuration directory.
const KeyDir = ".lithops/aws_ec2"

// keyPair is the aws_ec2_key_pair resource: an ed25519 key generated here,
// its private half written to KeyDir (mode 0600) and never recorded, its
// public half imported into EC2 for the instances' login.
type keyPair struct {
	b *Backend
	// dir is the configuration directory; empty for the registry's
	// instance, which only reads and deletes.
	dir     string
	profile string
}

var _ providers.Resource = (*keyPair)(nil)

var keyPairSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"region":           {Type: cty.String, ForceNew: true, Description: "The region the key pair is in."},
	"endpoint":         {Type: cty.String, ForceNew: true, Description: "The EC2 endpoint, when not the region's."},
	"executor":         {Type: cty.String, ForceNew: true, Description: "The executor block's name."},
	"name":             {Type: cty.String, Computed: true, Description: "The key pair's name in EC2."},
	"key_pair_id":      {Type: cty.String, Computed: true, Description: "The key pair's ID."},
	"fingerprint":      {Type: cty.String, Computed: true, Description: "EC2's fingerprint of the public key (base64 SHA-256)."},
	"public_key":       {Type: cty.String, Computed: true, Description: "The public key, in authorized_keys form."},
	"private_key_file": {Type: cty.String, Computed: true, Description: "Where the private key is kept (mode 0600); it is never recorded."},
}}

func (*keyPair) Type() string             { return KeyPairType }
func (*keyPair) Schema() providers.Schema { return keyPairSchema }

// Read finds the key pair in EC2. It is gone when EC2 no longer has it, or
// when its private key file is missing: instances made with it could not
// be reached, so the next plan makes a new key pair and new instances.
func (r *keyPair) Read(ctx context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	a := attrsOf(req.State)
	if a.str("key_pair_id") == "" {
		return providers.ReadResponse{Gone: true}, nil
	}
	if _, err := os.Stat(a.str("private_key_file")); errors.Is(err, os.ErrNotExist) {
		return providers.ReadResponse{Gone: true}, nil
	}
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.ReadResponse{}, err
	}
	_, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyPairIds: []string{a.str("key_pair_id")}})
	switch {
	case errorCode(err) == "InvalidKeyPair.NotFound":
		return providers.ReadResponse{Gone: true}, nil
	case err != nil:
		return providers.ReadResponse{}, fmt.Errorf("describe key pair %s: %w", a.str("name"), brief(err))
	}
	return providers.ReadResponse{State: req.State}, nil
}

// Create generates the key, writes its private half and imports the public
// one. A key pair whose import failed leaves no file behind.
func (r *keyPair) Create(ctx context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	a := attrsOf(req.Planned)
	if r.dir == "" {
		return providers.CreateResponse{}, errors.New("no configuration directory to keep the private key in")
	}
	c, err := r.b.client(ctx, a.where(r.profile))
	if err != nil {
		return providers.CreateResponse{}, err
	}
	name := "lithops-" + a.str("executor") + "-" + randomSuffix()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return providers.CreateResponse{}, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return providers.CreateResponse{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, name)
	if err != nil {
		return providers.CreateResponse{}, err
	}
	file := filepath.Join(r.dir, KeyDir, name)
	if err := writePrivate(file, pem.EncodeToMemory(block)); err != nil {
		return providers.CreateResponse{}, fmt.Errorf("write the private key: %w", brief(err))
	}
	authorized := string(ssh.MarshalAuthorizedKey(sshPub))
	out, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{
		KeyName:           aws.String(name),
		PublicKeyMaterial: []byte(authorized),
		TagSpecifications: tags(types.ResourceTypeKeyPair, name, a.str("executor")),
	})
	if err != nil {
		os.Remove(file)
		return providers.CreateResponse{}, fmt.Errorf("import key pair %s in %s: %w", name, a.str("region"), brief(err))
	}
	a["name"] = cty.StringVal(name)
	a["key_pair_id"] = cty.StringVal(aws.ToString(out.KeyPairId))
	a["fingerprint"] = cty.StringVal(aws.ToString(out.KeyFingerprint))
	a["public_key"] = cty.StringVal(trimNewline(authorized))
	a["private_key_file"] = cty.StringVal(file)
	return providers.CreateResponse{State: a.object(keyPairSchema.ObjectType().AttributeTypes())}, nil
}

// Delete removes the key pair from EC2 and its private key from here.
// Running instances keep the key they were made with. The fleet goes with
// its key pair, so instances still tagged with it that no state records
// (left by an apply killed mid-launch) are terminated first.
func (r *keyPair) Delete(ctx context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	a := attrsOf(req.State)
	if id := a.str("key_pair_id"); id != "" {
		c, err := r.b.client(ctx, a.where(r.profile))
		if err != nil {
			return providers.DeleteResponse{}, err
		}
		if err := terminateStrays(ctx, c, a.str("name"), -1); err != nil {
			return providers.DeleteResponse{}, err
		}
		// DeleteKeyPair succeeds for a key pair that is already gone.
		if _, err := c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyPairId: aws.String(id)}); err != nil && errorCode(err) != "InvalidKeyPair.NotFound" {
			return providers.DeleteResponse{}, fmt.Errorf("delete key pair %s: %w", a.str("name"), brief(err))
		}
	}
	if f := a.str("private_key_file"); f != "" {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return providers.DeleteResponse{}, fmt.Errorf("remove the private key: %w", brief(err))
		}
	}
	return providers.DeleteResponse{}, nil
}

// writePrivate writes a secret file: mode 0600 from its creation, in a
// directory only its owner can enter, replaced atomically.
func writePrivate(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(file, data, 0o600)
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
