package state

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func rec(index int, digest string, exit int) TaskRecord {
	return TaskRecord{Index: index, InputDigest: digest, ExitCode: exit, Output: InlineOutput([]byte(digest))}
}

func TestJobRunRecordAndLookup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		records []TaskRecord
		// lookups: input digest -> the indexes Lookup may return (any one of
		// them); none for a miss
		lookups   map[string][]int
		wantOrder []int // Tasks(), by index
	}{
		{
			name:      "in order",
			records:   []TaskRecord{rec(0, "a", 0), rec(1, "b", 0), rec(2, "c", 0)},
			lookups:   map[string][]int{"a": {0}, "b": {1}, "c": {2}, "d": nil},
			wantOrder: []int{0, 1, 2},
		},
		{
			name:      "arrival order is sorted",
			records:   []TaskRecord{rec(2, "c", 0), rec(0, "a", 0), rec(1, "b", 0)},
			lookups:   map[string][]int{"a": {0}, "b": {1}, "c": {2}},
			wantOrder: []int{0, 1, 2},
		},
		{
			name:      "failed tasks are recorded but not reusable",
			records:   []TaskRecord{rec(0, "a", 0), rec(1, "b", 1), {Index: 2, InputDigest: "c", Error: "timed out"}},
			lookups:   map[string][]int{"a": {0}, "b": nil, "c": nil},
			wantOrder: []int{0, 1, 2},
		},
		{
			name:      "a later record of the same index replaces the earlier",
			records:   []TaskRecord{rec(0, "a", 0), rec(1, "b", 1), rec(1, "b", 0), rec(0, "x", 0)},
			lookups:   map[string][]int{"a": nil, "b": {1}, "x": {0}},
			wantOrder: []int{0, 1},
		},
		{
			name:      "a failure replacing a success hides it",
			records:   []TaskRecord{rec(0, "a", 0), rec(0, "a", 2)},
			lookups:   map[string][]int{"a": nil},
			wantOrder: []int{0},
		},
		{
			name:      "duplicate inputs",
			records:   []TaskRecord{rec(3, "a", 0), rec(1, "a", 0)},
			lookups:   map[string][]int{"a": {1, 3}},
			wantOrder: []int{1, 3},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, sortFirst := range []bool{false, true} {
				var j JobRun
				for _, r := range tc.records {
					j.Record(r)
				}
				if sortFirst {
					j.Tasks() // lookups must survive the re-sort
				}
				for d, want := range tc.lookups {
					r, ok := j.Lookup(d)
					switch {
					case !ok && len(want) > 0:
						t.Errorf("Lookup(%q) missed, want one of %v (sorted first %v)", d, want, sortFirst)
					case ok && !slices.Contains(want, r.Index):
						t.Errorf("Lookup(%q) = task %d, want one of %v (sorted first %v)", d, r.Index, want, sortFirst)
					case ok && (r.InputDigest != d || !r.OK()):
						t.Errorf("Lookup(%q) returned %+v", d, r)
					}
				}
				var order []int
				for _, r := range j.Tasks() {
					order = append(order, r.Index)
				}
				if diff := cmp.Diff(tc.wantOrder, order); diff != "" {
					t.Errorf("wrong task order (-want +got):\n%s", diff)
				}
				for _, want := range j.Tasks() {
					got, ok := j.Task(want.Index)
					if !ok || got.InputDigest != want.InputDigest {
						t.Errorf("Task(%d) = %+v, %v; want %+v", want.Index, got, ok, want)
					}
				}
			}
		})
	}
}

func TestStateCachedNeedsSameDefinition(t *testing.T) {
	st := New()
	run := &JobRun{Name: "job.a", DefinitionDigest: "sha256:def1"}
	run.Record(rec(0, "sha256:in0", 0))
	st.Jobs[run.Name] = run
	for _, tc := range []struct {
		job, def, input string
		want            bool
	}{
		{"job.a", "sha256:def1", "sha256:in0", true},
		{"job.a", "sha256:def2", "sha256:in0", false},
		{"job.a", "sha256:def1", "sha256:in1", false},
		{"job.b", "sha256:def1", "sha256:in0", false},
	} {
		if _, got := st.Cached(tc.job, tc.def, tc.input); got != tc.want {
			t.Errorf("Cached(%q, %q, %q) = %v, want %v", tc.job, tc.def, tc.input, got, tc.want)
		}
	}
}
