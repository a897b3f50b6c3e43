package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes this test binary double as the lithops command in the
// scripts' PATH (and as its own worker processes). The vm executor installs
// it on the test hosts as ~/.lithops/bin/lithops-<digest>, and runs it there
// under that name: it is lithops then too.
func TestMain(m *testing.M) {
	if strings.HasPrefix(filepath.Base(os.Args[0]), "lithops-") {
		os.Exit(run())
	}
	testscript.Main(m, map[string]func(){
		"lithops": func() { os.Exit(run()) },
	})
}

// TestScripts runs the end-to-end scripts under testdata/script: the real
// binary's entry point, run as users run it.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		RequireExplicitExec: false,
	})
}
