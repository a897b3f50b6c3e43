package state

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzFold feeds arbitrary records after a valid header: Fold never panics,
// never applies more records than there are complete lines, and what it
// folds can always be written.
func FuzzFold(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "journal.golden.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	nl := bytes.IndexByte(golden, '\n') + 1
	header, body := golden[:nl], golden[nl:]
	f.Add(body)
	for _, line := range bytes.SplitAfter(body, []byte("\n")) {
		f.Add(line)
		f.Add(line[:len(line)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st := baseState()
		info, err := Fold(st, bytes.NewReader(append(bytes.Clone(header), data...)))
		if err != nil {
			return
		}
		if lines := bytes.Count(data, []byte("\n")); info.Records > lines {
			t.Fatalf("%d records folded from %d lines", info.Records, lines)
		}
		if info.Dropped > int64(len(data)) {
			t.Fatalf("dropped %d of %d bytes", info.Dropped, len(data))
		}
		if _, err := encodeState(st, st.Lineage, st.Serial); err != nil {
			t.Fatalf("folded state cannot be written: %v", err)
		}
	})
}

// FuzzDecodeState: any state file that decodes encodes back to the same
// state.
func FuzzDecodeState(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "state.golden.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"format_version": 2}`))
	f.Add([]byte(`{"format_version": 1, "lineage": "x", "jobs": [{"name": "j", "tasks": [{"index": 1}, {"index": 1}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data)
		if err != nil {
			return
		}
		first, err := encodeState(st, st.Lineage, st.Serial)
		if err != nil {
			t.Fatalf("decoded state cannot be encoded: %v", err)
		}
		want, err := json.MarshalIndent(first, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var streamed bytes.Buffer
		if err := encodeIndented(&streamed, first); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want)+"\n", streamed.String()); diff != "" {
			t.Fatalf("streamed encoding differs (-MarshalIndent +encodeIndented):\n%s", diff)
		}
		path := filepath.Join(t.TempDir(), "s")
		if err := writeState(path, st); err != nil {
			t.Fatal(err)
		}
		back, err := Read(path)
		if err != nil {
			t.Fatalf("written state cannot be read: %v", err)
		}
		back.Serial--
		if diff := cmp.Diff(first, view(t, back)); diff != "" {
			t.Fatalf("state changed through a write (-want +got):\n%s", diff)
		}
	})
}
