package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lithops/sched"
)

// The test binary plays three more parts, chosen by environment variables:
// a worker process (as `lithops worker` would run), a task command with
// observable behaviour, and a client process that a test kills.
const (
	modeEnv   = "LITHOPS_WORKER_TEST_MODE"   // "worker" or "pool-client"
	helperEnv = "LITHOPS_WORKER_TEST_HELPER" // a task command, see helper
)

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(helper(h, os.Args[1:]))
	}
	switch os.Getenv(modeEnv) {
	case "worker":
		if prof := os.Getenv("LITHOPS_WORKER_TEST_CPUPROFILE"); prof != "" {
			// Profiling the workers of a benchmark: one file per process.
			f, _ := os.Create(fmt.Sprintf("%s.%d", prof, os.Getpid()))
			pprof.StartCPUProfile(f)
			code := Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
	case "pool-client":
		os.Exit(poolClient(os.Args[1]))
	}
	os.Exit(m.Run())
}

// inspection is what the "inspect" helper prints.
type inspection struct {
	Args  []string
	Dir   string
	Env   map[string]string // variables starting with TEST_
	Files map[string]string // path → "mode content"
}

// helper is a task command:
//
//	args            print the arguments, each followed by NUL
//	inspect         print an inspection as JSON
//	stdout N        write N bytes of a pattern to stdout
//	stderr N        write N bytes of a pattern to stderr
func helper(mode string, args []string) int {
	switch mode {
	case "args":
		for _, a := range args {
			os.Stdout.WriteString(a + "\x00")
		}
	case "inspect":
		dir, _ := os.Getwd()
		in := inspection{Args: args, Dir: dir, Env: map[string]string{}, Files: map[string]string{}}
		for _, kv := range os.Environ() {
			if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEST_") {
				in.Env[k] = v
			}
		}
		filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			st, _ := d.Info()
			b, _ := os.ReadFile(path)
			in.Files[path] = fmt.Sprintf("%o %s", st.Mode().Perm(), b)
			return nil
		})
		json.NewEncoder(os.Stdout).Encode(in)
	case "stdout", "stderr":
		n, _ := strconv.Atoi(args[0])
		w := os.Stdout
		if mode == "stderr" {
			w = os.Stderr
		}
		buf := make([]byte, 1<<16)
		for off := 0; off < n; {
			k := min(len(buf), n-off)
			for i := range buf[:k] {
				buf[i] = pattern(off + i)
			}
			w.Write(buf[:k])
			off += k
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", mode)
		return 2
	}
	return 0
}

// pattern is the byte at offset i of the helper's output.
func pattern(i int) byte { return byte('a' + (i/7+i)%26) }

// poolClient runs a pool of two workers (with the default, temporary
// cache), each running a task that leaves a sleeping grandchild and writes
// "<its pid> <grandchild pid>" to dir/pids.<slot>, then waits to be killed.
func poolClient(dir string) int {
	ctx := context.Background()
	self, _ := os.Executable()
	p, err := NewPool(ctx, PoolOptions{
		Binary: self, Processes: 2, Env: append(os.Environ(), modeEnv+"=worker"), WorkDir: dir,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range 2 {
		go p.Run(ctx, &sched.Invocation{Tasks: []sched.Task{{
			Index: i,
			Argv:  []string{"sh", "-c", `sleep 1000 & echo $$ $! > "$1.tmp"; mv "$1.tmp" "$1"; wait`, "sh", filepath.Join(dir, fmt.Sprintf("pids.%d", i))},
		}}}, func(sched.Result) {})
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	return 0
}

// processGone reports whether pid has exited (a zombie counts: nothing
// runs any more).
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// waitGone waits until every pid has exited and fails the test if one is
// still there after a generous time.
func waitGone(t *testing.T, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, pid := range pids {
		for !processGone(pid) {
			if time.Now().After(deadline) {
				t.Errorf("process %d still runs", pid)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// childrenOf lists the processes whose parent is ppid.
func childrenOf(ppid int) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids
}
