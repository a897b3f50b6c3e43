package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadEvents(t *testing.T) {
	tests := []struct {
		name    string
		stream  string
		want    applyEvents
		wantErr string
	}{
		{
			name: "one job",
			stream: `{"type":"version","time":"2026-01-02T15:04:05.000000Z","format_version":"1.0","lithops":"0.1.0"}
{"type":"job_started","time":"2026-01-02T15:04:05.100000Z","job":"job.bench","phase":"map","tasks":3,"cached":0}
{"type":"job_progress","time":"2026-01-02T15:04:05.200000Z","job":"job.bench","phase":"map","total":3,"done":1}
{"type":"job_finished","time":"2026-01-02T15:04:06.350000Z","job":"job.bench","tasks":3,"elapsed_seconds":1.25,"error":""}
{"type":"finished","time":"2026-01-02T15:04:06.400000Z","operation":"apply","added":0,"jobs_ran":1,"tasks":3,"failed":0,"outputs":[],"error":""}
`,
			want: applyEvents{Finished: true, JobsRan: 1, Tasks: 3, JobPhase: 1250 * time.Millisecond},
		},
		{
			name: "several jobs span from the first start to the last end",
			stream: `{"type":"job_started","time":"2026-01-02T15:04:05.000000Z"}
{"type":"job_started","time":"2026-01-02T15:04:05.500000Z"}
{"type":"job_finished","time":"2026-01-02T15:04:07.000000Z"}
{"type":"job_finished","time":"2026-01-02T15:04:06.000000Z"}
{"type":"finished","time":"2026-01-02T15:04:07.100000Z","added":2,"jobs_ran":2,"tasks":2}
`,
			want: applyEvents{Finished: true, Added: 2, JobsRan: 2, Tasks: 2, JobPhase: 2 * time.Second},
		},
		{
			name:   "outputs by name, values as the event writes them",
			stream: `{"type":"finished","time":"2026-01-02T15:04:07.100000Z","jobs_ran":1,"tasks":9,"outputs":[{"name":"lines","value":"\"42\"","sensitive":false}]}` + "\n",
			want:   applyEvents{Finished: true, JobsRan: 1, Tasks: 9, Outputs: map[string]string{"lines": `"42"`}},
		},
		{
			name:   "a failed apply",
			stream: `{"type":"finished","time":"2026-01-02T15:04:07.100000Z","tasks":5,"failed":2,"error":"2 tasks failed"}` + "\n",
			want:   applyEvents{Finished: true, Tasks: 5, Failed: 2, Error: "2 tasks failed"},
		},
		{
			name:   "cut short",
			stream: `{"type":"job_started","time":"2026-01-02T15:04:05.000000Z"}` + "\n",
			want:   applyEvents{},
		},
		{
			name:    "not JSON",
			stream:  "Apply complete!\n",
			wantErr: "event line 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readEvents(strings.NewReader(tt.stream))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("wrong error: got %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("wrong events summary (-want +got):\n%s", diff)
			}
		})
	}
}
