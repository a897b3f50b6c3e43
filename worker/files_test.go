package worker

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lithops/sched"
)

func TestFilesTravelOncePerHost(t *testing.T) {
	for _, shared := range []bool{true, false} {
		name := "streamed"
		if shared {
			name = "by path"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			a := jobFile(t, dir, "a.txt", "alpha\n", 0o644)
			b := jobFile(t, dir, "bin/b.sh", "#!/bin/sh\necho beta\n", 0o755)
			sameAsA := jobFile(t, dir, "copy-of-a", "alpha\n", 0o755) // same digest, other name and mode
			c := jobFile(t, dir, "c.txt", strings.Repeat("gamma", 100000), 0o600)
			cache := t.TempDir()
			inspect := helperTask(t, "inspect")

			w1 := startWorker(t, ServeOptions{CacheDir: cache, Slots: 4}, ClientOptions{SharedFS: shared})
			steps := []struct {
				name  string
				w     *testWorker
				files []sched.File
				puts  int // put-file messages the client sent so far
				want  map[string]string
			}{
				{"first invocation ships both", w1, []sched.File{a, b}, 2,
					map[string]string{"a.txt": "444 alpha\n", "bin/b.sh": "555 #!/bin/sh\necho beta\n"}},
				{"second invocation ships nothing", w1, []sched.File{b, a}, 2,
					map[string]string{"a.txt": "444 alpha\n", "bin/b.sh": "555 #!/bin/sh\necho beta\n"}},
				{"same content under another name and mode", w1, []sched.File{sameAsA}, 2,
					map[string]string{"copy-of-a": "555 alpha\n"}},
				{"a new file ships alone", w1, []sched.File{a, c}, 3,
					map[string]string{"a.txt": "444 alpha\n", "c.txt": "400 " + strings.Repeat("gamma", 100000)}},
			}
			for _, s := range steps {
				// Several invocations at once ask for the same files.
				var wg sync.WaitGroup
				for range 3 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						got, err := s.w.run(context.Background(), &sched.Invocation{Files: s.files, Tasks: []sched.Task{inspect}, InlineLimit: 4 << 20})
						if err != nil || len(got) != 1 || !got[0].OK() {
							t.Errorf("%s: Run: %v, %+v", s.name, err, got)
							return
						}
						var in inspection
						json.Unmarshal(got[0].Stdout, &in)
						if diff := cmp.Diff(s.want, in.Files); diff != "" {
							t.Errorf("%s: wrong files (-want +got)\n%s", s.name, diff)
						}
					}()
				}
				wg.Wait()
				if got := s.w.sent.count(msgPutFile); got != s.puts {
					t.Errorf("%s: %d put-file messages, want %d", s.name, got, s.puts)
				}
			}

			// Another worker on the same host (same cache) needs none.
			w2 := startWorker(t, ServeOptions{CacheDir: cache}, ClientOptions{SharedFS: shared})
			if got, err := w2.run(context.Background(), &sched.Invocation{Files: []sched.File{a, b, c}, Tasks: []sched.Task{inspect}}); err != nil || !got[0].OK() {
				t.Fatalf("Run: %v %+v", err, got)
			}
			if got := w2.sent.count(msgPutFile); got != 0 {
				t.Errorf("second worker on the host: %d put-file messages, want 0", got)
			}
		})
	}
}

func TestBadJobFileFailsTheTasks(t *testing.T) {
	dir := t.TempDir()
	changed := jobFile(t, dir, "a.txt", "alpha\n", 0o644)
	if err := os.WriteFile(changed.Source, []byte("changed since\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := jobFile(t, dir, "b.txt", "beta\n", 0o644)
	os.Remove(missing.Source)
	escaping := jobFile(t, dir, "../outside", "x", 0o644)

	tests := []struct {
		name string
		file sched.File
		want string
	}{
		{"content changed", changed, `job file "a.txt": cache sha256:`},
		{"source missing", missing, `job file "b.txt": stat `},
		{"name outside the directory", escaping, `job file "../outside": name must be a relative path inside the task directory`},
	}
	for _, shared := range []bool{true, false} {
		w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: shared})
		for _, tt := range tests {
			got, err := w.run(context.Background(), &sched.Invocation{Files: []sched.File{tt.file}, Tasks: []sched.Task{
				{Index: 0, Argv: []string{"true"}}, {Index: 1, Argv: []string{"true"}},
			}})
			if err != nil {
				t.Fatalf("%s: Run: %v", tt.name, err)
			}
			if len(got) != 2 {
				t.Fatalf("%s: %d results, want 2", tt.name, len(got))
			}
			for _, r := range got {
				if !strings.HasPrefix(r.Err, tt.want) || r.OK() {
					t.Errorf("%s (shared=%v): task %d: err %q, want it to start with %q", tt.name, shared, r.Index, r.Err, tt.want)
				}
			}
		}
	}
}
