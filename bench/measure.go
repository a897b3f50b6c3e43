package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Sample is what one timed step measured.
type Sample struct {
	// Wall is the time from starting the process to reaping it.
	Wall time.Duration
	// CPU is user plus system time of the process and every descendant it
	// waited for (wait4's rusage).
	CPU time.Duration
	// MaxRSS is wait4's ru_maxrss in bytes: the peak resident set of the
	// process itself or of the largest descendant it waited for, whichever
	// is larger.
	MaxRSS int64
	// ClientHWM is the largest VmHWM of the process itself seen while
	// polling /proc (only for watched steps; 0 otherwise).
	ClientHWM int64
	// PoolHWM is the sum, over the process's direct children, of the largest
	// VmHWM seen for each (only for watched steps).
	PoolHWM int64
	// Children is how many direct children polling saw.
	Children int
	// JobPhase is the time from the first job_started event to the last
	// job_finished event (lithops apply -json only).
	JobPhase time.Duration
	// Load1 is the 1-minute load average just before the step.
	Load1 float64
}

// Outcome is one step's sample and how the process ended.
type Outcome struct {
	Sample
	ExitCode int
	Stdout   string // path of the file that holds its standard output
	Stderr   string // path of the file that holds its standard error
}

// Step is one timed command of a tool's run, executed in the run directory.
type Step struct {
	// Name says what the step does: "run", "plan", "apply", "replan".
	Name string
	// Argv is the command; Argv[0] is an absolute path.
	Argv []string
	// Stdin names a file of the run directory fed on standard input.
	Stdin string
	// Env is added to the harness's environment.
	Env []string
	// Watch polls the process's memory and its children's while it runs.
	Watch bool
	// WantExit is the exit status that means success (plan
	// -detailed-exitcode exits 0 for no changes, 2 for changes).
	WantExit int
	// Check verifies the step did its work (every task ran, every
	// resource was created) and may fill in JobPhase.
	Check func(o *Outcome) error
}

// pollInterval is how often a watched step's memory is read from /proc.
const pollInterval = 20 * time.Millisecond

// execute runs one step in dir and measures it. The step's process gets its
// own process group, killed whole when ctx ends.
func execute(ctx context.Context, dir string, st Step, timeout time.Duration) (Outcome, error) {
	o := Outcome{
		Stdout: filepath.Join(dir, "stdout-"+st.Name+".txt"),
		Stderr: filepath.Join(dir, "stderr-"+st.Name+".txt"),
	}
	stdout, err := os.Create(o.Stdout)
	if err != nil {
		return o, err
	}
	defer stdout.Close()
	stderr, err := os.Create(o.Stderr)
	if err != nil {
		return o, err
	}
	defer stderr.Close()

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, st.Argv[0], st.Argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), st.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if st.Stdin != "" {
		in, err := os.Open(filepath.Join(dir, st.Stdin))
		if err != nil {
			return o, err
		}
		defer in.Close()
		cmd.Stdin = in
	}

	o.Load1 = loadAverage()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return o, fmt.Errorf("start %s: %w", st.Argv[0], err)
	}
	var mem chan memPeak
	stop := make(chan struct{})
	if st.Watch {
		mem = make(chan memPeak, 1)
		go func() { mem <- watchMemory(cmd.Process.Pid, stop) }()
	}
	err = cmd.Wait()
	o.Wall = time.Since(start)
	close(stop)
	if mem != nil {
		p := <-mem
		o.ClientHWM, o.PoolHWM, o.Children = p.client, p.pool, p.children
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		o.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		o.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	o.ExitCode = cmd.ProcessState.ExitCode()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return o, fmt.Errorf("%s did not finish within %s", st.Name, timeout)
	}
	if ctx.Err() != nil {
		return o, fmt.Errorf("%s: interrupted", st.Name)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return o, err
	}
	if o.ExitCode != st.WantExit {
		return o, fmt.Errorf("%s exited with status %d (want %d)%s", st.Name, o.ExitCode, st.WantExit, tail(o.Stderr, o.Stdout))
	}
	if st.Check != nil {
		if err := st.Check(&o); err != nil {
			return o, fmt.Errorf("%s: %w%s", st.Name, err, tail(o.Stderr, o.Stdout))
		}
	}
	return o, nil
}

// tail returns the start and the end of the first non-empty file, to show
// with a failure (a Go panic says what happened at the start, a failed
// command at the end).
func tail(paths ...string) string {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > 1200 {
			b = append(append(b[:500:500], "\n    …\n"...), b[len(b)-500:]...)
		}
		return "\n    " + string(b)
	}
	return ""
}
