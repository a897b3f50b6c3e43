package worker

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"lithops/sched"
)

// Compare with the same commands under xargs, on the same machine and at
// the same moment (the machine's load moves these figures a lot):
//
//	seq 1000 | xargs -P 2 -I{} true              # true without an argument, as here
//	seq 1000 | xargs -P 2 -n 1 echo >/dev/null   # echo <item>
//
// (`xargs -n 1 true` runs `true <item>`, which with an argument sets up
// the locale and costs as much as echo.) BenchmarkForkExec is the floor:
// the same commands started straight from Go, without pool, protocol or
// task directory. The cpu-µs/task metric counts this process, the workers
// and the tasks, and is steadier than the wall time on a busy machine.

var benchCommands = []struct {
	name string
	argv func(i int) []string
}{
	{"true", func(int) []string { return []string{"true"} }},
	{"echo", func(i int) []string { return []string{"echo", strconv.Itoa(i)} }},
}

func BenchmarkPool(b *testing.B) {
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for _, cmd := range benchCommands {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/tasks=%d", cmd.name, n), func(b *testing.B) {
				before := cpuTime()
				p, err := NewPool(context.Background(), PoolOptions{
					Binary: self, Processes: runtime.NumCPU(),
					Env:     append(os.Environ(), modeEnv+"=worker", noRaceSleep),
					WorkDir: b.TempDir(),
				})
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					if failed := runTasks(p, n, cmd.argv); failed > 0 {
						b.Fatalf("%d tasks failed", failed)
					}
				}
				b.StopTimer()
				p.Close(context.Background())
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/task")
				// CPU of this process, the workers and the tasks (the
				// workers are waited for by Close), start-up included.
				b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N*n), "cpu-µs/task")
			})
		}
	}
}

// cpuTime is the user and system time of this process and of its
// children that were waited for.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	t := func(r *syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return t(&self) + t(&children)
}

// runTasks runs n one-task invocations through d from Capacity goroutines,
// as a scheduler with chunksize 1 would, and returns how many failed.
func runTasks(d sched.Dispatcher, n int, argv func(int) []string) int {
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range d.Capacity() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				inv := sched.Invocation{Tasks: []sched.Task{{Index: i, Argv: argv(i)}}}
				err := d.Run(context.Background(), &inv, func(r sched.Result) {
					if !r.OK() {
						failed.Add(1)
					}
				})
				if err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(failed.Load())
}

func BenchmarkForkExec(b *testing.B) {
	for _, cmd := range benchCommands {
		b.Run(cmd.name+"/tasks=1000", func(b *testing.B) {
			path, err := (&pathCache{}).look(cmd.argv(0)[0], os.Getenv("PATH"))
			if err != nil {
				b.Fatal(err)
			}
			devnull, _ := os.Open(os.DevNull)
			defer devnull.Close()
			before := cpuTime()
			for range b.N {
				var next atomic.Int64
				var wg sync.WaitGroup
				for range runtime.NumCPU() {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1) - 1)
							if i >= 1000 {
								return
							}
							r, w, _ := os.Pipe()
							p, err := os.StartProcess(path, cmd.argv(i), &os.ProcAttr{Files: []*os.File{devnull, w, w}})
							w.Close()
							if err != nil {
								b.Error(err)
								r.Close()
								return
							}
							buf := make([]byte, 64)
							for {
								if _, err := r.Read(buf); err != nil {
									break
								}
							}
							r.Close()
							p.Wait()
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*1000), "µs/task")
			b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N*1000), "cpu-µs/task")
		})
	}
}

// BenchmarkServeSequential runs tasks one at a time through a worker served
// in this process: the per-task cost of client, protocol and worker, with
// nothing running in parallel.
func BenchmarkServeSequential(b *testing.B) {
	for _, cmd := range benchCommands {
		b.Run(cmd.name, func(b *testing.B) {
			w := startWorker(&testing.T{}, ServeOptions{Slots: 1, CacheDir: b.TempDir(), WorkDir: b.TempDir()}, ClientOptions{SpillDir: b.TempDir()})
			defer w.client.Close()
			argv := cmd.argv(1)
			before := cpuTime()
			b.ResetTimer()
			for i := range b.N {
				inv := sched.Invocation{Tasks: []sched.Task{{Index: i, Argv: argv}}}
				w.client.Run(context.Background(), &inv, func(r sched.Result) {
					if !r.OK() {
						b.Fatalf("task failed: %+v", r)
					}
				})
			}
			b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/task")
		})
	}
}

// BenchmarkForkExecSequential is BenchmarkServeSequential's floor.
func BenchmarkForkExecSequential(b *testing.B) {
	for _, cmd := range benchCommands {
		b.Run(cmd.name, func(b *testing.B) {
			argv := cmd.argv(1)
			path, _ := (&pathCache{}).look(argv[0], os.Getenv("PATH"))
			devnull, _ := os.Open(os.DevNull)
			defer devnull.Close()
			before := cpuTime()
			b.ResetTimer()
			for range b.N {
				r, w, _ := os.Pipe()
				p, err := os.StartProcess(path, argv, &os.ProcAttr{Files: []*os.File{devnull, w, w}})
				w.Close()
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, r)
				r.Close()
				p.Wait()
			}
			b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/task")
		})
	}
}
