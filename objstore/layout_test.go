package objstore

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLayoutKeys(t *testing.T) {
	l, err := NewLayout("team-a")
	if err != nil {
		t.Fatal(err)
	}
	job := l.Job("wordcount")
	run := job.Run("20261126T033000-7f3a")
	got := []string{
		l.Root(),
		l.File("sha256:ab12"),
		job.Prefix(),
		job.Output("sha256:9f86d0"),
		job.Log("sha256:9f86d0"),
		run.Payload(3),
		run.Status(42),
		run.Status(1234567),
		run.Stdin(7),
		run.Output(7),
		l.Job("../../etc").Output("a/b"),
		l.Job("").Output(".."),
	}
	want := []string{
		"team-a/lithops/",
		"team-a/lithops/files/sha256:ab12",
		"team-a/lithops/jobs/wordcount/",
		"team-a/lithops/jobs/wordcount/outputs/sha256:9f86d0",
		"team-a/lithops/jobs/wordcount/logs/sha256:9f86d0",
		"team-a/lithops/jobs/wordcount/runs/20261126T033000-7f3a/payload/000003.json",
		"team-a/lithops/jobs/wordcount/runs/20261126T033000-7f3a/status/000042.json",
		"team-a/lithops/jobs/wordcount/runs/20261126T033000-7f3a/status/1234567.json",
		"team-a/lithops/jobs/wordcount/runs/20261126T033000-7f3a/stdin/000007",
		"team-a/lithops/jobs/wordcount/runs/20261126T033000-7f3a/output/000007",
		"team-a/lithops/jobs/..%2F..%2Fetc/outputs/a%2Fb",
		"team-a/lithops/jobs/%/outputs/%2E%2E",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong keys (-want +got):\n%s", diff)
	}
	for _, k := range got {
		if err := CheckPrefix(k); err != nil {
			t.Errorf("layout made an invalid key: %v", err)
		}
	}
}

func TestLayoutPrefixes(t *testing.T) {
	for prefix, root := range map[string]string{"": "lithops/", "a/b/": "a/b/lithops/", "a/b": "a/b/lithops/"} {
		l, err := NewLayout(prefix)
		if err != nil {
			t.Fatalf("NewLayout(%q): %v", prefix, err)
		}
		if l.Root() != root {
			t.Errorf("NewLayout(%q).Root() = %q, want %q", prefix, l.Root(), root)
		}
	}
	for _, bad := range []string{"/abs", "a/../b", "a//b"} {
		if _, err := NewLayout(bad); err == nil {
			t.Errorf("NewLayout(%q) accepted", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	l, _ := NewLayout("")
	run := l.Job("j").Run("r")
	for _, i := range []int{0, 7, 999999, 1000000} {
		got, ok := run.ParseStatus(run.Status(i))
		if !ok || got != i {
			t.Errorf("ParseStatus(Status(%d)) = %d, %v", i, got, ok)
		}
		if got, ok := run.ParsePayload(run.Payload(i)); !ok || got != i {
			t.Errorf("ParsePayload(Payload(%d)) = %d, %v", i, got, ok)
		}
	}
	for _, k := range []string{run.Payload(1), run.StatusPrefix() + "12.json", run.StatusPrefix() + "00001x.json", run.StatusPrefix() + "000001"} {
		if _, ok := run.ParseStatus(k); ok {
			t.Errorf("ParseStatus(%q) accepted", k)
		}
	}
}

func TestSegmentRoundTrip(t *testing.T) {
	for _, s := range []string{"", ".", "..", "plain", "a/b", "sha256:ff", "ü %41", "a.b-c_d"} {
		seg := Segment(s)
		if CheckKey(seg) != nil {
			t.Errorf("Segment(%q) = %q is not a valid key segment", s, seg)
		}
		back, err := Unsegment(seg)
		if err != nil || back != s {
			t.Errorf("Unsegment(Segment(%q)) = %q, %v", s, back, err)
		}
	}
}
