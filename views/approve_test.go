package views

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const applyQuestion = "\nDo you want to perform these actions?\n" +
	"  lithops will perform the actions described above.\n" +
	"  Only 'yes' will be accepted to approve.\n\n" +
	"  Enter a value: "

const destroyQuestion = "\nDo you really want to destroy all resources?\n" +
	"  lithops will destroy everything recorded in its state, as shown above.\n" +
	"  There is no undo. Only 'yes' will be accepted to confirm.\n\n" +
	"  Enter a value: "

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("device gone") }

func TestApprove(t *testing.T) {
	tests := []struct {
		name     string
		op       string
		in       io.Reader
		want     bool
		wantErr  error
		wantOut  string
		wantLeft string // input left unread
	}{
		{name: "yes approves", op: "apply", in: strings.NewReader("yes\n"), want: true, wantOut: applyQuestion + "\n"},
		{name: "spaces around yes are ignored", op: "apply", in: strings.NewReader("  yes \r\n"), want: true, wantOut: applyQuestion + "\n"},
		{name: "anything else refuses", op: "apply", in: strings.NewReader("y\n"), want: false, wantOut: applyQuestion + "\n"},
		{name: "Yes is not yes", op: "apply", in: strings.NewReader("Yes\n"), want: false, wantOut: applyQuestion + "\n"},
		{name: "a last line without newline counts", op: "apply", in: strings.NewReader("yes"), want: true, wantOut: applyQuestion + "\n"},
		{name: "no input is an error, not a hang", op: "apply", in: strings.NewReader(""), wantErr: ErrNoAnswer, wantOut: applyQuestion + "\n"},
		{name: "nil input is an error", op: "apply", in: nil, wantErr: ErrNoAnswer, wantOut: applyQuestion + "\n"},
		{name: "destroy asks its own question", op: "destroy", in: strings.NewReader("yes\n"), want: true, wantOut: destroyQuestion + "\n"},
		{
			name: "nothing after the line is read", op: "apply", in: strings.NewReader("yes\nqq"),
			want: true, wantOut: applyQuestion + "\n", wantLeft: "qq",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := Approve(context.Background(), Approval{In: tt.in, Out: &out, Operation: tt.op})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Approve error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Approve = %v, want %v", got, tt.want)
			}
			if diff := cmp.Diff(tt.wantOut, out.String()); diff != "" {
				t.Errorf("wrong question (-want +got):\n%s", diff)
			}
			if tt.in != nil {
				left, _ := io.ReadAll(tt.in)
				if diff := cmp.Diff(tt.wantLeft, string(left)); diff != "" {
					t.Errorf("wrong input left unread (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestApproveErrors(t *testing.T) {
	t.Run("a read error is returned", func(t *testing.T) {
		_, err := Approve(context.Background(), Approval{In: errReader{}, Out: io.Discard})
		if err == nil || !strings.Contains(err.Error(), "device gone") {
			t.Errorf("Approve error = %v, want the read error", err)
		}
	})
	t.Run("an ended context stops the wait", func(t *testing.T) {
		r, w := io.Pipe() // never written: a terminal nobody types into
		defer w.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ok, err := Approve(ctx, Approval{In: r, Out: io.Discard})
		if ok || !errors.Is(err, context.Canceled) {
			t.Errorf("Approve = %v, %v; want false, context.Canceled", ok, err)
		}
	})
	t.Run("colour makes the question bold and nothing else", func(t *testing.T) {
		var out bytes.Buffer
		if _, err := Approve(context.Background(), Approval{In: strings.NewReader("yes\n"), Out: &out, Color: true}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "\x1b[1mDo you want to perform these actions?\x1b[0m") {
			t.Errorf("question not bold: %q", out.String())
		}
	})
}
