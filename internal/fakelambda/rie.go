package fakelambda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The AWS Lambda Runtime Interface Emulator the fake runs functions under
// (shared/reference/TEST-SERVERS.md).
const (
	RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"
)

// Environment variables RequireRIE and FindRIE read.
const (
	// RIEEnv names the aws-lambda-rie binary to use.
	RIEEnv = "LITHOPS_RIE"
	// RequireRIEEnv set to 1 makes tests that need the emulator fail
	// instead of skipping when it is missing (CI sets it).
	RequireRIEEnv = "LITHOPS_REQUIRE_RIE"
)

// InstallRIECommand is the command that installs the emulator where FindRIE
// looks, $(go env GOPATH)/bin (or GOBIN).
const InstallRIECommand = "go install " + RIEPackage + "@" + RIEVersion

// FindRIE returns the path of an aws-lambda-rie binary: $LITHOPS_RIE if set,
// else the first found of $(go env GOBIN), $(go env GOPATH)/bin, the cache
// RequireRIE builds into, and $PATH.
func FindRIE() (string, error) {
	if p := os.Getenv(RIEEnv); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w (install the emulator with: %s)", RIEEnv, p, err, InstallRIECommand)
		}
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			if lines[0] != "" {
				dirs = append(dirs, lines[0])
			}
			for _, p := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	if d, err := rieCacheDir(); err == nil {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, "aws-lambda-rie")
		if executable(p) == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("aws-lambda-rie not found: set %s to its path, or install it with: %s", RIEEnv, InstallRIECommand)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// rieCacheDir is where RequireRIE builds the emulator when it has to.
func rieCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "lithops", "aws-lambda-rie@"+RIEVersion), nil
}

// BuildRIE builds the emulator into dir with the go command (which fetches
// the module) and returns the binary's path. It takes tens of seconds.
func BuildRIE(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build aws-lambda-rie: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "install", RIEPackage+"@"+RIEVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build aws-lambda-rie: %w\n%s", err, out)
	}
	return filepath.Join(dir, "aws-lambda-rie"), nil
}

// RequireRIE returns the emulator's path for a test that runs functions.
// If it is missing the test is skipped with the install command, unless
// LITHOPS_REQUIRE_RIE=1: then it is built once into the user cache
// directory (where FindRIE finds it next time), and the test fails if that
// fails.
func RequireRIE(tb testing.TB) string {
	tb.Helper()
	p, err := FindRIE()
	if err == nil {
		return p
	}
	if os.Getenv(RequireRIEEnv) != "1" {
		tb.Skipf("%v (set %s=1 to build it instead of skipping)", err, RequireRIEEnv)
	}
	tb.Logf("%v; building it (%s=1)", err, RequireRIEEnv)
	dir, err := rieCacheDir()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		p, err = BuildRIE(ctx, dir)
		cancel()
	}
	if err != nil {
		tb.Fatalf("%s=1 and %v", RequireRIEEnv, err)
	}
	return p
}
