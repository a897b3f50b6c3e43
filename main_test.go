package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes this test binary double as the lithops command in the
// scripts' PATH (and as its own worker processes).
func TestMain(m *testing.M) {
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
