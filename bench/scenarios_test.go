package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The CPU-bound task must be the same program for every tool: the awk
// program the peers run is the one in the lithops configuration.
func TestCPUScenarioRunsThePeersProgram(t *testing.T) {
	hcl, err := scenario("tasks-cpu.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hcl, `"`+awkProgram+`"`) {
		t.Errorf("tasks-cpu.hcl does not run the peers' awk program %q", awkProgram)
	}
}

func TestRenderScenario(t *testing.T) {
	got, err := renderScenario("resources.tf.tmpl", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`resource "terraform_data" "r0"`, `resource "terraform_data" "r1"`} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered configuration lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"r2"`) {
		t.Errorf("rendered configuration has a third resource:\n%s", got)
	}
}

func TestSeq(t *testing.T) {
	if diff := cmp.Diff("1\n2\n3\n", seq(3)); diff != "" {
		t.Errorf("wrong seq output (-want +got):\n%s", diff)
	}
}

// Every scenario file is used by the suite, and every one the suite names
// exists.
func TestSuiteUsesEveryScenario(t *testing.T) {
	entries, err := os.ReadDir("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	for _, withStorage := range []bool{false, true} {
		if _, err := suite(tools{Lithops: "/bin/lithops", Xargs: "/usr/bin/xargs", CPUs: 2, Storage: withStorage}, smokeSizes); err != nil {
			t.Fatalf("suite (storage %v): %v", withStorage, err)
		}
	}
	src := ""
	for _, f := range []string{"suite.go", "main.go", "fleet.go", "scan.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src += string(b)
	}
	for _, e := range entries {
		if !strings.Contains(src, `"`+e.Name()+`"`) {
			t.Errorf("scenario %s is not used", filepath.Join("scenarios", e.Name()))
		}
	}
}
