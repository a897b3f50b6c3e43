package worker

import (
	"fmt"
	"os"

	"lithops/sched"
)

// collector gathers a task's stdout: in memory up to limit bytes, then in
// a temporary file, so that memory stays bounded whatever the output size.
type collector struct {
	limit int64
	dir   string
	buf   []byte
	file  *os.File
	size  int64
	err   error
}

func (c *collector) write(p []byte) {
	if len(p) == 0 {
		return
	}
	c.size += int64(len(p))
	if c.err != nil {
		return
	}
	if c.file == nil {
		if c.size <= c.limit {
			c.buf = append(c.buf, p...)
			return
		}
		f, err := os.CreateTemp(c.dir, "lithops-stdout-*")
		if err != nil {
			c.err = fmt.Errorf("spill stdout: %w", err)
			return
		}
		c.file = f
		if _, err := f.Write(c.buf); err != nil {
			c.err = fmt.Errorf("spill stdout: %w", err)
			return
		}
		c.buf = nil
	}
	if _, err := c.file.Write(p); err != nil {
		c.err = fmt.Errorf("spill stdout: %w", err)
	}
}

// finish puts the output in res: inline, or as a file res owns from now.
func (c *collector) finish(res *sched.Result) error {
	res.StdoutSize = c.size
	if c.err != nil {
		return c.err
	}
	if c.file == nil {
		res.Stdout = c.buf
		c.buf = nil
		return nil
	}
	name := c.file.Name()
	err := c.file.Close()
	c.file = nil
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("spill stdout: %w", err)
	}
	res.StdoutFile = name
	return nil
}

// discard removes a spill file that finish did not hand over.
func (c *collector) discard() {
	if c.file != nil {
		c.file.Close()
		os.Remove(c.file.Name())
		c.file = nil
	}
}
