package fakeec2

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"golang.org/x/crypto/ssh"
)

// start runs a server for one test and closes it at the end, failing the
// test if a host reported an error the test did not expect.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	srv := New(opts)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return srv
}

// client is the real SDK client pointed at srv. It makes one attempt per
// call, so a test sees every error the server sends.
func client(srv *Server, optFns ...func(*ec2.Options)) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       srv.Region(),
		BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Source: "test"}, nil
		}),
		RetryMaxAttempts: 1,
		HTTPClient:       srv.HTTPClient(),
	}, optFns...)
}

// retrying makes the client retry like the SDK's standard retryer, with up
// to attempts attempts and no wait between them.
func retrying(attempts int) func(*ec2.Options) {
	return func(o *ec2.Options) {
		o.RetryMaxAttempts = 0
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.RateLimiter = ratelimit.None
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
}

// codeOf returns the EC2 error code and HTTP status the SDK surfaced, or
// ("", 0) for a nil error.
func codeOf(t *testing.T, err error) (string, int) {
	t.Helper()
	if err == nil {
		return "", 0
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error is not a smithy.APIError: %v", err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

// wantCode fails the test unless err is an API error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got, _ := codeOf(t, err); got != code {
		t.Fatalf("wrong error code: want %q, got %q (%v)", code, got, err)
	}
}

func ed25519Key(t *testing.T) (ssh.PublicKey, []byte) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sp, ssh.MarshalAuthorizedKey(sp)
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// ubuntu is the ID of the newest default Ubuntu 24.04 amd64 image.
func ubuntu(t *testing.T) string {
	t.Helper()
	for _, img := range DefaultImages() {
		if img.Name == "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001" {
			return imageID(img)
		}
	}
	t.Fatal("no default ubuntu image")
	return ""
}

// launch runs count instances of t3.micro with opts applied and returns
// their IDs.
func launch(t *testing.T, c *ec2.Client, count int32, optFns ...func(*ec2.RunInstancesInput)) []string {
	t.Helper()
	in := &ec2.RunInstancesInput{
		ImageId: aws.String(ubuntu(t)), InstanceType: types.InstanceTypeT3Micro,
		MinCount: aws.Int32(count), MaxCount: aws.Int32(count),
	}
	for _, f := range optFns {
		f(in)
	}
	out, err := c.RunInstances(ctxFor(t), in)
	if err != nil {
		t.Fatalf("run instances: %v", err)
	}
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return ids
}

func waitAll(t *testing.T, srv *Server, ids []string, state State) {
	t.Helper()
	for _, id := range ids {
		if _, err := srv.WaitState(ctxFor(t), id, state); err != nil {
			t.Fatal(err)
		}
	}
}

func b64(s string) *string { return aws.String(base64.StdEncoding.EncodeToString([]byte(s))) }
