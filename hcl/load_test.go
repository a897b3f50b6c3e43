package hcl

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
	"lithops/providers/localhost"
)

// fakeStorage is a storage backend with a bucket attribute, for tests.
type fakeStorage struct{}

var _ providers.StorageBackend = fakeStorage{}

func (fakeStorage) Name() string { return "fake" }
func (fakeStorage) Spec() hcldec.Spec {
	return hcldec.ObjectSpec{
		"bucket": &hcldec.AttrSpec{Name: "bucket", Type: cty.String, Required: true},
		"secret": &hcldec.AttrSpec{Name: "secret", Type: cty.String},
	}
}

// BodySchema marks secret as a credential.
func (fakeStorage) BodySchema() providers.Schema {
	return providers.Schema{Attributes: map[string]providers.Attribute{
		"bucket": {Type: cty.String},
		"secret": {Type: cty.String, Sensitive: true},
	}}
}
func (fakeStorage) Validate(cty.Value) []providers.Problem { return nil }
func (fakeStorage) Resources(context.Context, providers.StorageResourcesRequest) (providers.StorageResourcesResponse, error) {
	return providers.StorageResourcesResponse{}, nil
}
func (fakeStorage) Open(context.Context, providers.OpenStorageRequest) (providers.OpenStorageResponse, error) {
	return providers.OpenStorageResponse{}, nil
}

func testRegistry() *providers.Registry {
	return &providers.Registry{
		Executors:        map[string]providers.ExecutorBackend{"localhost": &localhost.Executor{}},
		Storages:         map[string]providers.StorageBackend{"fake": fakeStorage{}},
		PlannedExecutors: []string{"vm", "aws_lambda"},
	}
}

func loadDir(t testing.TB, dir string, env []string, vars ...VarFlag) (*Config, hcl2.Diagnostics) {
	t.Helper()
	cfg, diags := Load(LoadOptions{Dir: dir, Env: env, Vars: vars, Registry: testRegistry()})
	if cfg.CanEvaluate() {
		diags = append(diags, cfg.Validate(testRegistry())...)
	}
	return cfg, diags
}

func TestLoadValid(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/valid/*")
	dirs = append(dirs, examples(t)...)
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			_, diags := loadDir(t, dir, nil)
			for _, d := range diags {
				t.Errorf("%s", d)
			}
		})
	}
}

// examples lists the directories under examples/: every one must validate.
func examples(t testing.TB) []string {
	dirs, err := filepath.Glob("../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	return out
}

var errorMark = regexp.MustCompile(`# ERROR: (.+)$`)

// TestLoadErrors loads each file of testdata/errors alone. Every line marked
// "# ERROR: <summary>" must get a diagnostic with that summary, and no other
// line may get one.
func TestLoadErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.hcl")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			want := map[int][]string{}
			sc := bufio.NewScanner(strings.NewReader(string(src)))
			for line := 1; sc.Scan(); line++ {
				if m := errorMark.FindStringSubmatch(sc.Text()); m != nil {
					want[line] = append(want[line], m[1])
				}
			}
			cfg, diags := Load(LoadOptions{Dir: dir, Registry: testRegistry()})
			if cfg.CanEvaluate() {
				diags = append(diags, cfg.Validate(testRegistry())...)
			}
			got := map[int][]string{}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a source range: %s: %s", d.Summary, d.Detail)
					continue
				}
				got[d.Subject.Start.Line] = append(got[d.Subject.Start.Line], d.Summary)
			}
			for _, m := range []map[int][]string{want, got} {
				for _, s := range m {
					sort.Strings(s)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("wrong diagnostics by line (-want +got):\n%s", diff)
				for _, d := range diags {
					t.Logf("%s", d)
				}
			}
		})
	}
}

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.hcl", `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "n" {
  type    = list(number)
  default = []
}
job "j" {
  map {
    over    = [var.a]
    command = ["true"]
  }
}
`)
	write("1.auto.vars.hcl", "b = \"auto1\"\nc = \"auto1\"\n")
	write("2.auto.vars.hcl", "c = \"auto2\"\n")
	write("x.vars.hcl", "d = \"file\"\ne = \"file\"\n")
	env := []string{"LITHOPS_VAR_a=env", "LITHOPS_VAR_b=env", "LITHOPS_VAR_n=[1, 2]", "LITHOPS_VAR_undeclared=1"}
	cfg, diags := Load(LoadOptions{
		Dir: dir, Env: env, Registry: testRegistry(),
		Vars: []VarFlag{{Value: "e=flag"}, {File: true, Value: filepath.Join(dir, "x.vars.hcl")}, {Value: "d=flag"}},
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := map[string]string{}
	for name, v := range cfg.Values {
		if v.Type() == cty.String {
			got[name] = v.AsString()
		}
	}
	want := map[string]string{"a": "env", "b": "auto1", "c": "auto2", "d": "flag", "e": "file"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong values (-want +got):\n%s", diff)
	}
	if n := cfg.Values["n"]; !n.RawEquals(cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)})) {
		t.Errorf("wrong list from the environment: %#v", n)
	}
}

func TestVariableErrors(t *testing.T) {
	dir := t.TempDir()
	src := `
variable "req" { type = number }
job "j" {
  map {
    over    = [var.req]
    command = ["true"]
  }
}
`
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644)
	tests := []struct {
		name string
		vars []VarFlag
		env  []string
		want []string
	}{
		{"missing required", nil, nil, []string{"No value for required variable"}},
		{"wrong type from -var", []VarFlag{{Value: "req=abc"}}, nil, []string{"Invalid value for variable"}},
		{"undeclared -var", []VarFlag{{Value: "req=1"}, {Value: "nope=1"}}, nil, []string{"Value for undeclared variable"}},
		{"malformed -var", []VarFlag{{Value: "req"}}, nil, []string{"Invalid -var option", "No value for required variable"}},
		{"missing -var-file", []VarFlag{{Value: "req=1"}, {File: true, Value: filepath.Join(dir, "none.vars.hcl")}}, nil, []string{"Cannot read variables file"}},
		{"from the environment", nil, []string{"LITHOPS_VAR_req=5"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Load(LoadOptions{Dir: dir, Vars: tt.vars, Env: tt.env, Registry: testRegistry()})
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestItems(t *testing.T) {
	str := func(items []Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, fmt.Sprintf("%s=%s", it.KeyString(), it.Value.GoString()))
		}
		return out
	}
	tests := []struct {
		name string
		in   cty.Value
		want []string
	}{
		{"list", cty.ListVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}), []string{`0=cty.StringVal("x")`, `1=cty.StringVal("y")`}},
		{"set of strings", cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}), []string{`a=cty.StringVal("a")`, `b=cty.StringVal("b")`}},
		{"map by key", cty.MapVal(map[string]cty.Value{"z": cty.True, "a": cty.False}), []string{`a=cty.False`, `z=cty.True`}},
		{"empty tuple", cty.EmptyTupleVal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Items(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, str(items)); diff != "" {
				t.Errorf("wrong items (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Items(cty.StringVal("abc")); err == nil {
		t.Error("Items of a string: no error")
	}
}

func TestParseSize(t *testing.T) {
	tests := map[string]int64{"64MiB": 64 << 20, "1GB": 1e9, "512KiB": 512 << 10, "100": 100, "1.5KiB": 1536, " 2 GiB ": 2 << 30}
	for in, want := range tests {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "lots"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
}

func TestFileset(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "b.log", "sub/c.txt", "sub/deep/d.txt"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	tests := map[string][]string{
		"*.txt":     {"a.txt"},
		"**/*.txt":  {"a.txt", "sub/c.txt", "sub/deep/d.txt"},
		"sub/*":     {"sub/c.txt"},
		"sub/**":    {"sub/c.txt", "sub/deep/d.txt"},
		"*.{txt}":   nil,
		"nothing/*": nil,
	}
	for pattern, want := range tests {
		got, err := Fileset(dir, pattern)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Fileset(%q) (-want +got):\n%s", pattern, diff)
		}
	}
}

func TestJobEvaluation(t *testing.T) {
	cfg, diags := loadDir(t, "testdata/valid/full", nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	e := cfg.Evaluator()
	js, diags := e.Job("first")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got, want := len(js.Items), 3; got != want {
		t.Fatalf("wrong item count %d, want %d", got, want)
	}
	if !js.Sensitive {
		t.Error("the job's env uses a sensitive variable but the job is not marked sensitive")
	}
	tc, diags := e.MapTask(cfg.Jobs["first"], js.Items[1])
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{"sh", "-c", `echo {\"k\": \"$1\"}`, "sh", "part-1", "PART-1"}
	if diff := cmp.Diff(want, tc.Argv); diff != "" {
		t.Errorf("wrong argv (-want +got):\n%s", diff)
	}
	second, _ := e.Job("second")
	if !second.Unknown {
		t.Error("job.second maps over job.first.results before they are known, but is not Unknown")
	}
	e.SetJobResults("first", []cty.Value{cty.StringVal("r0"), cty.StringVal("r1")}, cty.NumberIntVal(2))
	second, _ = e.Job("second")
	if second.Unknown || len(second.Items) != 2 {
		t.Errorf("after SetJobResults: Unknown=%v items=%d, want known with 2 items", second.Unknown, len(second.Items))
	}
	out, diags := e.OutputValue("first")
	if diags.HasErrors() || !out.RawEquals(cty.NumberIntVal(2)) {
		t.Errorf("output first = %#v, %v", out, diags)
	}
}

// FuzzLoad feeds arbitrary bytes to the loader as a configuration file: it
// must return diagnostics, never panic.
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"testdata/valid/full/main.hcl", "testdata/valid/minimal/main.hcl", "testdata/errors/references.hcl", "testdata/errors/values.hcl"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`job "x" { map { over = job.x.results command = [each] } }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(LoadOptions{Dir: dir, Registry: testRegistry()})
		if cfg != nil && !diags.HasErrors() {
			cfg.Validate(testRegistry())
			e := cfg.Evaluator()
			for name, j := range cfg.Jobs {
				if js, d := e.Job(name); !d.HasErrors() && len(js.Items) > 0 && len(js.Items) < 100 {
					for _, it := range js.Items {
						e.MapTask(j, it)
					}
				}
			}
		}
	})
}

// BenchmarkValidate1000Jobs validates a generated directory of 1,000 job
// blocks, as lithops validate does.
func BenchmarkValidate1000Jobs(b *testing.B) {
	dir := b.TempDir()
	var src strings.Builder
	src.WriteString("variable \"n\" {\n  default = 3\n}\n\nexecutor \"local\" {\n  backend = \"localhost\"\n}\n\n")
	for i := range 1000 {
		fmt.Fprintf(&src, "job \"j%d\" {\n  executor = executor.local\n  retries  = 2\n  timeout  = \"10m\"\n", i)
		if i > 0 {
			fmt.Fprintf(&src, "  depends_on = [job.j%d]\n", i-1)
		}
		fmt.Fprintf(&src, "  map {\n    over    = range(var.n)\n    command = [\"echo\", \"job%d\", tostring(each.value)]\n  }\n", i)
		src.WriteString("  reduce {\n    command = [\"wc\", \"-l\"]\n  }\n}\n\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	reg := testRegistry()
	b.ResetTimer()
	for range b.N {
		cfg, diags := Load(LoadOptions{Dir: dir, Registry: reg})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if diags := cfg.Validate(reg); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

func TestRange(t *testing.T) {
	call := func(args ...int64) []string {
		vals := make([]cty.Value, len(args))
		for i, a := range args {
			vals[i] = cty.NumberIntVal(a)
		}
		v, err := rangeFunc.Call(vals)
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		var out []string
		for _, e := range v.AsValueSlice() {
			out = append(out, e.AsBigFloat().Text('f', -1))
		}
		return out
	}
	tests := []struct {
		args []int64
		want []string
	}{
		{[]int64{3}, []string{"0", "1", "2"}},
		{[]int64{-2}, []string{"0", "-1"}},
		{[]int64{2, 5}, []string{"2", "3", "4"}},
		{[]int64{5, 2}, []string{"5", "4", "3"}},
		{[]int64{0, 10, 4}, []string{"0", "4", "8"}},
		{[]int64{0}, nil},
		{[]int64{0, 1, 0}, []string{"error: step must not be zero"}},
		{[]int64{0, 20_000_000}, []string{"error: range would make 20000000 values, more than the 10000000 allowed"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, call(tt.args...)); diff != "" {
			t.Errorf("range(%v) (-want +got):\n%s", tt.args, diff)
		}
	}
	// Far more than cty's own cap of 1,024.
	if got := len(call(100_000)); got != 100_000 {
		t.Errorf("range(100000) has %d elements", got)
	}
}
