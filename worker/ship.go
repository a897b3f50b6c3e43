package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"lithops/sched"
)

// fileState is the shipping of one job file to this worker.
type fileState struct {
	done chan struct{}
	err  error
}

// ensureFiles makes sure the worker has files, shipping each at most once
// per connection (and not at all when its cache has it), and returns them
// as references for run messages.
func (c *Client) ensureFiles(ctx context.Context, files []sched.File) ([]fileRef, error) {
	if len(files) == 0 {
		return nil, nil
	}
	refs := make([]fileRef, len(files))
	var mine []sched.File
	var mineStates, waits []*fileState
	c.mu.Lock()
	for i, f := range files {
		refs[i] = fileRef{Name: f.Name, Digest: f.Digest, Mode: f.Mode}
		st := c.files[f.Digest]
		if st == nil {
			st = &fileState{done: make(chan struct{})}
			c.files[f.Digest] = st
			mine, mineStates = append(mine, f), append(mineStates, st)
		} else {
			waits = append(waits, st)
		}
	}
	c.mu.Unlock()
	if len(mine) > 0 {
		errs := c.ship(ctx, mine)
		c.mu.Lock()
		for i, st := range mineStates {
			st.err = errs[i]
			if st.err != nil {
				delete(c.files, mine[i].Digest) // a later run tries again
			}
			close(st.done)
		}
		c.mu.Unlock()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	for _, st := range waits {
		select {
		case <-st.done:
			if st.err != nil {
				return nil, st.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, c.err
		}
	}
	return refs, nil
}

// ship asks the worker which files it lacks and sends those; it returns
// one error per file.
func (c *Client) ship(ctx context.Context, files []sched.File) []error {
	errs := make([]error, len(files))
	all := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	q := queryMsg{Digests: make([]string, len(files))}
	for i, f := range files {
		q.Digests[i] = f.Digest
	}
	f, err := c.request(ctx, msgQuery, &q, nil)
	if err != nil {
		return all(err)
	}
	var have haveMsg
	d := dec{b: f.payload}
	have.decode(&d)
	f.release()
	if d.err != nil || len(have.Have) != len(files) {
		err := fmt.Errorf("%w: bad answer to query", errProtocol)
		c.fail(err)
		return all(err)
	}
	for i, file := range files {
		if have.Have[i] {
			continue
		}
		if err := c.put(ctx, file); err != nil {
			errs[i] = fmt.Errorf("job file %q: %w", file.Name, err)
			if c.Err() != nil || ctx.Err() != nil {
				return all(errs[i])
			}
		}
	}
	return errs
}

// put sends one file to the worker's cache.
func (c *Client) put(ctx context.Context, file sched.File) error {
	st, err := os.Stat(file.Source)
	if err != nil {
		return err
	}
	m := putFileMsg{Digest: file.Digest, Size: st.Size()}
	var content *os.File
	if c.opts.SharedFS {
		if m.Path, err = filepath.Abs(file.Source); err != nil {
			return err
		}
	} else if content, err = os.Open(file.Source); err != nil {
		return err
	} else {
		defer content.Close()
	}
	f, err := c.request(ctx, msgPutFile, &m, func(id uint64) error {
		if content == nil {
			return nil
		}
		buf := getBuf()
		defer putBuf(buf)
		b := (*buf)[:chunkSize]
		for {
			n, err := content.Read(b)
			if n > 0 {
				if err := c.out.data(msgPutData, id, b[:n], true); err != nil {
					return err
				}
			}
			if err == io.EOF {
				return c.out.send(msgPutEnd, id, nil)
			}
			if err != nil {
				// The worker sees fewer bytes than announced and refuses.
				c.out.send(msgPutEnd, id, nil)
				return err
			}
		}
	})
	if err != nil {
		return err
	}
	var sm storedMsg
	d := dec{b: f.payload}
	sm.decode(&d)
	f.release()
	if sm.Err != "" {
		return errors.New(sm.Err)
	}
	return nil
}

// request sends a message, then runs follow (which sends what comes with
// it), and waits for the answer with the same id.
func (c *Client) request(ctx context.Context, t msgType, m interface{ encode(*enc) }, follow func(id uint64) error) (frame, error) {
	id := c.nextID.Add(1)
	ch := make(chan frame, 1)
	c.mu.Lock()
	c.reqs[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.reqs, id)
		c.mu.Unlock()
	}
	if err := c.out.send(t, id, m); err != nil {
		forget()
		return frame{}, err
	}
	if follow != nil {
		if err := follow(id); err != nil {
			forget()
			return frame{}, err
		}
	}
	select {
	case f := <-ch:
		return f, nil
	case <-ctx.Done():
		forget()
		return frame{}, ctx.Err()
	case <-c.done:
		return frame{}, c.err
	}
}
