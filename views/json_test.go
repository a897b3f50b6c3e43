package views

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"lithops/apply"
)

// docEvents are the events whose lines docs/JSON-EVENTS.md shows as
// examples, one per type.
func docEvents() []apply.Event {
	return []apply.Event{
		apply.ResourceStarted{Time: at(0), Addr: "storage.data", Action: apply.ActionCreate},
		apply.ResourceFinished{Time: at(2.5), Addr: "storage.data", Action: apply.ActionCreate, Elapsed: secs(2.5)},
		apply.JobStarted{Time: at(3), Job: "job.wordcount", Executor: "executor.local", Tasks: 1000, Cached: 3, Phase: "map"},
		apply.JobProgress{Time: at(43), Job: "job.wordcount", Phase: "map", Total: 1000, Done: 812, Running: 12, Failed: 3, Queued: 173, Retried: 2, Elapsed: secs(40)},
		apply.TaskFailed{Time: at(44), Job: "job.wordcount", Phase: "map", Index: 17, Key: "a.txt", Attempt: 3, ExitCode: 1,
			StderrTail: "wc: a.txt: No such file or directory\n", Worker: "10.0.0.5", Final: true},
		apply.JobFinished{Time: at(50), Job: "job.wordcount", Tasks: 997, Cached: 3, Retried: 2, Failed: 3, Elapsed: secs(47.25), Err: "3 tasks failed"},
		apply.HostChanged{Time: at(51), Executor: "executor.lab", Host: "10.0.0.7", State: apply.HostUnreachable, Slots: 8,
			Detail: "dial tcp 10.0.0.7:22: connect: connection refused"},
		apply.Stopping{Time: at(52)},
		apply.Message{Time: at(53), Level: "warn", Text: "host 10.0.0.7 never became ready; its 8 slots were not used"},
		apply.Finished{Time: at(60), Operation: "apply", Added: 1, JobsRan: 1, Tasks: 1000, Retried: 3,
			Outputs: []apply.OutputValue{{Name: "words", Value: "1234567"}, {Name: "token", Value: "s3cr3t", Sensitive: true}},
			Elapsed: secs(60)},
	}
}

// docType is what docs/JSON-EVENTS.md says about one event type.
type docType struct {
	Fields  []string // from the field table
	Example map[string]any
}

// readDoc parses docs/JSON-EVENTS.md: a "## `type`" heading per type, a
// field table, an example in a json block.
func readDoc(t *testing.T) map[string]docType {
	t.Helper()
	f, err := os.Open("../docs/JSON-EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	heading := regexp.MustCompile("^## `([a-z_]+)`$")
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	types := map[string]docType{}
	cur, inJSON := "", false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case heading.MatchString(line):
			cur = heading.FindStringSubmatch(line)[1]
			types[cur] = docType{}
		case cur == "":
		case line == "```json":
			inJSON = true
		case line == "```":
			inJSON = false
		case inJSON:
			d := types[cur]
			if err := json.Unmarshal([]byte(line), &d.Example); err != nil {
				t.Fatalf("example of %s in the doc does not parse: %v", cur, err)
			}
			types[cur] = d
		case row.MatchString(line):
			d := types[cur]
			d.Fields = append(d.Fields, row.FindStringSubmatch(line)[1])
			types[cur] = d
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return types
}

func render(t *testing.T, events []apply.Event) []string {
	t.Helper()
	var out bytes.Buffer
	j := NewJSON(JSONOptions{Out: &out, Version: "0.1.0", Now: func() time.Time { return t0 }})
	for _, e := range events {
		j.Observe(e)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

func decode(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("line does not parse: %v\n%s", err, line)
	}
	return m
}

// TestJSONMatchesDoc renders the documented examples' events and compares
// each line with the example in docs/JSON-EVENTS.md, and each example's
// fields with the doc's field table.
func TestJSONMatchesDoc(t *testing.T) {
	doc := readDoc(t)
	lines := render(t, docEvents())
	seen := map[string]bool{}
	for _, line := range lines {
		got := decode(t, line)
		typ, _ := got["type"].(string)
		seen[typ] = true
		d, ok := doc[typ]
		if !ok {
			t.Errorf("event type %q is not documented", typ)
			continue
		}
		if diff := cmp.Diff(d.Example, got); diff != "" {
			t.Errorf("wrong %s line against the doc's example (-doc +got):\n%s", typ, diff)
		}
		var keys []string
		for k := range d.Example {
			if k != "type" && k != "time" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		fields := slices.Sorted(slices.Values(d.Fields))
		if diff := cmp.Diff(fields, keys, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("the doc's field table of %s differs from its example (-table +example):\n%s", typ, diff)
		}
	}
	for typ := range doc {
		if !seen[typ] {
			t.Errorf("documented type %q was not rendered", typ)
		}
	}
}

// TestJSONRoundTrip renders one event of every type with every field set:
// each line parses, carries exactly the documented fields, and decodes back
// into the same values.
func TestJSONRoundTrip(t *testing.T) {
	doc := readDoc(t)
	events := allEvents()
	lines := render(t, events)
	if len(lines) != len(events)+1 {
		t.Fatalf("%d lines for %d events, want one more (the version)", len(lines), len(events))
	}
	first := decode(t, lines[0])
	if diff := cmp.Diff(map[string]any{"type": "version", "time": "2026-01-02T15:04:05.000000Z", "format_version": FormatVersion, "lithops": "0.1.0"}, first); diff != "" {
		t.Errorf("wrong version event (-want +got):\n%s", diff)
	}
	for i, e := range events {
		line := lines[i+1]
		got := decode(t, line)
		typ := got["type"].(string)
		var keys []string
		for k := range got {
			if k != "type" && k != "time" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if diff := cmp.Diff(slices.Sorted(slices.Values(doc[typ].Fields)), keys, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("wrong fields of %s (-documented +got):\n%s", typ, diff)
		}
		when, err := time.Parse(time.RFC3339Nano, got["time"].(string))
		if err != nil || !when.Equal(reflect.ValueOf(e).FieldByName("Time").Interface().(time.Time)) {
			t.Errorf("%s: time %v does not parse back to the event's time (%v)", typ, got["time"], err)
		}
		// Decode into the wire type (no unknown field allowed) and render
		// again: the same bytes.
		w := reflect.New(reflect.TypeOf(wire(e)))
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(w.Interface()); err != nil {
			t.Errorf("%s does not decode into its wire type: %v", typ, err)
			continue
		}
		again, err := json.Marshal(w.Elem().Interface())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(line, string(again)); diff != "" {
			t.Errorf("%s changed in a round trip (-first +again):\n%s", typ, diff)
		}
	}
	// A sensitive output never shows its value.
	if strings.Contains(strings.Join(lines, "\n"), "s3cr3t") {
		t.Errorf("a sensitive value was written")
	}
}

func TestJSONConcurrentLinesStayWhole(t *testing.T) {
	var out bytes.Buffer
	j := NewJSON(JSONOptions{Out: &out})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				j.Observe(apply.JobProgress{Time: at(float64(i)), Job: "job.x", Phase: string(rune('a' + g)), Done: i})
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1+4*500 {
		t.Fatalf("%d lines, want %d", len(lines), 1+4*500)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line is not JSON: %q", l)
		}
	}
}
