package command

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
)

const versionHelp = `version [-json]

Show the version of lithops and the platform it was built for.

Options:
  -json   Print {"lithops_version": …, "go_version": …, "platform": …}.
`

func runVersion(_ context.Context, env *Env, args []string) int {
	fs := newFlags("version")
	asJSON := fs.Bool("json", false, "")
	if code, ok := parse(env, fs, versionHelp, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "Error: version takes no arguments\n")
		return 1
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if *asJSON {
		b, _ := json.MarshalIndent(map[string]string{
			"lithops_version": Version,
			"go_version":      runtime.Version(),
			"platform":        platform,
		}, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
		return 0
	}
	fmt.Fprintf(env.Stdout, "lithops %s\non %s, built with %s\n", Version, platform, runtime.Version())
	return 0
}
