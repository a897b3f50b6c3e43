package command

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"lithops/state"
)

const logsHelp = `logs [options] job.NAME [TASK]

Show what a job's tasks wrote to stderr in their last recorded run. With
TASK (a task index, as plans and failures show them), that task's log; with
"reduce", the reduce's; without, every task that wrote something, each
under a header with its index, key and exit status.

Options:
  -failed        Only tasks that failed.
  -state=PATH    The state file.
` + configFlagsHelp + "\n"

func runLogs(ctx context.Context, env *Env, args []string) int {
	fs := newFlags("logs")
	failedOnly := fs.Bool("failed", false, "")
	var cf configFlags
	cf.register(fs)
	var sf stateFlags
	sf.register(fs, false)
	if code, ok := parse(env, fs, logsHelp, args); !ok {
		return code
	}
	if fs.NArg() < 1 || fs.NArg() > 2 || !strings.HasPrefix(fs.Arg(0), "job.") {
		fmt.Fprintln(env.Stderr, "Error: logs takes a job address and optionally a task index: lithops logs job.NAME [TASK]")
		return 1
	}
	s := openSession(ctx, env, &cf, &sf, readOnly, nil)
	if s == nil {
		return 1
	}
	name := strings.TrimPrefix(fs.Arg(0), "job.")
	run := s.st.Jobs[name]
	if run == nil {
		fmt.Fprintf(env.Stderr, "Error: job.%s has no recorded run; run lithops apply first\n", name)
		return 1
	}
	var tasks []state.TaskRecord
	switch {
	case fs.NArg() == 2 && fs.Arg(1) == "reduce":
		if run.Reduce == nil {
			fmt.Fprintf(env.Stderr, "Error: job.%s has no recorded reduce\n", name)
			return 1
		}
		tasks = []state.TaskRecord{*run.Reduce}
	case fs.NArg() == 2:
		i, err := strconv.Atoi(fs.Arg(1))
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %q is not a task index\n", fs.Arg(1))
			return 1
		}
		t, ok := run.Task(i)
		if !ok {
			fmt.Fprintf(env.Stderr, "Error: job.%s has no recorded task %d (it has %d)\n", name, i, run.TaskCount)
			return 1
		}
		if t.Log.IsZero() {
			fmt.Fprintf(env.Stderr, "Task %d of job.%s wrote nothing to stderr.\n", i, name)
			return 0
		}
		return copyLog(ctx, env, s, t.Log, env.Stdout)
	default:
		tasks = run.Tasks()
		if run.Reduce != nil {
			tasks = append(tasks, *run.Reduce)
		}
	}
	shown := 0
	for i, t := range tasks {
		if t.Log.IsZero() || (*failedOnly && t.OK()) {
			continue
		}
		status := "ok"
		if !t.OK() {
			status = t.Error
			if status == "" {
				status = fmt.Sprintf("exit status %d", t.ExitCode)
			}
		}
		label := fmt.Sprintf("task %d", t.Index)
		if run.Reduce != nil && i == len(tasks)-1 && fs.NArg() == 1 {
			label = "reduce"
		}
		fmt.Fprintf(env.Stdout, "==> job.%s %s (%s): %s <==\n", name, label, t.Key, status)
		if code := copyLog(ctx, env, s, t.Log, env.Stdout); code != 0 {
			return code
		}
		fmt.Fprintln(env.Stdout)
		shown++
	}
	if shown == 0 {
		fmt.Fprintf(env.Stderr, "No task of job.%s wrote to stderr.\n", name)
	}
	return 0
}

func copyLog(ctx context.Context, env *Env, s *session, ref state.OutputRef, w io.Writer) int {
	if data, ok := ref.Inline(); ok {
		w.Write(data)
		return 0
	}
	store, _, err := s.openStore(ctx, ref.Storage)
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: open storage: %s\n", err)
		return 1
	}
	rc, _, err := store.Get(ctx, ref.Key)
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: read log %s: %s\n", ref.Key, err)
		return 1
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		fmt.Fprintf(env.Stderr, "Error: read log %s: %s\n", ref.Key, err)
		return 1
	}
	return 0
}
