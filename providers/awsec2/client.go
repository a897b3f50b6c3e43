package awsec2

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// ec2API is the part of the EC2 API this package calls. *ec2.Client
// satisfies it; tests point a real client at a local EC2 fake.
type ec2API interface {
	ImportKeyPair(ctx context.Context, in *ec2.ImportKeyPairInput, optFns ...func(*ec2.Options)) (*ec2.ImportKeyPairOutput, error)
	DeleteKeyPair(ctx context.Context, in *ec2.DeleteKeyPairInput, optFns ...func(*ec2.Options)) (*ec2.DeleteKeyPairOutput, error)
	DescribeKeyPairs(ctx context.Context, in *ec2.DescribeKeyPairsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeKeyPairsOutput, error)

	CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, optFns ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	DeleteSecurityGroup(ctx context.Context, in *ec2.DeleteSecurityGroupInput, optFns ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, optFns ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupIngress(ctx context.Context, in *ec2.RevokeSecurityGroupIngressInput, optFns ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)

	DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DescribeInstanceTypes(ctx context.Context, in *ec2.DescribeInstanceTypesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error)

	RunInstances(ctx context.Context, in *ec2.RunInstancesInput, optFns ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error)
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, optFns ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
}

var _ ec2API = (*ec2.Client)(nil)

// where is what picks an EC2 client: the region and endpoint recorded with
// each resource, and the block's profile (not recorded).
type where struct {
	region, endpoint, profile string
}

// clients makes one SDK client per region, endpoint and profile, shared
// by every resource of the backend.
type clients struct {
	mu  sync.Mutex
	all map[where]ec2API
}

// client returns the EC2 client for w.
func (b *Backend) client(ctx context.Context, w where) (ec2API, error) {
	b.clients.mu.Lock()
	defer b.clients.mu.Unlock()
	if c, ok := b.clients.all[w]; ok {
		return c, nil
	}
	loads := []func(*config.LoadOptions) error{config.WithRegion(w.region)}
	if w.profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(w.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for %s: %w", w.region, err)
	}
	c := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		if w.endpoint != "" {
			o.BaseEndpoint = aws.String(w.endpoint)
		}
		if b.HTTPClient != nil {
			o.HTTPClient = b.HTTPClient
		}
	})
	if b.clients.all == nil {
		b.clients.all = map[where]ec2API{}
	}
	b.clients.all[w] = c
	return c, nil
}

// apiError is an EC2 error said briefly: "Code: message", without the
// SDK's operation, attempt and request details; the original stays
// reachable with errors.As.
type apiError struct {
	code, message string
	err           error
}

func (e *apiError) Error() string { return e.code + ": " + e.message }
func (e *apiError) Unwrap() error { return e.err }

// brief shortens an EC2 API error to its code and message.
func brief(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &apiError{code: ae.ErrorCode(), message: ae.ErrorMessage(), err: err}
	}
	return err
}

// errorCode is the EC2 error code of err ("InsufficientInstanceCapacity"),
// or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
