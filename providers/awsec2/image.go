package awsec2

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// CanonicalOwner is the account Canonical publishes Ubuntu images from.
const CanonicalOwner = "099720109477"

// ubuntuServer matches the names of Canonical's Ubuntu server images:
// ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001. Pro,
// minimal, EKS and testing images have other prefixes.
var ubuntuServer = regexp.MustCompile(`^ubuntu/images/[a-z0-9-]+/ubuntu-[a-z]+-(\d\d)\.(\d\d)-(amd64|arm64)-server-\d{8}(\.\d+)?$`)

// architecture is the architecture instances of a type run: x86_64 when
// the type supports it, else arm64.
func architecture(ctx context.Context, c ec2API, instanceType string) (string, error) {
	out, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{types.InstanceType(instanceType)}})
	if err != nil {
		return "", fmt.Errorf("describe instance type %s: %w", instanceType, brief(err))
	}
	if len(out.InstanceTypes) == 0 || out.InstanceTypes[0].ProcessorInfo == nil {
		return "", fmt.Errorf("instance type %s is not offered in this region", instanceType)
	}
	archs := out.InstanceTypes[0].ProcessorInfo.SupportedArchitectures
	for _, want := range []types.ArchitectureType{types.ArchitectureTypeX8664, types.ArchitectureTypeArm64} {
		if slices.Contains(archs, want) {
			return string(want), nil
		}
	}
	return "", fmt.Errorf("instance type %s runs neither x86_64 nor arm64 (%v)", instanceType, archs)
}

// latestUbuntuLTS finds the newest Ubuntu LTS server image Canonical
// publishes for arch: the highest LTS release (an even year's .04), then
// the newest build of it. Deprecated images are not listed, as on EC2.
func latestUbuntuLTS(ctx context.Context, c ec2API, arch string) (string, string, error) {
	in := &ec2.DescribeImagesInput{
		Owners: []string{CanonicalOwner},
		Filters: []types.Filter{
			{Name: aws.String("name"), Values: []string{"ubuntu/images/*/ubuntu-*-server-*"}},
			{Name: aws.String("architecture"), Values: []string{arch}},
			{Name: aws.String("state"), Values: []string{"available"}},
		},
	}
	type candidate struct {
		id, name, created string
		release           int // 2404 for 24.04
	}
	var best *candidate
	for {
		out, err := c.DescribeImages(ctx, in)
		if err != nil {
			return "", "", fmt.Errorf("look up Ubuntu images: %w", brief(err))
		}
		for _, img := range out.Images {
			m := ubuntuServer.FindStringSubmatch(aws.ToString(img.Name))
			if m == nil {
				continue
			}
			year, _ := strconv.Atoi(m[1])
			if m[2] != "04" || year%2 != 0 {
				continue // not an LTS release
			}
			c := candidate{id: aws.ToString(img.ImageId), name: aws.ToString(img.Name), created: aws.ToString(img.CreationDate), release: year*100 + 4}
			if best == nil || c.release > best.release || (c.release == best.release && c.created > best.created) {
				best = &c
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if best == nil {
		return "", "", fmt.Errorf("no Ubuntu LTS server image for %s from Canonical (%s) in this region: set ami", arch, CanonicalOwner)
	}
	return best.id, best.name, nil
}
