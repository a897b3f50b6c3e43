package azblob

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The development account every Azurite accepts (published in Azure's docs).
const (
	devAccount = "devstoreaccount1"
	devKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azuriteURL is the blob service the package's tests share, started by
// TestMain; azuriteSkip says why there is none.
var azuriteURL, azuriteSkip string

func TestMain(m *testing.M) {
	code := func() int {
		work, err := os.MkdirTemp("", "lithops-azurite-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(work)
		pid, url, err := startAzurite(work)
		switch {
		case errors.Is(err, errNotInstalled):
			azuriteSkip = "Azurite is not installed: run testdata/azurite/install.sh (npm install azurite@3.37.0 into $LITHOPS_AZURITE_DIR, default ~/.cache/lithops/azurite)"
		case err != nil:
			fmt.Fprintf(os.Stderr, "start azurite: %v\n", err)
			return 1
		default:
			azuriteURL = url
			defer stopAzurite(pid)
		}
		return m.Run()
	}()
	os.Exit(code)
}

var errNotInstalled = errors.New("azurite not installed")

// startAzurite runs testdata/azurite/start.sh and returns what it printed.
func startAzurite(work string) (int, string, error) {
	cmd := exec.Command("bash", "../../testdata/azurite/start.sh", work)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		return 0, "", errNotInstalled
	}
	if err != nil {
		return 0, "", fmt.Errorf("%v: %s", err, stderr.String())
	}
	var pid int
	var url string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "pid":
			pid, _ = strconv.Atoi(v)
		case "url":
			url = v
		}
	}
	if pid <= 0 || url == "" {
		return 0, "", fmt.Errorf("start.sh printed %q", out)
	}
	return pid, url, nil
}

// stopAzurite terminates Azurite by PID and waits until it is gone.
func stopAzurite(pid int) {
	syscall.Kill(pid, syscall.SIGTERM)
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

// azurite returns the shared Azurite URL, or skips the test (fails it when
// LITHOPS_REQUIRE_AZURITE=1, as in CI).
func azurite(t testing.TB) string {
	t.Helper()
	if azuriteURL == "" {
		if os.Getenv("LITHOPS_REQUIRE_AZURITE") == "1" {
			t.Fatalf("LITHOPS_REQUIRE_AZURITE=1 but %s", azuriteSkip)
		}
		t.Skip(azuriteSkip)
	}
	return azuriteURL
}
