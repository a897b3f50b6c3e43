package fakeec2

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"
)

func TestThrottleIsRetriedBySDK(t *testing.T) {
	srv := start(t, Options{})
	srv.Throttle(2)
	if _, err := client(srv, retrying(3)).DescribeVpcs(ctxFor(t), &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("describe after two throttles: %v", err)
	}
	var got []Call
	for _, c := range srv.Calls() {
		got = append(got, Call{Action: c.Action, Code: c.Code, Status: c.Status, Attempt: c.Attempt})
	}
	want := []Call{
		{Action: "DescribeVpcs", Code: "RequestLimitExceeded", Status: 503, Attempt: 1},
		{Action: "DescribeVpcs", Code: "RequestLimitExceeded", Status: 503, Attempt: 2},
		{Action: "DescribeVpcs", Status: 200, Attempt: 3},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong calls (-want +got):\n%s", diff)
	}
}

func TestInjectFault(t *testing.T) {
	srv := start(t, Options{})
	c := client(srv)
	ctx := ctxFor(t)
	srv.InjectFault(Fault{Action: "DescribeImages", Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation.", Times: 2})
	srv.Throttle(1)
	steps := []struct {
		call     func() error
		wantCode string
	}{
		// Faults are taken in injection order; a request consumes one.
		{func() error { _, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{}); return err }, "UnauthorizedOperation"},
		{func() error { _, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); return err }, "RequestLimitExceeded"},
		{func() error { _, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); return err }, ""},
		{func() error { _, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{}); return err }, "UnauthorizedOperation"},
		{func() error {
			_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ubuntu(t)}})
			return err
		}, ""},
	}
	var got, want []string
	for _, st := range steps {
		code, _ := codeOf(t, st.call())
		got = append(got, code)
		want = append(want, st.wantCode)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"DescribeImages", "DescribeVpcs", "DescribeVpcs", "DescribeImages", "DescribeImages"}, srv.Actions()); diff != "" {
		t.Errorf("wrong actions (-want +got):\n%s", diff)
	}
}
