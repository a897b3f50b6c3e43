package fakelambda

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// markerEnv marks every process of an execution environment: the emulator
// gets it in its environment and passes its whole environment on to the
// runtime, which passes it to whatever it starts. The value is
// "SERVERID/SANDBOXNUMBER". Killing the emulator alone would not do: it puts
// the runtime in a process group of its own, and a task the runtime starts
// may make yet another. A sweep of /proc for the marker finds them all
// wherever they were re-parented.
const markerEnv = "_FAKELAMBDA_SANDBOX"

// marked returns the pids of live processes whose environment holds
// markerEnv with a value starting with prefix.
func marked(prefix string) []int {
	want := []byte(markerEnv + "=" + prefix)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ")) // empty for zombies
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.HasPrefix(kv, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// reap kills every process marked with prefix, repeating until none is
// left (a process may fork while the sweep runs) or a second has passed.
func reap(prefix string) {
	deadline := time.Now().Add(time.Second)
	for {
		pids := marked(prefix)
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Processes returns the pids of the processes this server's execution
// environments are running: emulators, runtimes and anything they started.
// After Close it is empty.
func (s *Server) Processes() []int {
	return marked(s.id + "/")
}
