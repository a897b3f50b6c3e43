package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lithops/internal/golden"
	"lithops/internal/testhosts"
)

// TestRender renders a report of made-up samples: two runs of every tool of
// the smoke suite, terraform missing from the engine benchmark's larger size.
func TestRender(t *testing.T) {
	fleet := &testhosts.Fleet{ClientKey: "/tmp/x/fleet/client_key", KnownHosts: "/tmp/x/fleet/known_hosts"}
	for i := range fleetHosts {
		fleet.Hosts = append(fleet.Hosts, testhosts.Host{Addr: fmt.Sprintf("10.231.0.%d", 11+i), Port: 22, User: fmt.Sprintf("lt0h%d", i+1)})
	}
	tl := tools{Lithops: "/tmp/x/bin/lithops", Xargs: "/usr/bin/xargs", Parallel: "/usr/bin/parallel", Fleet: fleet,
		S3:        &s3Server{URL: "http://127.0.0.1:40001", CappedURL: "http://127.0.0.1:40002", CapRate: scanCap, Size: 7 << 20, Lines: 71234},
		Terraform: "/usr/local/bin/terraform", TerraformRC: "/tmp/x/terraform.rc", CPUs: 2, Storage: true}
	benchmarks, err := suite(tl, smokeSizes)
	if err != nil {
		t.Fatal(err)
	}
	r := newResults()
	ms := time.Millisecond
	for _, b := range benchmarks {
		for ti, tool := range b.Tools {
			if b.ID == "resources/50" && tool.Name == "terraform" {
				continue
			}
			for si, st := range tool.Steps {
				for run := range 2 {
					size := b.Size
					if b.Section == Scan {
						size >>= 20 // a millisecond a MiB
					}
					unit := time.Duration(1+ti) * time.Duration(size+si) * ms
					s := Sample{
						Wall:   unit + time.Duration(run)*ms,
						CPU:    unit / 2,
						MaxRSS: int64(10+b.Size/100) << 20,
						Load1:  1.5,
					}
					if tool.Name == "lithops" && st.Name == "run" {
						s.JobPhase = unit * 9 / 10
						s.ClientHWM, s.PoolHWM, s.Children = s.MaxRSS-1<<20, 16<<20, 2
					}
					r.Add(b.ID, tool.Name, st.Name, s)
				}
			}
		}
	}
	m := Meta{
		Command: "go run ./bench -runs 2", Date: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), Elapsed: 83 * time.Second,
		CPU: "Test CPU", Cores: 2, Kernel: "6.1.0", Memory: 8 << 30, Go: "go1.26.8", Commit: "0123456789ab",
		Build: "go build -o $TMP/bin/lithops .", LoadStart: 0.5, LoadEnd: 1.25, Runs: 2, Storage: true,
		Versions: map[string]string{"lithops": "lithops v0.1.0", "xargs": "xargs (GNU findutils) 4.9.0", "parallel": "GNU parallel 20221122"},
	}
	var b bytes.Buffer
	render(&b, m, benchmarks, r, []string{"resources/50 terraform: made up for the test"})
	golden.Check(t, "report.md", b.String())
}

func TestDisplay(t *testing.T) {
	tests := []struct {
		step Step
		want string
	}{
		{Step{Argv: []string{"/usr/bin/xargs", "-P", "2", "-n", "1", "sh", "-c", `echo "$0"`}, Stdin: "items.txt"},
			`xargs -P 2 -n 1 sh -c 'echo "$0"' < items.txt`},
		{Step{Argv: []string{"/usr/bin/parallel", "-q", "awk", "-v", "seed={}", "BEGIN { print 'x' }"}},
			`parallel -q awk -v seed={} 'BEGIN { print '\''x'\'' }'`},
		{Step{Argv: []string{"/usr/local/bin/terraform", "plan"}, Env: []string{"CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE=/tmp/a/terraform.rc"}},
			`CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=empty.rc terraform plan`},
		{Step{Argv: []string{"/bin/echo", ""}}, `echo ''`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, display(tt.step)); diff != "" {
			t.Errorf("wrong command line (-want +got):\n%s", diff)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
