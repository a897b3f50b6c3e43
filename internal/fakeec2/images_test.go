package fakeec2

import (
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// TestLatestUbuntu does the lookup a fleet backend makes for "the latest
// Ubuntu 24.04 LTS": Canonical's owner ID, a name pattern, an
// architecture, then the newest CreationDate. A pattern that is too loose
// picks the newer Ubuntu Pro image instead.
func TestLatestUbuntu(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	latest := func(name, arch string) string {
		t.Helper()
		out, err := c.DescribeImages(ctxFor(t), &ec2.DescribeImagesInput{
			Owners: []string{CanonicalOwner},
			Filters: []types.Filter{
				{Name: aws.String("name"), Values: []string{name}},
				{Name: aws.String("architecture"), Values: []string{arch}},
				{Name: aws.String("state"), Values: []string{"available"}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		imgs := out.Images
		sort.Slice(imgs, func(i, j int) bool { return aws.ToString(imgs[i].CreationDate) > aws.ToString(imgs[j].CreationDate) })
		if len(imgs) == 0 {
			return ""
		}
		return aws.ToString(imgs[0].Name)
	}
	tests := []struct {
		name, pattern, arch, want string
	}{
		{"noble amd64", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*", "x86_64", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001"},
		{"noble arm64", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*", "arm64", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20251001"},
		{"jammy amd64", "ubuntu/images/*/ubuntu-jammy-22.04-amd64-server-*", "x86_64", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20250925"},
		{"too loose a pattern", "*ubuntu-noble-24.04-amd64*", "x86_64", "ubuntu-pro-server/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-pro-server-20251015"},
		{"deprecated focal is hidden", "ubuntu/images/*/ubuntu-focal-20.04-*", "x86_64", ""},
		{"wrong owner's images", "al2023-*", "x86_64", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latest(tt.pattern, tt.arch); got != tt.want {
				t.Errorf("wrong latest image: want %q, got %q", tt.want, got)
			}
		})
	}
}

func TestDescribeImagesOwnersAndDeprecation(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := start(t, Options{Now: func() time.Time { return now }})
	c := client(srv)
	count := func(in *ec2.DescribeImagesInput) int {
		t.Helper()
		n := 0
		p := ec2.NewDescribeImagesPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctxFor(t))
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.Images)
		}
		return n
	}
	tests := []struct {
		name string
		in   *ec2.DescribeImagesInput
		want int
	}{
		{"everything listed", &ec2.DescribeImagesInput{}, 7},
		{"deprecated included", &ec2.DescribeImagesInput{IncludeDeprecated: aws.Bool(true)}, 8},
		{"canonical", &ec2.DescribeImagesInput{Owners: []string{CanonicalOwner}}, 6},
		{"amazon alias", &ec2.DescribeImagesInput{Owners: []string{"amazon"}}, 1},
		{"self owns nothing", &ec2.DescribeImagesInput{Owners: []string{"self"}}, 0},
		{"pages of five", &ec2.DescribeImagesInput{MaxResults: aws.Int32(5)}, 7},
		{"by owner alias filter", &ec2.DescribeImagesInput{Filters: []types.Filter{{Name: aws.String("owner-alias"), Values: []string{"amazon"}}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := count(tt.in); got != tt.want {
				t.Errorf("want %d images, got %d", tt.want, got)
			}
		})
	}
	// A deprecated image is hidden from listings, not from lookups by ID,
	// and can still be launched.
	var focal string
	for _, img := range DefaultImages() {
		if !img.Deprecated.IsZero() {
			focal = imageID(img)
		}
	}
	out, err := c.DescribeImages(ctxFor(t), &ec2.DescribeImagesInput{ImageIds: []string{focal}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{focal, "2025-06-01T10:00:00.000Z"}, []string{aws.ToString(out.Images[0].ImageId), aws.ToString(out.Images[0].DeprecationTime)}); diff != "" {
		t.Errorf("wrong deprecated image (-want +got):\n%s", diff)
	}
	launch(t, c, 1, func(in *ec2.RunInstancesInput) { in.ImageId = aws.String(focal) })
}
