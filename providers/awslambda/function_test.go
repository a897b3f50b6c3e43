package awslambda

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/internal/fakelambda"
	"lithops/providers"
)

// hostArch is this machine's Lambda architecture.
var hostArch = map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]

// otherArch is the architecture this machine cannot build for by running
// itself.
var otherArch = map[string]string{"x86_64": "arm64", "arm64": "x86_64"}[hostArch]

// smallBootstrap copies a small ELF program of this machine (true(1)) as
// a stand-in bootstrap for tests that never invoke the function.
func smallBootstrap(t *testing.T, content string) string {
	t.Helper()
	src, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skipf("no /bin/true to use as a bootstrap: %v", err)
	}
	p := filepath.Join(t.TempDir(), "lithops")
	if err := os.WriteFile(p, append(src, content...), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func sdkClient(b *bench) *lambda.Client {
	return lambda.New(lambda.Options{
		Region: testRegion, BaseEndpoint: aws.String(b.lambda.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}, nil
		}),
	})
}

// plannedFunction asks the executor for its function.
func plannedFunction(t *testing.T, e *Executor, body cty.Value, runtimes ...providers.Runtime) providers.DesiredResource {
	t.Helper()
	resp, err := e.Resources(context.Background(), providers.ExecutorResourcesRequest{Name: "fn", Body: body, Storage: "data", Runtimes: runtimes, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Resources) != 1 || resp.Resources[0].Name != "function" {
		t.Fatalf("wrong resources: %+v", resp.Resources)
	}
	return resp.Resources[0]
}

// TestFunctionLifecycle creates, reads, updates (code, then settings) and
// deletes a function through the real SDK client against the fake Lambda
// service, and checks what the state records at each step.
func TestFunctionLifecycle(t *testing.T) {
	b := newBench(t, false, fakelambda.Options{StateDelay: 20 * time.Millisecond})
	ctx := context.Background()
	boot := smallBootstrap(t, "v1")
	e := &Executor{Bootstrap: boot, WaitDelay: 5 * time.Millisecond}
	body := b.executorBody(map[string]cty.Value{"architecture": cty.StringVal(hostArch), "memory": cty.NumberIntVal(512), "timeout": cty.StringVal("2m")})

	dr := plannedFunction(t, e, body)
	created, err := dr.Resource.Create(ctx, providers.CreateRequest{Addr: "executor.fn.function", Planned: dr.Config})
	if err != nil {
		t.Fatal(err)
	}
	st := decodeFn(created.State)
	want := fn{name: "lithops-fn-default-" + st.name[len("lithops-fn-default-"):len(st.name)-len("-512mb")] + "-512mb",
		region: testRegion, endpoint: b.lambda.URL(), role: testRole, arch: hostArch, codeDigest: str(dr.Config, "code_digest"), memory: 512, timeout: 120}
	if diff := cmp.Diff(want, st, cmp.AllowUnexported(fn{})); diff != "" {
		t.Errorf("wrong state after create (-want +got):\n%s", diff)
	}
	if str(created.State, "arn") == "" || str(created.State, "code_sha256") == "" {
		t.Errorf("computed attributes missing: %#v", created.State)
	}

	read, err := dr.Resource.Read(ctx, providers.ReadRequest{State: created.State})
	if err != nil || read.Gone {
		t.Fatalf("read after create: gone=%v err=%v", read.Gone, err)
	}
	if !read.State.RawEquals(created.State) {
		t.Errorf("read differs from what create recorded:\n%#v\n%#v", read.State, created.State)
	}

	// A new lithops binary: the same function, new code.
	boot2 := smallBootstrap(t, "v2")
	e2 := &Executor{Bootstrap: boot2, WaitDelay: 5 * time.Millisecond}
	dr2 := plannedFunction(t, e2, body)
	if str(dr2.Config, "function_name") != st.name || str(dr2.Config, "code_digest") == st.codeDigest {
		t.Fatalf("a new bootstrap should keep the name and change the code digest: %#v", dr2.Config)
	}
	updated, err := dr2.Resource.(providers.Updater).Update(ctx, providers.UpdateRequest{Prior: created.State, Planned: dr2.Config})
	if err != nil {
		t.Fatal(err)
	}
	if str(updated.State, "code_sha256") == str(created.State, "code_sha256") {
		t.Errorf("code_sha256 did not change with the code")
	}

	// New settings: timeout and environment, in place.
	rt := providers.Runtime{Name: "default", Digest: "default", Body: runtimeBody(map[string]cty.Value{"env": cty.MapVal(map[string]cty.Value{"MODE": cty.StringVal("fast")})})}
	dr3 := plannedFunction(t, e2, b.executorBody(map[string]cty.Value{"architecture": cty.StringVal(hostArch), "memory": cty.NumberIntVal(512), "timeout": cty.StringVal("3m")}), rt)
	updated2, err := dr3.Resource.(providers.Updater).Update(ctx, providers.UpdateRequest{Prior: updated.State, Planned: dr3.Config})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sdkClient(b).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(str(updated2.State, "function_name"))})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(got.Configuration.Timeout) != 180 || got.Configuration.Environment.Variables["MODE"] != "fast" {
		t.Errorf("settings not updated: timeout %d, env %v", aws.ToInt32(got.Configuration.Timeout), got.Configuration.Environment.Variables)
	}

	if _, err := dr.Resource.Delete(ctx, providers.DeleteRequest{State: updated2.State}); err != nil {
		t.Fatal(err)
	}
	read, err = dr.Resource.Read(ctx, providers.ReadRequest{State: updated2.State})
	if err != nil || !read.Gone {
		t.Errorf("read after delete: gone=%v err=%v, want gone", read.Gone, err)
	}
	// Deleting what is gone is not an error.
	if _, err := dr.Resource.Delete(ctx, providers.DeleteRequest{State: updated2.State}); err != nil {
		t.Errorf("delete of a deleted function: %v", err)
	}
}

func runtimeBody(attrs map[string]cty.Value) cty.Value {
	body := map[string]cty.Value{
		"image_uri": cty.NullVal(cty.String), "memory": cty.NullVal(cty.Number), "timeout": cty.NullVal(cty.String),
		"architecture": cty.NullVal(cty.String), "env": cty.NullVal(cty.Map(cty.String)), "files": cty.NullVal(cty.List(cty.String)),
	}
	for k, v := range attrs {
		body[k] = v
	}
	return cty.ObjectVal(body)
}

// TestFunctionDrift: changes made outside lithops show in Read, so that the
// plan puts them right.
func TestFunctionDrift(t *testing.T) {
	b := newBench(t, false, fakelambda.Options{StateDelay: -1})
	ctx := context.Background()
	e := &Executor{Bootstrap: smallBootstrap(t, "drift"), WaitDelay: 5 * time.Millisecond}
	dr := plannedFunction(t, e, b.executorBody(map[string]cty.Value{"architecture": cty.StringVal(hostArch)}))
	created, err := dr.Resource.Create(ctx, providers.CreateRequest{Planned: dr.Config})
	if err != nil {
		t.Fatal(err)
	}
	name := str(created.State, "function_name")
	sdk := sdkClient(b)

	// Settings and code changed by someone else.
	if _, err := sdk.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Timeout: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	zip, _ := fakelambda.Zip(fakelambda.ZipFile{Name: "bootstrap", Mode: 0o755, Data: []byte("#!/bin/sh\n")})
	waitUpdated(t, sdk, name)
	if _, err := sdk.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip}); err != nil {
		t.Fatal(err)
	}
	read, err := dr.Resource.Read(ctx, providers.ReadRequest{State: created.State})
	if err != nil || read.Gone {
		t.Fatalf("read: gone=%v err=%v", read.Gone, err)
	}
	if got := num(read.State, "timeout"); got != 7 {
		t.Errorf("read timeout %d, want the 7 set outside", got)
	}
	if got := str(read.State, "code_digest"); got != changedOutside {
		t.Errorf("read code_digest %q, want %q", got, changedOutside)
	}

	// Deleted by someone else: gone, so the plan creates it again.
	if _, err := sdk.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	read, err = dr.Resource.Read(ctx, providers.ReadRequest{State: created.State})
	if err != nil || !read.Gone {
		t.Errorf("read of a function deleted outside: gone=%v err=%v, want gone", read.Gone, err)
	}
}

func waitUpdated(t *testing.T, sdk *lambda.Client, name string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(sdk, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 50*time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestServiceRejections: what the Lambda service refuses (as the fake
// does, with the service's error codes) comes back as a lithops error
// that names the function, the refusal and what to check. Offline
// validation would catch most of these first; here they are sent anyway.
func TestServiceRejections(t *testing.T) {
	b := newBench(t, false, fakelambda.Options{StateDelay: -1})
	e := &Executor{Bootstrap: smallBootstrap(t, "reject"), WaitDelay: 5 * time.Millisecond}
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		want  []string
	}{
		{"memory below the minimum", map[string]cty.Value{"memory": cty.NumberIntVal(64)},
			[]string{`create Lambda function "lithops-fn-default-`, "the Lambda service refused it (ValidationException)", "Value '64' at 'memorySize' failed to satisfy constraint"}},
		{"no role", map[string]cty.Value{"execution_role": cty.NullVal(cty.String)},
			[]string{"the request lacks required settings", "Role"}},
		{"role of another account", map[string]cty.Value{"execution_role": cty.StringVal("arn:aws:iam::999999999999:role/elsewhere")},
			[]string{"the Lambda service refused it (InvalidParameterValueException)", "cannot be assumed by Lambda", "check execution_role"}},
		{"role that is not a role ARN", map[string]cty.Value{"execution_role": cty.StringVal("lithops")},
			[]string{"(ValidationException)", "'role' failed to satisfy constraint", "check execution_role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]cty.Value{"architecture": cty.StringVal(hostArch)}
			for k, v := range tt.attrs {
				attrs[k] = v
			}
			dr := plannedFunction(t, e, b.executorBody(attrs))
			_, err := dr.Resource.Create(context.Background(), providers.CreateRequest{Planned: dr.Config})
			if err == nil {
				t.Fatal("create succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestImageFunction: a runtime with image_uri deploys a container image
// (no bootstrap is built or checked), and an image Lambda cannot use is
// the service's refusal, explained.
func TestImageFunction(t *testing.T) {
	b := newBench(t, false, fakelambda.Options{StateDelay: -1})
	ctx := context.Background()
	e := &Executor{Bootstrap: "/nonexistent/lithops", WaitDelay: 5 * time.Millisecond}
	image := fakelambda.DefaultAccountID + ".dkr.ecr." + testRegion + ".amazonaws.com/lithops:1"
	rt := providers.Runtime{Name: "img", Digest: "sha256:img", Body: runtimeBody(map[string]cty.Value{"image_uri": cty.StringVal(image)})}
	dr := plannedFunction(t, e, b.executorBody(nil), rt)
	if !attr(dr.Config, "code_digest").IsNull() || str(dr.Config, "image_uri") != image {
		t.Fatalf("planned %#v", dr.Config)
	}
	created, err := dr.Resource.Create(ctx, providers.CreateRequest{Planned: dr.Config})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sdkClient(b).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(str(created.State, "function_name"))})
	if err != nil {
		t.Fatal(err)
	}
	if got.Configuration.PackageType != "Image" || aws.ToString(got.Code.ImageUri) != image {
		t.Errorf("deployed %s %s", got.Configuration.PackageType, aws.ToString(got.Code.ImageUri))
	}
	read, err := dr.Resource.Read(ctx, providers.ReadRequest{State: created.State})
	if err != nil || read.Gone || str(read.State, "image_uri") != image || !attr(read.State, "code_digest").IsNull() {
		t.Errorf("read: %#v, %v", read.State, err)
	}

	bad := providers.Runtime{Name: "hub", Digest: "sha256:hub", Body: runtimeBody(map[string]cty.Value{"image_uri": cty.StringVal("docker.io/library/lithops:1")})}
	dr = plannedFunction(t, e, b.executorBody(nil), bad)
	_, err = dr.Resource.Create(ctx, providers.CreateRequest{Planned: dr.Config})
	if err == nil || !strings.Contains(err.Error(), "the Lambda service refused it (InvalidParameterValueException)") {
		t.Errorf("an image outside ECR: %v", err)
	}
}
