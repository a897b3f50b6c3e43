package fakeec2

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
)

// TestImportKeyPairFingerprints checks the fingerprints EC2 documents for
// imported keys against ones computed by x/crypto/ssh: ed25519 is
// OpenSSH's SHA256 fingerprint as padded base64, RSA the MD5 hex one.
func TestImportKeyPairFingerprints(t *testing.T) {
	edKey, edLine := ed25519Key(t)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := ssh.NewPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.TrimPrefix(ssh.FingerprintSHA256(edKey), "SHA256:")
	for len(sha)%4 != 0 {
		sha += "="
	}
	tests := []struct {
		name     string
		material []byte
		wantType types.KeyType
		wantFP   string
	}{
		{"ed25519", edLine, types.KeyTypeEd25519, sha},
		{"ed25519 with comment", append(edLine[:len(edLine)-1], " lithops@laptop\n"...), types.KeyTypeEd25519, sha},
		{"rsa", ssh.MarshalAuthorizedKey(rsaKey), types.KeyTypeRsa, ssh.FingerprintLegacyMD5(rsaKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, Options{})
			c := client(srv)
			ctx := ctxFor(t)
			out, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("lithops"), PublicKeyMaterial: tt.material})
			if err != nil {
				t.Fatal(err)
			}
			desc, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"lithops"}, IncludePublicKey: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			k := desc.KeyPairs[0]
			wantLine := strings.Join(strings.Fields(string(tt.material))[:2], " ")
			got := []string{aws.ToString(out.KeyFingerprint), aws.ToString(k.KeyFingerprint), string(k.KeyType), aws.ToString(k.PublicKey), aws.ToString(k.KeyPairId)}
			want := []string{tt.wantFP, tt.wantFP, string(tt.wantType), wantLine, aws.ToString(out.KeyPairId)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("wrong key pair (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportKeyPairRefuses(t *testing.T) {
	_, edLine := ed25519Key(t)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ssh.NewPublicKey(&ek.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		keyName  string
		material []byte
		tags     []types.TagSpecification
		wantCode string
	}{
		{"ecdsa key", "k", ssh.MarshalAuthorizedKey(ecKey), nil, "InvalidKey.Format"},
		{"not a key", "k", []byte("hello world"), nil, "InvalidKey.Format"},
		{"two keys", "k", append(append([]byte{}, edLine...), edLine...), nil, "InvalidKey.Format"},
		{"private key", "k", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), nil, "InvalidKey.Format"},
		{"duplicate name", "taken", edLine, nil, "InvalidKeyPair.Duplicate"},
		{"tags for an instance", "k", edLine, []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}}, "InvalidParameterValue"},
		{"reserved tag key", "k", edLine, []types.TagSpecification{{ResourceType: types.ResourceTypeKeyPair, Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("b")}}}}, "InvalidParameterValue"},
	}
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	if _, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("taken"), PublicKeyMaterial: edLine}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String(tt.keyName), PublicKeyMaterial: tt.material, TagSpecifications: tt.tags})
			wantCode(t, err, tt.wantCode)
		})
	}
	if diff := cmp.Diff([]string{"taken"}, resourceNames(srv.Resources())); diff != "" {
		t.Errorf("wrong resources after refused imports (-want +got):\n%s", diff)
	}
}

func resourceNames(rs []Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestDescribeAndDeleteKeyPairs(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	for _, spec := range []struct{ name, fleet string }{{"a", "lab"}, {"b", "prod"}, {"c", "lab"}} {
		_, line := ed25519Key(t)
		if _, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{
			KeyName: aws.String(spec.name), PublicKeyMaterial: line,
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeKeyPair, Tags: []types.Tag{{Key: aws.String("lithops:fleet"), Value: aws.String(spec.fleet)}}}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(in *ec2.DescribeKeyPairsInput) []string {
		t.Helper()
		out, err := c.DescribeKeyPairs(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range out.KeyPairs {
			got = append(got, aws.ToString(k.KeyName))
		}
		return got
	}
	tests := []struct {
		name string
		in   *ec2.DescribeKeyPairsInput
		want []string
	}{
		{"all", &ec2.DescribeKeyPairsInput{}, []string{"a", "b", "c"}},
		{"by name", &ec2.DescribeKeyPairsInput{KeyNames: []string{"c", "a"}}, []string{"a", "c"}},
		{"by tag", &ec2.DescribeKeyPairsInput{Filters: []types.Filter{{Name: aws.String("tag:lithops:fleet"), Values: []string{"lab"}}}}, []string{"a", "c"}},
		{"by tag key", &ec2.DescribeKeyPairsInput{Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"lithops:*"}}}}, []string{"a", "b", "c"}},
		{"by name wildcard", &ec2.DescribeKeyPairsInput{Filters: []types.Filter{{Name: aws.String("key-name"), Values: []string{"?"}}}}, []string{"a", "b", "c"}},
		{"no match", &ec2.DescribeKeyPairsInput{Filters: []types.Filter{{Name: aws.String("key-type"), Values: []string{"rsa"}}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, names(tt.in)); diff != "" {
				t.Errorf("wrong key pairs (-want +got):\n%s", diff)
			}
		})
	}

	// Deleting is idempotent: a missing key pair is not an error, as on EC2.
	for _, name := range []string{"b", "b", "never-existed"} {
		if _, err := c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String(name)}); err != nil {
			t.Errorf("delete %q: %v", name, err)
		}
	}
	if diff := cmp.Diff([]string{"a", "c"}, names(&ec2.DescribeKeyPairsInput{})); diff != "" {
		t.Errorf("wrong key pairs after delete (-want +got):\n%s", diff)
	}
	_, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"b"}})
	wantCode(t, err, "InvalidKeyPair.NotFound")
}
