package worker

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
)

// Main is the `lithops worker` command: it parses args (-slots, -cache,
// -workdir), serves the protocol on stdin and stdout and returns the exit
// status. Tasks get env plus their own variables.
//
// Main stands in for a worker process's main function, so it takes the
// process's signals: SIGTERM, SIGINT and SIGHUP stop the worker (its tasks
// are killed), and SIGPIPE is caught so that a vanished client is an error
// to handle rather than a silent death that would orphan the tasks. (It is
// caught, not ignored: tasks still start with SIGPIPE at its default.)
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	fs := flag.NewFlagSet("lithops worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: lithops worker [-slots N] [-cache DIR [-temporary-cache]] [-workdir DIR] [-client-timeout DUR]\n\n"+
			"Runs tasks for a lithops client speaking the worker protocol on stdin and stdout.\n\n")
		fs.PrintDefaults()
	}
	slots := fs.Int("slots", runtime.NumCPU(), "tasks to run at once")
	cacheDir := fs.String("cache", defaultCacheDir(env), "directory of job files, by digest")
	workDir := fs.String("workdir", defaultTempDir(env), "where task working directories are made")
	tempCache := fs.Bool("temporary-cache", false, "remove the cache directory when its last user is gone")
	clientTimeout := fs.Duration("client-timeout", 0, "exit, killing the tasks, when nothing arrives from the client for this long (0: never); the client must ping more often")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *slots < 1 || *clientTimeout < 0 {
		fs.Usage()
		return 2
	}

	// The worker itself mostly waits on system calls: a processor per
	// slot is plenty, and fewer spare the machine the Go scheduler's
	// spinning between tasks.
	if *slots < runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(*slots)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)

	err := Serve(ctx, stdin, stdout, ServeOptions{
		Slots: *slots, CacheDir: *cacheDir, TemporaryCache: *tempCache, WorkDir: *workDir, Env: env, Version: buildVersion(),
		ClientTimeout: *clientTimeout,
		Logf:          func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) },
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "lithops worker: %v\n", err)
		return 1
	}
	return 0
}

// buildVersion is the module version this binary was built from.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Version
	}
	return "unknown"
}

func defaultCacheDir(env []string) string {
	if d := lookupEnv(env, "XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "lithops", "files")
	}
	if h := lookupEnv(env, "HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".cache", "lithops", "files")
	}
	return filepath.Join(defaultTempDir(env), "lithops-cache")
}

func defaultTempDir(env []string) string {
	if d := lookupEnv(env, "TMPDIR"); filepath.IsAbs(d) {
		return d
	}
	return "/tmp"
}
