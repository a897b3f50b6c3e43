package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"lithops/objstore"
)

const storageHelp = `storage <ls|put|get|rm> [options] STORAGE [KEY|PREFIX] [FILE]

Move data in and out of a storage declared in the configuration (STORAGE is
its name, or storage.NAME), as Lithops' storage commands do.

  ls  STORAGE [PREFIX]       List objects (key, size, last change).
  put STORAGE KEY FILE       Upload FILE ("-" reads standard input).
  get STORAGE KEY [FILE]     Download to FILE, or to standard output.
  rm  STORAGE KEY|PREFIX/    Delete an object, or with -r every object under
                             a prefix.

Large transfers report progress on standard error.

Options:
  -r             (rm) Delete every object under the prefix.
` + configFlagsHelp + "\n"

func runStorage(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintf(env.Stdout, "Usage: lithops [global options] %s", storageHelp)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	sub, args := args[0], args[1:]
	fs := newFlags("storage " + sub)
	recursive := fs.Bool("r", false, "")
	var cf configFlags
	cf.register(fs)
	var sf stateFlags
	sf.register(fs, false)
	if code, ok := parse(env, fs, storageHelp, args); !ok {
		return code
	}
	want := map[string][2]int{"ls": {1, 2}, "put": {3, 3}, "get": {2, 3}, "rm": {2, 2}}
	n, known := want[sub]
	if !known {
		fmt.Fprintf(env.Stderr, "Error: unknown storage subcommand %q: use ls, put, get or rm\n", sub)
		return 1
	}
	if fs.NArg() < n[0] || fs.NArg() > n[1] {
		fmt.Fprintf(env.Stderr, "Error: wrong arguments for storage %s; run lithops storage -help\n", sub)
		return 1
	}
	s := openSession(ctx, env, &cf, &sf, readOnly, nil)
	if s == nil {
		return 1
	}
	name := strings.TrimPrefix(fs.Arg(0), "storage.")
	if s.cfg.Storages[name] == nil {
		fmt.Fprintf(env.Stderr, "Error: no storage %q is declared; declared: %s\n", name, strings.Join(sortedKeys(s.cfg.Storages), ", "))
		return 1
	}
	store, _, err := s.openStore(ctx, name)
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: open storage.%s: %s\n", name, err)
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "Error: storage %s: %s\n", sub, err)
		return 1
	}
	switch sub {
	case "ls":
		count := 0
		err := store.List(ctx, fs.Arg(1), func(o objstore.ObjectInfo) error {
			count++
			_, err := fmt.Fprintf(env.Stdout, "%12d  %s  %s\n", o.Size, o.Modified.Local().Format("2006-01-02 15:04:05"), o.Key)
			return err
		})
		if err != nil {
			return fail(err)
		}
		if count == 0 {
			fmt.Fprintf(env.Stderr, "No objects under %q in %s.\n", fs.Arg(1), store)
		}
	case "put":
		var (
			r    io.Reader
			size int64 = -1
		)
		if fs.Arg(2) == "-" {
			r = env.Stdin
		} else {
			f, err := os.Open(env.path(fs.Arg(2)))
			if err != nil {
				return fail(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			r, size = f, st.Size()
		}
		pr := newProgress(env, "put "+fs.Arg(1), size)
		info, err := store.Put(ctx, fs.Arg(1), pr.reader(r), size)
		pr.done()
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.Stderr, "Uploaded %s (%s) to %s.\n", info.Key, humanBytes(info.Size), store)
	case "get":
		rc, info, err := store.Get(ctx, fs.Arg(1))
		if err != nil {
			return fail(err)
		}
		defer rc.Close()
		var w io.Writer = env.Stdout
		var tmp *os.File
		if fs.NArg() == 3 {
			dst := env.path(fs.Arg(2))
			tmp, err = os.CreateTemp(filepath.Dir(dst), ".lithops-get*")
			if err != nil {
				return fail(err)
			}
			defer os.Remove(tmp.Name())
			w = tmp
		}
		pr := newProgress(env, "get "+fs.Arg(1), info.Size)
		_, err = io.Copy(w, pr.reader(rc))
		pr.done()
		if err != nil {
			return fail(err)
		}
		if tmp != nil {
			if err := tmp.Close(); err != nil {
				return fail(err)
			}
			if err := os.Rename(tmp.Name(), env.path(fs.Arg(2))); err != nil {
				return fail(err)
			}
			fmt.Fprintf(env.Stderr, "Downloaded %s (%s) to %s.\n", info.Key, humanBytes(info.Size), fs.Arg(2))
		}
	case "rm":
		key := fs.Arg(1)
		if !*recursive {
			if _, err := store.Head(ctx, key); err != nil {
				return fail(fmt.Errorf("%s: %w (use -r to delete a prefix)", key, err))
			}
			if err := store.Delete(ctx, key); err != nil {
				return fail(err)
			}
			fmt.Fprintf(env.Stderr, "Deleted %s.\n", key)
			return 0
		}
		var keys []string
		if err := store.List(ctx, key, func(o objstore.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
			return fail(err)
		}
		for _, k := range keys {
			if err := store.Delete(ctx, k); err != nil {
				return fail(err)
			}
		}
		fmt.Fprintf(env.Stderr, "Deleted %d objects under %q.\n", len(keys), key)
	}
	return 0
}

// progress reports a large transfer on stderr about once a second.
type progress struct {
	env   *Env
	what  string
	size  int64
	n     atomic.Int64
	stop  chan struct{}
	ended chan struct{}
}

const progressThreshold = 8 << 20

func newProgress(env *Env, what string, size int64) *progress {
	p := &progress{env: env, what: what, size: size, stop: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(p.ended)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				n := p.n.Load()
				if n < progressThreshold && p.size < progressThreshold {
					continue
				}
				if p.size > 0 {
					fmt.Fprintf(p.env.Stderr, "%s: %s of %s (%d%%)\n", p.what, humanBytes(n), humanBytes(p.size), n*100/p.size)
				} else {
					fmt.Fprintf(p.env.Stderr, "%s: %s\n", p.what, humanBytes(n))
				}
			}
		}
	}()
	return p
}

func (p *progress) reader(r io.Reader) io.Reader { return &countReader{r: r, n: &p.n} }

func (p *progress) done() {
	close(p.stop)
	<-p.ended
}

type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
