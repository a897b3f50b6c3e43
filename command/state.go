package command

import (
	"context"
	"fmt"
	"strings"

	"lithops/state"
)

const stateHelp = `state <subcommand> [options] [ADDR]

Inspect and edit the state.

Subcommands:
  list          List the addresses the state records: resources and jobs.
  show ADDR     Show one resource's recorded attributes, or a job's run.
  rm ADDR...    Forget resources or jobs without destroying anything: lithops
                stops managing them (a resource stays in the cloud).

Options:
  -state=PATH   The state file.
  -lock-timeout=DUR  (rm) Wait up to DUR for the state's lock.
`

func runState(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintf(env.Stdout, "Usage: lithops [global options] %s", stateHelp)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	sub, args := args[0], args[1:]
	fs := newFlags("state " + sub)
	var sf stateFlags
	sf.register(fs, sub == "rm")
	if code, ok := parse(env, fs, stateHelp, args); !ok {
		return code
	}
	path := sf.statePath(env, nil)
	switch sub {
	case "list":
		st, _, err := readState(path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		for _, a := range sortedKeys(st.Resources) {
			fmt.Fprintln(env.Stdout, a)
		}
		for _, j := range sortedKeys(st.Jobs) {
			fmt.Fprintln(env.Stdout, "job."+j)
		}
		return 0
	case "show":
		if fs.NArg() != 1 {
			fmt.Fprintln(env.Stderr, "Error: state show takes one address, such as storage.data or job.wordcount")
			return 1
		}
		st, _, err := readState(path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		addr := fs.Arg(0)
		if r, ok := st.Resources[addr]; ok {
			fmt.Fprintf(env.Stdout, "# %s (%s)%s\n", addr, r.Type, taintNote(r))
			writeAttrs(env, r.Attributes)
			return 0
		}
		if name, ok := strings.CutPrefix(addr, "job."); ok {
			if j, ok := st.Jobs[name]; ok {
				fmt.Fprintf(env.Stdout, "# %s\n    definition = %s\n    executor   = %s\n    complete   = %v\n    tasks      = %d (%d recorded)\n",
					addr, j.DefinitionDigest, j.Executor, j.Complete, j.TaskCount, j.Len())
				for _, t := range j.Tasks() {
					status := "ok"
					if !t.OK() {
						status = t.Error
						if status == "" {
							status = fmt.Sprintf("exit status %d", t.ExitCode)
						}
					}
					fmt.Fprintf(env.Stdout, "    task %d %q: %s (%d attempts, %s)\n", t.Index, t.Key, status, t.Attempts, t.Duration.Round(1e6))
				}
				return 0
			}
		}
		fmt.Fprintf(env.Stderr, "Error: the state records nothing at %s; lithops state list shows what it has\n", addr)
		return 1
	case "rm":
		if fs.NArg() == 0 {
			fmt.Fprintln(env.Stderr, "Error: state rm takes one or more addresses")
			return 1
		}
		lock, _, err := state.Acquire(ctx, path, state.LockOptions{Operation: "state rm", Timeout: sf.lockTimeout})
		if err != nil {
			printLockError(env, err, path)
			return 1
		}
		defer lock.Release()
		st, _, err := state.Recover(path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		for _, addr := range fs.Args() {
			_, isRes := st.Resources[addr]
			name, isJobAddr := strings.CutPrefix(addr, "job.")
			_, isJob := st.Jobs[name]
			switch {
			case isRes:
				delete(st.Resources, addr)
			case isJobAddr && isJob:
				delete(st.Jobs, name)
			default:
				fmt.Fprintf(env.Stderr, "Error: the state records nothing at %s; nothing was removed\n", addr)
				return 1
			}
		}
		if err := state.Write(path, st); err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return 1
		}
		for _, addr := range fs.Args() {
			fmt.Fprintf(env.Stdout, "Removed %s from the state (nothing was destroyed).\n", addr)
		}
		return 0
	}
	fmt.Fprintf(env.Stderr, "Error: unknown state subcommand %q: use list, show or rm\n", sub)
	return 1
}

const forceUnlockHelp = `force-unlock [options] LOCK_ID

Release the lock on the state when the run that took it is gone but the lock
was left (for example on a shared filesystem). The error of a locked command
shows the lock's ID. Releasing a lock a live run holds lets two runs change
the state at once: be sure.

Options:
  -force        Do not ask for confirmation.
  -state=PATH   The state file.
`

func runForceUnlock(ctx context.Context, env *Env, args []string) int {
	fs := newFlags("force-unlock")
	force := fs.Bool("force", false, "")
	var sf stateFlags
	sf.register(fs, false)
	if code, ok := parse(env, fs, forceUnlockHelp, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "Error: force-unlock takes the lock's ID")
		return 1
	}
	if !*force {
		fmt.Fprintf(env.Stdout, "Do you really want to release lock %s?\n  Only 'yes' will be accepted.\n\n  Enter a value: ", fs.Arg(0))
		var answer string
		fmt.Fscanln(env.Stdin, &answer)
		if answer != "yes" {
			fmt.Fprintln(env.Stdout, "\nforce-unlock cancelled.")
			return 1
		}
	}
	info, err := state.ForceUnlock(sf.statePath(env, nil), fs.Arg(0))
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: %s\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "Released the lock %s held by %s (%s, pid %d).\n", info.ID, info.Operation, info.Who, info.PID)
	return 0
}

func runWorker(ctx context.Context, env *Env, args []string) int {
	if env.Worker == nil {
		fmt.Fprintln(env.Stderr, "Error: this build has no worker mode")
		return 1
	}
	return env.Worker(ctx, args)
}
