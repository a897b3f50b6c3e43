package command

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"lithops/hcl"
	"lithops/objstore"
	"lithops/objstore/dirstore"
	"lithops/plan"
	"lithops/providers"
	"lithops/state"
)

// DefaultStateFile is where state lives unless the lithops block or -state
// says otherwise, relative to the configuration directory.
const DefaultStateFile = "lithops.state"

// DataDir holds the implicit local storage and other local data, relative to
// the configuration directory.
const DataDir = ".lithops"

// stateFlags are the options of commands that read the state.
type stateFlags struct {
	path        string
	lockTimeout time.Duration
	lock        bool
}

func (s *stateFlags) register(fs *flag.FlagSet, locking bool) {
	fs.StringVar(&s.path, "state", "", "")
	if locking {
		fs.DurationVar(&s.lockTimeout, "lock-timeout", 0, "")
		fs.BoolVar(&s.lock, "lock", true, "")
	}
}

const stateFlagsHelp = `  -state=PATH        The state file (default: the lithops block's state, or
                     lithops.state in the configuration directory).
  -lock=false        Do not lock the state. Dangerous when others may run.
  -lock-timeout=DUR  Wait up to DUR (such as 30s) for a lock held by another
                     run instead of failing at once.`

// statePath resolves the state file's path.
func (s *stateFlags) statePath(env *Env, cfg *hcl.Config) string {
	switch {
	case s.path != "":
		return env.path(s.path)
	case cfg != nil && cfg.Settings != nil && cfg.Settings.StatePath != "":
		if filepath.IsAbs(cfg.Settings.StatePath) {
			return cfg.Settings.StatePath
		}
		return filepath.Join(cfg.Dir, cfg.Settings.StatePath)
	}
	return filepath.Join(env.Dir, DefaultStateFile)
}

// session is what plan, apply and destroy share: the configuration, the
// locked state, and a planner over them.
type session struct {
	env       *Env
	cfg       *hcl.Config
	statePath string
	lock      *state.Lock
	st        *state.State
	planner   *plan.Planner

	storesMu sync.Mutex
	stores   map[string]openedStore
}

// openedStore is an open storage and where lithops keeps its objects there.
type openedStore struct {
	store  objstore.Store
	layout objstore.Layout
}

// readOnly is the operation of commands that only read the state: they take
// no lock and fold a journal in memory only.
const readOnly = ""

// openSession loads the configuration, locks and reads the state (folding
// the journal a killed run left), and makes a planner. With op readOnly it
// neither locks nor writes. It prints what goes wrong and returns nil then.
func openSession(ctx context.Context, env *Env, cf *configFlags, sf *stateFlags, op string, fixed map[string]cty.Value) *session {
	cfg, diags := cf.loadFixed(env, fixed)
	if cfg.CanEvaluate() && !diags.HasErrors() {
		diags = append(diags, cfg.Validate(env.Registry)...)
	}
	if printDiags(env, cfg, diags, cf.color(env)) {
		return nil
	}
	s := &session{env: env, cfg: cfg, statePath: sf.statePath(env, cfg), stores: map[string]openedStore{}}
	if op == readOnly {
		st, _, err := readState(s.statePath)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %s\n", err)
			return nil
		}
		s.st = st
		s.planner = plan.NewPlanner(cfg, env.Registry, st)
		s.planner.OpenStore = s.openStoreOnly
		return s
	}
	if sf.lock {
		lock, dead, err := state.Acquire(ctx, s.statePath, state.LockOptions{Operation: op, Timeout: sf.lockTimeout})
		if err != nil {
			printLockError(env, err, s.statePath)
			return nil
		}
		s.lock = lock
		if dead != nil {
			fmt.Fprintf(env.Stderr, "Warning: recovered the lock left by %s (%s, pid %d, since %s), which is no longer running.\n\n",
				dead.Operation, dead.Who, dead.PID, dead.Since.Local().Format(time.RFC1123))
		}
	}
	st, info, err := state.Recover(s.statePath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: %s\n", err)
		s.close()
		return nil
	}
	if info.Journal && info.Records > 0 {
		fmt.Fprintf(env.Stderr, "Recovered %d records of an interrupted run from its journal; finished work is kept.\n\n", info.Records)
	}
	s.st = st
	s.planner = plan.NewPlanner(cfg, env.Registry, st)
	s.planner.OpenStore = s.openStoreOnly
	if needsWorkerDigest(cfg) {
		d, err := fileDigest(env.Executable)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: digest of the lithops binary: %s\n", err)
			s.close()
			return nil
		}
		s.planner.WorkerDigest = d
	}
	return s
}

func printLockError(env *Env, err error, path string) {
	var le *state.LockedError
	if errors.As(err, &le) {
		i := le.Info
		fmt.Fprintf(env.Stderr, `Error: the state is locked

  %s is locked by another run:
    ID:        %s
    Operation: %s
    Who:       %s (pid %d)
    Since:     %s

  Wait for it to finish, retry with -lock-timeout=5m to wait, or, if you are
  sure no run holds it, release it with: lithops force-unlock %s
`, path, i.ID, i.Operation, i.Who, i.PID, i.Since.Local().Format(time.RFC1123), i.ID)
		return
	}
	fmt.Fprintf(env.Stderr, "Error: %s\n", err)
}

// close releases the lock.
func (s *session) close() {
	if s.lock != nil {
		s.lock.Release()
		s.lock = nil
	}
}

// openStoreOnly opens a storage for the planner.
func (s *session) openStoreOnly(ctx context.Context, name string) (objstore.Store, error) {
	st, _, err := s.openStore(ctx, name)
	return st, err
}

// openStore opens a storage block, or with "" the implicit local storage:
// a directory under the configuration's .lithops/.
func (s *session) openStore(ctx context.Context, name string) (objstore.Store, objstore.Layout, error) {
	s.storesMu.Lock()
	defer s.storesMu.Unlock()
	if st, ok := s.stores[name]; ok {
		return st.store, st.layout, nil
	}
	var opened openedStore
	if name == "" {
		dir := filepath.Join(s.cfg.Dir, DataDir, "storage")
		store, err := dirstore.New(dir)
		if err != nil {
			return nil, objstore.Layout{}, err
		}
		layout, _ := objstore.NewLayout("")
		opened = openedStore{store: store, layout: layout}
	} else {
		sb := s.cfg.Storages[name]
		if sb == nil {
			return nil, objstore.Layout{}, fmt.Errorf("no storage %q is declared", name)
		}
		backend := s.env.Registry.Storages[sb.Backend]
		body, diags := s.planner.Evaluator().Body(sb.Body, backend.Spec())
		if diags.HasErrors() {
			return nil, objstore.Layout{}, diags
		}
		resp, err := backend.Open(ctx, providers.OpenStorageRequest{Name: name, Body: body, Dir: s.cfg.Dir})
		if err != nil {
			return nil, objstore.Layout{}, err
		}
		opened = openedStore{store: resp.Store, layout: resp.Layout}
	}
	s.stores[name] = opened
	return opened.store, opened.layout, nil
}

func needsWorkerDigest(cfg *hcl.Config) bool {
	for _, e := range cfg.Executors {
		if e.Backend != "localhost" {
			return true
		}
	}
	return false
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// loadFixed loads the configuration with values fixed by a saved plan.
func (c *configFlags) loadFixed(env *Env, fixed map[string]cty.Value) (*hcl.Config, hcl2.Diagnostics) {
	var vars []hcl.VarFlag
	for _, v := range c.vars {
		vars = append(vars, hcl.VarFlag{File: v.file, Value: v.value})
	}
	return hcl.Load(hcl.LoadOptions{
		Dir:      env.Dir,
		Cwd:      env.Cwd,
		Env:      env.Environ,
		Vars:     vars,
		Registry: env.Registry,
		Fixed:    fixed,
	})
}

// describeStorage describes a storage block for remote workers: its
// backend and its body with sensitive attributes, and values that come
// from sensitive variables, null. A remote worker uses its own credentials.
func (s *session) describeStorage(_ context.Context, name string) (providers.StorageRef, error) {
	sb := s.cfg.Storages[name]
	if sb == nil {
		return providers.StorageRef{}, fmt.Errorf("no storage %q is declared", name)
	}
	backend := s.env.Registry.Storages[sb.Backend]
	body, diags := s.planner.Evaluator().Body(sb.Body, backend.Spec())
	if diags.HasErrors() {
		return providers.StorageRef{}, diags
	}
	var schema providers.Schema
	if d, ok := backend.(providers.BodyDescriber); ok {
		schema = d.BodySchema()
	}
	body, _ = body.Unmark()
	if body.IsNull() || !body.Type().IsObjectType() {
		return providers.StorageRef{Name: name, Backend: sb.Backend, Body: body}, nil
	}
	attrs := map[string]cty.Value{}
	for attr, v := range body.AsValueMap() {
		if schema.Attributes[attr].Sensitive || v.ContainsMarked() {
			v = cty.NullVal(body.Type().AttributeType(attr))
		}
		attrs[attr] = v
	}
	return providers.StorageRef{Name: name, Backend: sb.Backend, Body: cty.ObjectVal(attrs)}, nil
}
