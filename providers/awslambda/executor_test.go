package awslambda

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/quick"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
)

func body(attrs map[string]cty.Value) cty.Value {
	b := map[string]cty.Value{}
	for name, a := range bodySchema.Attributes {
		b[name] = cty.NullVal(a.Type)
	}
	b["execution_role"] = cty.StringVal(testRole)
	for k, v := range attrs {
		b[k] = v
	}
	return cty.ObjectVal(b)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		attrs map[string]cty.Value
		want  []string // "attr: summary"
	}{
		{nil, nil},
		{map[string]cty.Value{"memory": cty.NumberIntVal(10240), "timeout": cty.StringVal("15m"), "architecture": cty.StringVal("arm64"), "region": cty.StringVal("eu-west-1"), "max_workers": cty.NumberIntVal(5), "endpoint": cty.StringVal("http://127.0.0.1:9")}, nil},
		{map[string]cty.Value{"memory": cty.NumberIntVal(64)}, []string{"memory: Invalid memory"}},
		{map[string]cty.Value{"memory": cty.NumberFloatVal(512.5)}, []string{"memory: Invalid memory"}},
		{map[string]cty.Value{"timeout": cty.StringVal("16m")}, []string{"timeout: Invalid timeout"}},
		{map[string]cty.Value{"timeout": cty.StringVal("soon")}, []string{"timeout: Invalid timeout"}},
		{map[string]cty.Value{"architecture": cty.StringVal("amd64")}, []string{"architecture: Invalid architecture"}},
		{map[string]cty.Value{"execution_role": cty.StringVal("lithops")}, []string{"execution_role: Invalid execution_role"}},
		{map[string]cty.Value{"region": cty.StringVal("Europe")}, []string{"region: Invalid region"}},
		{map[string]cty.Value{"max_workers": cty.NumberIntVal(0)}, []string{"max_workers: Invalid max_workers"}},
		{map[string]cty.Value{"endpoint": cty.StringVal("localhost:9000")}, []string{"endpoint: Invalid endpoint"}},
		{map[string]cty.Value{"memory": cty.UnknownVal(cty.Number), "execution_role": cty.UnknownVal(cty.String)}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range (&Executor{}).Validate(body(tt.attrs)) {
			got = append(got, p.Attr+": "+p.Summary)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Validate(%v): wrong problems (-want +got):\n%s", tt.attrs, diff)
		}
	}
}

// TestResourcesRefuses: what cannot work is a plan-time error that says
// what to do.
func TestResourcesRefuses(t *testing.T) {
	awsEnv(t)
	script := filepath.Join(t.TempDir(), "lithops")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	self, _ := os.Executable()
	rt := func(name string) providers.Runtime {
		return providers.Runtime{Name: name, Digest: "sha256:" + name, Body: runtimeBody(nil)}
	}
	tests := []struct {
		name     string
		e        *Executor
		req      providers.ExecutorResourcesRequest
		wantErrs []string
	}{
		{"no storage", &Executor{Bootstrap: self}, providers.ExecutorResourcesRequest{Name: "fn", Body: body(nil)},
			[]string{"needs storage = storage.NAME"}},
		{"two runtimes", &Executor{Bootstrap: self}, providers.ExecutorResourcesRequest{Name: "fn", Body: body(nil), Storage: "data", Runtimes: []providers.Runtime{rt("a"), rt("b")}},
			[]string{"runtime.a and runtime.b", "one executor per runtime"}},
		{"the other architecture", &Executor{Bootstrap: self}, providers.ExecutorResourcesRequest{Name: "fn", Body: body(map[string]cty.Value{"architecture": cty.StringVal(otherArch)}), Storage: "data"},
			[]string{"must be a lithops binary for linux/" + goArch[otherArch], "GOOS=linux GOARCH=" + goArch[otherArch] + " CGO_ENABLED=0 go build", BootstrapEnv, "image_uri", "is built for linux/" + goArch[hostArch]}},
		{"not a Linux program", &Executor{Bootstrap: script, BootstrapFromEnv: true}, providers.ExecutorResourcesRequest{Name: "fn", Body: body(nil), Storage: "data"},
			[]string{BootstrapEnv + "=" + script, "is not a Linux (ELF) program"}},
		{"runtime file named bootstrap", &Executor{Bootstrap: self}, providers.ExecutorResourcesRequest{Name: "fn", Body: body(nil), Storage: "data", Dir: t.TempDir(),
			Runtimes: []providers.Runtime{{Name: "r", Body: runtimeBody(map[string]cty.Value{"files": cty.ListVal([]cty.Value{cty.StringVal("bootstrap")})})}}},
			[]string{"cannot be named bootstrap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.e.Resources(context.Background(), tt.req)
			if err == nil {
				t.Fatal("Resources succeeded")
			}
			for _, w := range tt.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestResourcesSettings: the runtime's settings override the executor's,
// and the name follows the runtime's digest and memory only.
func TestResourcesSettings(t *testing.T) {
	awsEnv(t)
	self, _ := os.Executable()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "model.bin"), []byte("weights"), 0o644)
	e := &Executor{Bootstrap: self}
	rt := providers.Runtime{Name: "py", Digest: "sha256:aa", Body: runtimeBody(map[string]cty.Value{
		"memory": cty.NumberIntVal(2048), "timeout": cty.StringVal("90s"),
		"env":   cty.MapVal(map[string]cty.Value{"MODE": cty.StringVal("fast")}),
		"files": cty.ListVal([]cty.Value{cty.StringVal("model.bin")}),
	})}
	resp, err := e.Resources(context.Background(), providers.ExecutorResourcesRequest{Name: "fn", Body: body(map[string]cty.Value{"memory": cty.NumberIntVal(512), "architecture": cty.StringVal(hostArch)}), Storage: "data", Runtimes: []providers.Runtime{rt}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cfg := resp.Resources[0].Config
	got := map[string]any{
		"memory": num(cfg, "memory"), "timeout": num(cfg, "timeout"), "region": str(cfg, "region"),
		"architecture": str(cfg, "architecture"), "env": attr(cfg, "env").Index(cty.StringVal("MODE")).AsString(),
	}
	want := map[string]any{"memory": int64(2048), "timeout": int64(90), "region": testRegion, "architecture": hostArch, "env": "fast"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong settings (-want +got):\n%s", diff)
	}
	if name := str(cfg, "function_name"); !strings.HasPrefix(name, "lithops-fn-py-") || !strings.HasSuffix(name, "-2048mb") {
		t.Errorf("function name %q", name)
	}
	pkg := resp.Resources[0].Resource.(*functionResource).pkg
	if len(pkg.files) != 1 || pkg.files[0].Name != "model.bin" {
		t.Errorf("runtime files in the package: %+v", pkg.files)
	}
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func TestFunctionName(t *testing.T) {
	if got := functionName("fn", "default", "default", "x86_64", "", 1024); !regexp.MustCompile(`^lithops-fn-default-[0-9a-f]{8}-1024mb$`).MatchString(got) {
		t.Errorf("functionName = %q", got)
	}
	a := functionName("fn", "py", "sha256:1", "x86_64", "", 1024)
	for _, other := range []string{
		functionName("fn", "py", "sha256:2", "x86_64", "", 1024),
		functionName("fn", "py", "sha256:1", "arm64", "", 1024),
		functionName("fn", "py", "sha256:1", "x86_64", "", 2048),
	} {
		if other == a {
			t.Errorf("%q: a different runtime digest, architecture or memory must give another name", a)
		}
	}
	f := func(exec, rt, digest string, mem uint16) bool {
		n := functionName(exec, rt, digest, "x86_64", "", int64(mem))
		return namePattern.MatchString(n) && n == functionName(exec, rt, digest, "x86_64", "", int64(mem))
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}

func TestEstimate(t *testing.T) {
	prices, err := loadPrices()
	if err != nil {
		t.Fatal(err)
	}
	e := prices.estimateCost("eu-west-1", "x86_64", 2048, 300)
	if diff := cmp.Diff(2*0.0000166667, e.PerSecond, cmpFloat); diff != "" {
		t.Errorf("wrong price per second (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(300*2*0.0000166667+0.0000002, e.MaxPerTask, cmpFloat); diff != "" {
		t.Errorf("wrong price of a whole timeout (-want +got):\n%s", diff)
	}
	for _, w := range []string{"nothing while idle", "$0.0000333", "per GB-second", "an estimate", prices.Date, "eu-west-1"} {
		if !strings.Contains(e.Basis, w) {
			t.Errorf("basis does not say %q: %s", w, e.Basis)
		}
	}
	arm := prices.estimateCost("us-east-1", "arm64", 1024, 60)
	if arm.PerSecond >= prices.estimateCost("us-east-1", "x86_64", 1024, 60).PerSecond {
		t.Errorf("arm64 should cost less than x86_64 per second")
	}
	far := prices.estimateCost("xx-nowhere-1", "x86_64", 1024, 60)
	if !strings.Contains(far.Basis, "us-east-1 prices, none listed for xx-nowhere-1") {
		t.Errorf("an unlisted region must say whose prices it uses: %s", far.Basis)
	}

	r := &functionResource{prices: prices}
	resp, err := r.Estimate(context.Background(), providers.EstimateRequest{Planned: cty.ObjectVal(map[string]cty.Value{
		"memory": cty.NumberIntVal(1024), "timeout": cty.NumberIntVal(60), "region": cty.StringVal("us-east-1"), "architecture": cty.StringVal("x86_64"),
	})})
	if err != nil || resp.Hourly != 0 || !strings.Contains(resp.Basis, "$0.0000167") {
		t.Errorf("Estimate = %+v, %v", resp, err)
	}
}

var cmpFloat = cmp.Comparer(func(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 })
