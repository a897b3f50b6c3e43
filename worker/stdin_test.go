package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lithops/partition"
	"lithops/sched"
)

// memSource is an object in memory, as object storage would serve it.
type memSource struct{ data []byte }

var _ partition.Source = (*memSource)(nil)

func (m *memSource) Size() int64 { return int64(len(m.data)) }

func (m *memSource) ReadRange(_ context.Context, off, n int64) (io.ReadCloser, error) {
	end := min(off+n, int64(len(m.data)))
	return io.NopCloser(bytes.NewReader(m.data[off:end])), nil
}

// lines returns text of n lines of random lengths (some empty, some long).
func lines(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for i := range n {
		l := rng.IntN(200)
		if rng.IntN(50) == 0 {
			l = 20000 + rng.IntN(50000)
		}
		fmt.Fprintf(&b, "%d:", i)
		for range l {
			b.WriteByte(byte('a' + rng.IntN(26)))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestStdinReachesTheTask(t *testing.T) {
	data := lines(1, 5000)
	path := filepath.Join(t.TempDir(), "input.txt")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	chunks, err := partition.Plan(path, int64(len(data)), 64<<10, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 5 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	object := &memSource{data: data}
	chunk := func(r sched.Range) string {
		rc, err := partition.Open(context.Background(), object, r)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 300<<10/16)
	mid := chunks[len(chunks)/2]
	last := chunks[len(chunks)-1]
	raw := sched.Range{Path: path, Offset: 1000, Length: 70000, Size: int64(len(data))}

	tests := []struct {
		name  string
		stdin *sched.Input
		want  string
	}{
		{"none", nil, ""},
		{"empty data", &sched.Input{Data: []byte{}}, ""},
		{"small data", &sched.Input{Data: []byte("hello\nworld")}, "hello\nworld"},
		{"large data", &sched.Input{Data: big}, string(big)},
		{"first file chunk", &sched.Input{File: &chunks[0]}, chunk(chunks[0])},
		{"middle file chunk", &sched.Input{File: &mid}, chunk(mid)},
		{"last file chunk", &sched.Input{File: &last}, chunk(last)},
		{"raw file range", &sched.Input{File: &raw}, string(data[1000:71000])},
		{"object chunk", &sched.Input{Object: &mid}, chunk(mid)},
	}
	for _, shared := range []bool{true, false} {
		w := startWorker(t, ServeOptions{}, ClientOptions{
			SharedFS:   shared,
			OpenObject: func(context.Context, string, string) (partition.Source, error) { return object, nil },
		})
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s shared=%v", tt.name, shared), func(t *testing.T) {
				got, err := w.run(context.Background(), &sched.Invocation{
					Tasks:       []sched.Task{{Argv: []string{"cat"}, Stdin: tt.stdin}},
					InlineLimit: 4 << 20,
				})
				if err != nil || len(got) != 1 || !got[0].OK() {
					t.Fatalf("Run: %v, %+v", err, got)
				}
				if string(got[0].Stdout) != tt.want {
					t.Errorf("task read %d bytes, want %d: %s", len(got[0].Stdout), len(tt.want),
						cmp.Diff(tt.want, string(got[0].Stdout)))
				}
			})
		}
	}
}

func TestFileChunksReassemble(t *testing.T) {
	data := lines(2, 3000)
	path := filepath.Join(t.TempDir(), "input.txt")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			w := startWorker(t, ServeOptions{}, ClientOptions{SharedFS: shared})
			chunks, err := partition.Plan(path, int64(len(data)), 0, 23, true)
			if err != nil {
				t.Fatal(err)
			}
			var inv sched.Invocation
			for i := range chunks {
				inv.Tasks = append(inv.Tasks, sched.Task{Index: i, Argv: []string{"cat"}, Stdin: &sched.Input{File: &chunks[i]}})
			}
			got, err := w.run(context.Background(), &inv)
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			for _, r := range got {
				if !r.OK() {
					t.Fatalf("task %d failed: %+v", r.Index, r)
				}
				all = append(all, r.Stdout...)
			}
			if !bytes.Equal(data, all) {
				t.Errorf("chunks concatenated: %d bytes, want the file's %d", len(all), len(data))
			}
		})
	}
}

func TestStdinAndStdoutStreamAtOnce(t *testing.T) {
	// cat echoes 8 MiB through windows far smaller than the data: the
	// client streams stdin while the worker streams stdout back.
	w := startWorker(t, ServeOptions{Window: chunkSize}, ClientOptions{Window: chunkSize})
	data := bytes.Repeat([]byte("the quick brown fox\n"), 8<<20/20)
	got, err := w.run(context.Background(), &sched.Invocation{
		Tasks:       []sched.Task{{Argv: []string{"cat"}, Stdin: &sched.Input{Data: data}}},
		InlineLimit: 16 << 20,
	})
	if err != nil || len(got) != 1 || !got[0].OK() {
		t.Fatalf("Run: %v, %+v", err, got)
	}
	if !bytes.Equal(data, got[0].Stdout) {
		t.Errorf("cat returned %d bytes, want %d", len(got[0].Stdout), len(data))
	}
}

func TestTaskThatIgnoresStdin(t *testing.T) {
	// head stops reading early; the stream to it must not stall.
	w := startWorker(t, ServeOptions{Window: chunkSize}, ClientOptions{})
	data := bytes.Repeat([]byte("line\n"), 2<<20)
	path := filepath.Join(t.TempDir(), "input.txt")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := sched.Range{Path: path, Length: int64(len(data)), Size: int64(len(data)), Newline: true}
	for _, in := range []*sched.Input{{Data: data}, {File: &r}} {
		got := w.runOne(t, sched.Task{Argv: []string{"head", "-n", "2"}, Stdin: in})
		if !got.OK() || string(got.Stdout) != "line\nline\n" {
			t.Errorf("head: %+v", got)
		}
	}
}

func TestObjectInputWithoutStorage(t *testing.T) {
	w := startWorker(t, ServeOptions{}, ClientOptions{})
	got := w.runOne(t, sched.Task{Argv: []string{"cat"}, Stdin: &sched.Input{Object: &sched.Range{Path: "logs/a.txt", Length: 10, Size: 10}}})
	want := `stdin: object "logs/a.txt": this executor has no storage to read it from`
	if diff := cmp.Diff(want, got.Err); diff != "" {
		t.Errorf("wrong error (-want +got)\n%s", diff)
	}
}
