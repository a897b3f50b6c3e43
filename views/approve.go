package views

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNoAnswer is returned by Approve when its input ends before a line was
// read: stdin is closed, /dev/null or an exhausted pipe.
var ErrNoAnswer = errors.New("no answer to the approval question: standard input ended before a line was read (pass -auto-approve to run without asking)")

// Approval is the question asked before apply or destroy.
type Approval struct {
	// In is where the answer comes from (the terminal, or a pipe: `echo yes
	// | lithops apply` works as in Terraform). Approve reads it one byte at
	// a time and stops at the newline, so nothing meant for the terminal UI
	// that follows is consumed.
	In io.Reader
	// Out receives the question.
	Out io.Writer
	// Operation is "apply" or "destroy"; the wording follows it.
	Operation string
	// Color makes the question bold.
	Color bool
}

// maxAnswer bounds the line Approve reads.
const maxAnswer = 4096

// Approve asks for approval with Terraform's wording and returns true only
// when the answer is exactly "yes" (surrounding spaces ignored). An answer
// that is not "yes" returns false and no error; the caller prints "Apply
// cancelled." and exits non-zero. Input that ends without a line returns
// ErrNoAnswer; ctx ending returns its error. When ctx ends first, the read
// in progress is abandoned (a goroutine stays blocked in In.Read until In
// yields or the process exits).
func Approve(ctx context.Context, a Approval) (bool, error) {
	c := painter(a.Color)
	var q string
	if a.Operation == "destroy" {
		q = "\n" + c.paint("Do you really want to destroy all resources?", sgrBold) + "\n" +
			"  lithops will destroy everything recorded in its state, as shown above.\n" +
			"  There is no undo. Only 'yes' will be accepted to confirm.\n\n" +
			c.paint("  Enter a value:", sgrBold) + " "
	} else {
		q = "\n" + c.paint("Do you want to perform these actions?", sgrBold) + "\n" +
			"  lithops will perform the actions described above.\n" +
			"  Only 'yes' will be accepted to approve.\n\n" +
			c.paint("  Enter a value:", sgrBold) + " "
	}
	if _, err := io.WriteString(a.Out, q); err != nil {
		return false, fmt.Errorf("ask for approval: %w", err)
	}

	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := readLine(a.In)
		got <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		_, _ = io.WriteString(a.Out, "\n")
		return false, ctx.Err()
	case ans := <-got:
		_, _ = io.WriteString(a.Out, "\n")
		if ans.err != nil {
			return false, ans.err
		}
		return strings.TrimSpace(ans.line) == "yes", nil
	}
}

// readLine reads up to a newline one byte at a time. A last line without a
// newline counts; input that ends before any byte is ErrNoAnswer.
func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", ErrNoAnswer
	}
	var b strings.Builder
	var one [1]byte
	for b.Len() < maxAnswer {
		n, err := r.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(one[0])
		}
		if errors.Is(err, io.EOF) {
			if b.Len() == 0 {
				return "", ErrNoAnswer
			}
			return b.String(), nil
		}
		if err != nil {
			return "", fmt.Errorf("read approval answer: %w", err)
		}
	}
	return b.String(), nil
}
