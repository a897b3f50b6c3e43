package awsec2

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"lithops/internal/fakeec2"
)

// testClient is the real SDK client pointed at a fake.
func testClient(t *testing.T, opts fakeec2.Options) ec2API {
	t.Helper()
	srv := fakeec2.New(opts)
	t.Cleanup(func() { srv.Close() })
	return ec2.New(ec2.Options{
		Region:       srv.Region(),
		BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
		HTTPClient: srv.HTTPClient(),
	})
}

// The default image is the newest build of the newest Ubuntu LTS release
// Canonical publishes for the instance type's architecture: not a newer
// interim release, not a Pro or minimal image, not another owner's, not a
// deprecated one.
func TestLatestUbuntuLTS(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	img := func(name, arch string, created time.Time) fakeec2.Image {
		return fakeec2.Image{Name: name, OwnerID: fakeec2.CanonicalOwner, Architecture: arch, Created: created}
	}
	custom := []fakeec2.Image{
		img("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250610", "x86_64", day(2025, 6, 10)),
		img("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001", "x86_64", day(2025, 10, 1)),
		img("ubuntu/images/hvm-ssd-gp3/ubuntu-plucky-25.04-amd64-server-20251101", "x86_64", day(2025, 11, 1)),
		img("ubuntu/images/hvm-ssd-gp3/ubuntu-questing-25.10-amd64-server-20251110", "x86_64", day(2025, 11, 10)),
		img("ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-20260425", "x86_64", day(2026, 4, 25)),
		img("ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-arm64-server-20260425", "arm64", day(2026, 4, 25)),
		img("ubuntu-minimal/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-minimal-20260501", "x86_64", day(2026, 5, 1)),
		{Name: "ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-20260601", OwnerID: "111122223333", Architecture: "x86_64", Created: day(2026, 6, 1)},
	}
	deprecated := img("ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-20260520", "x86_64", day(2026, 5, 20))
	deprecated.Deprecated = day(2026, 5, 30)
	custom = append(custom, deprecated)

	tests := []struct {
		name   string
		images []fakeec2.Image
		typ    string
		want   string
	}{
		{"default catalogue, x86", nil, "t3.micro", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001"},
		{"default catalogue, graviton", nil, "c7g.large", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20251001"},
		{"a newer LTS wins over interim releases", custom, "t3.micro", "ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-20260425"},
		{"arm64 of the newer LTS", custom, "t4g.micro", "ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-arm64-server-20260425"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, fakeec2.Options{Images: tt.images, Now: func() time.Time { return day(2026, 6, 15) }})
			arch, err := architecture(t.Context(), c, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			_, name, err := latestUbuntuLTS(t.Context(), c, arch)
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.want {
				t.Errorf("picked %s, want %s", name, tt.want)
			}
		})
	}

	c := testClient(t, fakeec2.Options{Images: []fakeec2.Image{img("ubuntu/images/hvm-ssd/ubuntu-noble-24.04-amd64-server-20250610", "x86_64", day(2025, 6, 10))}})
	if _, _, err := latestUbuntuLTS(t.Context(), c, "arm64"); err == nil {
		t.Error("found an arm64 image in a catalogue without one")
	}
	if _, err := architecture(t.Context(), c, "z9.huge"); err == nil {
		t.Error("an unknown instance type has an architecture")
	}
}
