package awslambda

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/zclconf/go-cty/cty"

	"lithops/internal/fakelambda"
	"lithops/objstore"
	"lithops/providers"
	"lithops/providers/s3"
)

// Test credentials: the fake Lambda checks only that requests are signed
// for its region, and gofakes3 accepts any key.
const (
	testRegion = fakelambda.DefaultRegion
	testKey    = "AKIDLITHOPSTEST"
	testSecret = "lithops-test-secret"
	testRole   = "arn:aws:iam::" + fakelambda.DefaultAccountID + ":role/lithops-test"
)

var buildDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "awslambda-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// lithopsBootstrap builds the lithops binary (the module's main package)
// the way a function's bootstrap is built: static, for Linux on this
// machine's architecture. It is what the fake Lambda runs under the
// Runtime Interface Emulator. The build shares the go command's cache, so
// it is quick after the first time.
func lithopsBootstrap(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildPath = filepath.Join(buildDir, "lithops")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", buildPath, "lithops")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build lithops: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// awsEnv points the SDK's default chain at the test credentials and region.
func awsEnv(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", testKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", testRegion)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

// fakeS3 starts gofakes3 over memory on 127.0.0.1 and returns its URL.
func fakeS3(t testing.TB) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(gofakes3.New(s3mem.New()).Server())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

var bucketSeq atomic.Int64

// bench is a fake AWS: Lambda (control plane, and functions run under the
// emulator when rie is set) and S3, with a bucket and the storage block
// that describes it.
type bench struct {
	lambda  *fakelambda.Server
	s3URL   string
	bucket  string
	store   objstore.Store
	layout  objstore.Layout
	storage providers.StorageRef
}

// newBench starts the fakes. With run set, functions run for real: the
// emulator must be there (else the test skips, or fails under
// LITHOPS_REQUIRE_RIE=1) and the bootstrap is the lithops binary built
// for the test.
func newBench(t testing.TB, run bool, opts fakelambda.Options) *bench {
	t.Helper()
	awsEnv(t)
	b := &bench{s3URL: fakeS3(t), bucket: fmt.Sprintf("lithops-test-%d", bucketSeq.Add(1))}
	if run {
		opts.RIE = fakelambda.RequireRIE(t)
	}
	opts.Credentials = fakelambda.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	if opts.Env == nil {
		opts.Env = map[string]string{}
	}
	opts.Env["AWS_ENDPOINT_URL_S3"] = b.s3URL
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	b.lambda = fakelambda.New(t, opts)

	body := map[string]cty.Value{}
	for name, ty := range hcldec.ImpliedType(s3.Backend{}.Spec()).AttributeTypes() {
		body[name] = cty.NullVal(ty)
	}
	body["bucket"] = cty.StringVal(b.bucket)
	body["region"] = cty.StringVal(testRegion)
	body["endpoint"] = cty.StringVal(b.s3URL)
	body["force_path_style"] = cty.True
	body["prefix"] = cty.StringVal("team/")
	b.storage = providers.StorageRef{Name: "data", Backend: "s3", Body: cty.ObjectVal(body)}
	resp, err := s3.Backend{}.Open(context.Background(), providers.OpenStorageRequest{Name: "data", Body: b.storage.Body})
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Store.(objstore.Bucket).Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.store, b.layout = resp.Store, resp.Layout
	return b
}

// executorBody is an aws_lambda executor block's body pointed at the fake.
func (b *bench) executorBody(attrs map[string]cty.Value) cty.Value {
	body := map[string]cty.Value{}
	for name, a := range bodySchema.Attributes {
		body[name] = cty.NullVal(a.Type)
	}
	body["execution_role"] = cty.StringVal(testRole)
	body["endpoint"] = cty.StringVal(b.lambda.URL())
	body["region"] = cty.StringVal(testRegion)
	for k, v := range attrs {
		body[k] = v
	}
	return cty.ObjectVal(body)
}

// deploy plans and creates the executor's function, and opens its
// dispatcher.
func (b *bench) deploy(t testing.TB, e *Executor, body cty.Value) (*dispatcher, cty.Value) {
	t.Helper()
	ctx := context.Background()
	resp, err := e.Resources(ctx, providers.ExecutorResourcesRequest{Name: "fn", Body: body, Storage: "data"})
	if err != nil {
		t.Fatal(err)
	}
	dr := resp.Resources[0]
	created, err := dr.Resource.Create(ctx, providers.CreateRequest{Addr: "executor.fn.function", Planned: dr.Config})
	if err != nil {
		t.Fatal(err)
	}
	open, err := e.Open(ctx, providers.OpenExecutorRequest{
		Name: "fn", Body: body, Resources: map[string]cty.Value{"function": created.State},
		Storage: b.store, StorageName: "data", Layout: b.layout,
		DescribeStorage: func(_ context.Context, name string) (providers.StorageRef, error) {
			if name != "data" {
				return providers.StorageRef{}, fmt.Errorf("no storage %q", name)
			}
			return b.storage, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := open.Dispatcher.(*dispatcher)
	t.Cleanup(func() { d.Close(context.Background()) })
	return d, created.State
}
