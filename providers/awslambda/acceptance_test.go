package awslambda

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/objstore"
	"lithops/providers"
	"lithops/providers/s3"
	"lithops/sched"
)

// TestAcceptanceAWS deploys a function on real AWS Lambda with the lithops
// binary (built here for Linux on this machine's architecture) as its
// bootstrap, runs tasks in it through a new S3 bucket, reads the function
// back, and deletes the function and the bucket.
//
//	LITHOPS_ACC_AWS=1 LITHOPS_ACC_AWS_ROLE=arn:aws:iam::ACCOUNT:role/NAME AWS_REGION=eu-west-1 \
//	  go test -run Acceptance -v ./providers/awslambda/
//
// The role must be assumable by lambda.amazonaws.com and allowed to read
// and write the test's buckets (lithops-acc-lambda-*); the credentials in
// the SDK's chain must be allowed to manage Lambda functions and S3
// buckets and to pass the role (iam:PassRole).
func TestAcceptanceAWS(t *testing.T) {
	if os.Getenv("LITHOPS_ACC_AWS") != "1" {
		t.Skip("acceptance test against real AWS Lambda and S3 (creates and deletes a function and a bucket): set LITHOPS_ACC_AWS=1, LITHOPS_ACC_AWS_ROLE to the function's execution role, AWS credentials through the SDK's usual chain, and AWS_REGION")
	}
	role := os.Getenv("LITHOPS_ACC_AWS_ROLE")
	if role == "" {
		t.Skip("LITHOPS_ACC_AWS_ROLE is not set: the ARN of an IAM role that Lambda may assume, with access to lithops-acc-lambda-* buckets")
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		t.Skip("AWS_REGION is not set")
	}
	ctx := context.Background()
	stamp := time.Now().UTC().Format("20060102-150405")

	body := map[string]cty.Value{}
	for name, ty := range hcldec.ImpliedType(s3.Backend{}.Spec()).AttributeTypes() {
		body[name] = cty.NullVal(ty)
	}
	body["bucket"] = cty.StringVal("lithops-acc-lambda-" + stamp)
	body["region"] = cty.StringVal(region)
	ref := providers.StorageRef{Name: "data", Backend: "s3", Body: cty.ObjectVal(body)}
	opened, err := s3.Backend{}.Open(ctx, providers.OpenStorageRequest{Name: "data", Body: ref.Body})
	if err != nil {
		t.Fatal(err)
	}
	store := opened.Store.(*s3.Store)
	if err := store.Create(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := store.Empty(ctx); err != nil {
			t.Errorf("empty %s: %v", store, err)
		}
		if err := store.Remove(ctx); err != nil {
			t.Errorf("remove %s: %v", store, err)
		}
	})

	e := &Executor{Bootstrap: lithopsBootstrap(t), SpillDir: t.TempDir()}
	exec := map[string]cty.Value{}
	for name, a := range bodySchema.Attributes {
		exec[name] = cty.NullVal(a.Type)
	}
	exec["region"] = cty.StringVal(region)
	exec["execution_role"] = cty.StringVal(role)
	exec["architecture"] = cty.StringVal(hostArch)
	exec["memory"] = cty.NumberIntVal(512)
	exec["timeout"] = cty.StringVal("2m")
	exec["max_workers"] = cty.NumberIntVal(4)
	execBody := cty.ObjectVal(exec)

	resp, err := e.Resources(ctx, providers.ExecutorResourcesRequest{Name: "acc" + strings.ReplaceAll(stamp, "-", ""), Body: execBody, Storage: "data"})
	if err != nil {
		t.Fatal(err)
	}
	dr := resp.Resources[0]
	created, err := dr.Resource.Create(ctx, providers.CreateRequest{Planned: dr.Config})
	if created.State != cty.NilVal && !created.State.IsNull() {
		t.Cleanup(func() {
			if _, err := dr.Resource.Delete(ctx, providers.DeleteRequest{State: created.State}); err != nil {
				t.Errorf("delete the function: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	open, err := e.Open(ctx, providers.OpenExecutorRequest{
		Name: "acc", Body: execBody, Resources: map[string]cty.Value{"function": created.State},
		Storage: store, StorageName: "data", Layout: opened.Layout,
		DescribeStorage: func(context.Context, string) (providers.StorageRef, error) { return ref, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	d := open.Dispatcher.(*dispatcher)
	defer d.Close(ctx)

	job := &sched.Job{
		Name: "job.acc", InlineLimit: 64 << 10, Retries: 1,
		Tasks: []sched.Task{
			{Index: 0, Argv: []string{"echo", "hello from lambda"}},
			{Index: 1, Argv: []string{"wc", "-c"}, Stdin: &sched.Input{Data: []byte(strings.Repeat("y", 100_000))}},
			{Index: 2, Argv: []string{"sh", "-c", "head -c 200000 /dev/zero | tr '\\000' a"}},
			{Index: 3, Argv: []string{"sh", "-c", "sleep 30"}, Timeout: time.Second},
		},
	}
	got := runJob(t, d, job)
	for i := range got {
		o := got[i]
		o.Attempt, o.Stderr = 0, ""
		got[i] = o
	}
	want := map[int]outcome{
		0: {Stdout: "hello from lambda\n"},
		1: {Stdout: "100000\n"},
		2: {Stdout: strings.Repeat("a", 200000)},
		3: {ExitCode: -1, TimedOut: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong outcomes (-want +got):\n%s", diff)
	}
	read, err := dr.Resource.Read(ctx, providers.ReadRequest{State: created.State})
	if err != nil || read.Gone {
		t.Errorf("read: gone=%v err=%v", read.Gone, err)
	}
	d.Close(ctx)
	var left []string
	store.List(ctx, opened.Layout.Root()+"jobs/", func(o objstore.ObjectInfo) error {
		left = append(left, o.Key)
		return nil
	})
	if len(left) > 0 {
		t.Errorf("invocation objects left behind: %s", fmt.Sprint(left))
	}
}
