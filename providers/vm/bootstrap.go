package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"lithops/providers"
	"lithops/remote"
)

// ResourceType is the type name of a host's bootstrap.
const ResourceType = "vm_bootstrap"

// bootstrap is the vm_bootstrap resource type: the lithops worker binary
// installed, content-addressed, under a host login's home
// (~/.lithops/bin/lithops-<digest>). Every operation logs in with the
// recorded ssh settings and verifies the host key.
type bootstrap struct {
	b *Backend
	// binaries are the executor block's worker_binaries (platform → local
	// path); nil for the registry's instance, which only reads and
	// deletes.
	binaries map[string]string
}

var (
	_ providers.Resource = (*bootstrap)(nil)
	_ providers.Updater  = (*bootstrap)(nil)
)

var bootstrapSchema = providers.Schema{Attributes: map[string]providers.Attribute{
	"host":             {Type: cty.String, ForceNew: true, Description: "The host's address."},
	"user":             {Type: cty.String, ForceNew: true, Description: "The login the worker runs as."},
	"port":             {Type: cty.Number, ForceNew: true, Description: "The SSH port."},
	"worker_digest":    {Type: cty.String, ForceNew: true, Description: "The lithops build (sha256 of its binary): a new build replaces the bootstrap."},
	"worker_binaries":  {Type: cty.Map(cty.String), Description: "Digests of the executor's worker_binaries, by platform."},
	"known_hosts_file": {Type: cty.String, Description: "The known_hosts file the host key is verified against."},
	"private_key_file": {Type: cty.String, Description: "The private key to log in with; null: the default identities and the SSH agent."},
	"platform":         {Type: cty.String, Computed: true, Description: "The host's os/arch."},
	"binary_digest":    {Type: cty.String, Computed: true, Description: "sha256 of the installed worker binary."},
	"remote_path":      {Type: cty.String, Computed: true, Description: "Where the worker binary is installed on the host."},
}}

// Type implements providers.Resource.
func (*bootstrap) Type() string { return ResourceType }

// Schema implements providers.Resource.
func (*bootstrap) Schema() providers.Schema { return bootstrapSchema }

// bootstrapAttrs is a vm_bootstrap value, decoded.
type bootstrapAttrs struct {
	host       remote.Host
	digest     string            // worker_digest, "sha256:…"
	binaries   map[string]string // worker_binaries: platform → "sha256:…"
	knownHosts string
	keyFile    string
	// hostKey is a Machine's host key (not a vm_bootstrap attribute).
	hostKey    string
	platform   string
	binDigest  string
	remotePath string
}

func attrString(v cty.Value, name string) string {
	if v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return ""
	}
	a := v.GetAttr(name)
	if a.IsNull() || !a.IsKnown() {
		return ""
	}
	return a.AsString()
}

func decodeBootstrap(v cty.Value) (bootstrapAttrs, error) {
	if v.IsNull() || !v.Type().IsObjectType() {
		return bootstrapAttrs{}, errors.New("no attributes")
	}
	a := bootstrapAttrs{
		host:       remote.Host{User: attrString(v, "user"), Addr: attrString(v, "host")},
		digest:     attrString(v, "worker_digest"),
		knownHosts: attrString(v, "known_hosts_file"),
		keyFile:    attrString(v, "private_key_file"),
		platform:   attrString(v, "platform"),
		binDigest:  attrString(v, "binary_digest"),
		remotePath: attrString(v, "remote_path"),
	}
	if p := v.GetAttr("port"); !p.IsNull() && p.IsKnown() {
		n, _ := p.AsBigFloat().Int64()
		a.host.Port = int(n)
	}
	if m := v.GetAttr("worker_binaries"); !m.IsNull() && m.IsKnown() {
		a.binaries = map[string]string{}
		for k, d := range m.AsValueMap() {
			a.binaries[k] = d.AsString()
		}
	}
	if a.host.Addr == "" || a.host.User == "" || a.host.Port < 1 || a.host.Port > 65535 {
		return bootstrapAttrs{}, fmt.Errorf("incomplete host %s@%s:%d", a.host.User, a.host.Addr, a.host.Port)
	}
	return a, nil
}

func (a bootstrapAttrs) value() cty.Value {
	str := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	bins := cty.NullVal(cty.Map(cty.String))
	if len(a.binaries) > 0 {
		m := map[string]cty.Value{}
		for k, d := range a.binaries {
			m[k] = cty.StringVal(d)
		}
		bins = cty.MapVal(m)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"host":             cty.StringVal(a.host.Addr),
		"user":             cty.StringVal(a.host.User),
		"port":             cty.NumberIntVal(int64(a.host.Port)),
		"worker_digest":    str(a.digest),
		"worker_binaries":  bins,
		"known_hosts_file": str(a.knownHosts),
		"private_key_file": str(a.keyFile),
		"platform":         str(a.platform),
		"binary_digest":    str(a.binDigest),
		"remote_path":      str(a.remotePath),
	})
}

// desired is the configured value of member m's bootstrap.
func (s settings) desired(m member, workerDigest string, binDigests map[string]string) cty.Value {
	a := bootstrapAttrs{host: m.host, digest: workerDigest, binaries: binDigests, knownHosts: s.knownHosts, keyFile: s.keyFile}
	v := a.value().AsValueMap()
	for _, name := range []string{"platform", "binary_digest", "remote_path"} {
		v[name] = cty.NullVal(cty.String)
	}
	return cty.ObjectVal(v)
}

// Read implements providers.Resource. A binary no longer there is Gone, so
// the next apply installs it again. A host that cannot be reached keeps its
// recorded state (apply then reports it unreachable and runs on the
// others); a refused host key or login is an error.
func (r *bootstrap) Read(ctx context.Context, req providers.ReadRequest) (providers.ReadResponse, error) {
	a, err := decodeBootstrap(req.State)
	if err != nil {
		return providers.ReadResponse{}, fmt.Errorf("read %s: %w", req.Addr, err)
	}
	gone, err := r.read(ctx, a)
	if err != nil || gone {
		return providers.ReadResponse{Gone: gone}, err
	}
	return providers.ReadResponse{State: req.State}, nil
}

// read reports whether the binary a records is gone from its host (see
// Read).
func (r *bootstrap) read(ctx context.Context, a bootstrapAttrs) (gone bool, err error) {
	conn, err := r.b.dial(ctx, a.host, a.keyFile, a.knownHosts, a.hostKey)
	if err != nil {
		if unreachable(err) {
			return false, nil
		}
		return false, err
	}
	defer conn.Close()
	if a.remotePath == "" {
		return true, nil
	}
	fi, err := conn.Stat(ctx, a.remotePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return true, nil
	case err != nil:
		return false, err
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o100 == 0:
		return true, nil
	}
	return false, nil
}

// Create implements providers.Resource: it probes the host, picks the
// binary for its platform and installs it unless it is already there.
func (r *bootstrap) Create(ctx context.Context, req providers.CreateRequest) (providers.CreateResponse, error) {
	a, err := decodeBootstrap(req.Planned)
	if err != nil {
		return providers.CreateResponse{}, fmt.Errorf("%s: %w", req.Addr, err)
	}
	a, err = r.install(ctx, a)
	if err != nil {
		return providers.CreateResponse{}, err
	}
	return providers.CreateResponse{State: a.value()}, nil
}

// Update implements providers.Updater: new ssh settings or worker_binaries
// install again what they call for, and remove the binary they replace.
func (r *bootstrap) Update(ctx context.Context, req providers.UpdateRequest) (providers.UpdateResponse, error) {
	prior, err := decodeBootstrap(req.Prior)
	if err != nil {
		return providers.UpdateResponse{}, fmt.Errorf("%s: %w", req.Addr, err)
	}
	a, err := decodeBootstrap(req.Planned)
	if err != nil {
		return providers.UpdateResponse{}, fmt.Errorf("%s: %w", req.Addr, err)
	}
	a, err = r.install(ctx, a)
	if err != nil {
		return providers.UpdateResponse{}, err
	}
	if prior.remotePath != "" && prior.remotePath != a.remotePath {
		if err := r.remove(ctx, req.Addr, prior); err != nil {
			return providers.UpdateResponse{State: a.value()}, err
		}
	}
	return providers.UpdateResponse{State: a.value()}, nil
}

// install puts the worker binary for the host's platform on the host and
// fills the computed attributes.
func (r *bootstrap) install(ctx context.Context, a bootstrapAttrs) (bootstrapAttrs, error) {
	conn, err := r.b.dial(ctx, a.host, a.keyFile, a.knownHosts, a.hostKey)
	if err != nil {
		return a, err
	}
	defer conn.Close()
	info, err := conn.Probe(ctx)
	if err != nil {
		return a, err
	}
	a.platform = info.OS + "/" + info.Arch
	local, digest, err := r.binaryFor(a)
	if err != nil {
		return a, fmt.Errorf("install the worker on %s: %w", a.host, err)
	}
	remotePath, _, err := remote.EnsureBinary(ctx, conn, local, strings.TrimPrefix(digest, "sha256:"))
	if err != nil {
		return a, err
	}
	// It must run there: a binary for another platform, or one that is
	// not lithops, fails here rather than when a job starts.
	if _, err := conn.Output(ctx, []string{remotePath, "worker", "-h"}); err != nil {
		return a, fmt.Errorf("the worker binary installed on %s does not run there: %w", a.host, err)
	}
	a.binDigest, a.remotePath = digest, remotePath
	return a, nil
}

// binaryFor is the local binary for the host's platform and its digest:
// this lithops itself, or the one worker_binaries names.
func (r *bootstrap) binaryFor(a bootstrapAttrs) (local, digest string, err error) {
	if a.platform == r.b.platform() {
		if r.b.Binary == "" {
			return "", "", errors.New("this lithops does not know its own executable")
		}
		return r.b.Binary, a.digest, nil
	}
	if p, ok := r.binaries[a.platform]; ok {
		d, ok := a.binaries[a.platform]
		if !ok {
			return "", "", fmt.Errorf("worker_binaries[%q] has no digest in the plan", a.platform)
		}
		return p, d, nil
	}
	have := make([]string, 0, len(r.binaries))
	for k := range r.binaries {
		have = append(have, k)
	}
	sort.Strings(have)
	also := ""
	if len(have) > 0 {
		also = fmt.Sprintf(" (worker_binaries has %s)", strings.Join(have, ", "))
	}
	goos, goarch, _ := strings.Cut(a.platform, "/")
	return "", "", fmt.Errorf("the host is %s and this lithops is %s, so it cannot run there%s: build lithops for the host "+
		"(GOOS=%s GOARCH=%s go build -o lithops-%s-%s .) and name it in the executor block: worker_binaries = { %q = \"/path/to/lithops-%s-%s\" }",
		a.platform, r.b.platform(), also, goos, goarch, goos, goarch, a.platform, goos, goarch)
}

// Delete implements providers.Resource: it removes the binary and, when no
// other lithops binary is left for the login, the job-file cache and
// ~/.lithops itself.
func (r *bootstrap) Delete(ctx context.Context, req providers.DeleteRequest) (providers.DeleteResponse, error) {
	a, err := decodeBootstrap(req.State)
	if err != nil {
		return providers.DeleteResponse{}, fmt.Errorf("%s: %w", req.Addr, err)
	}
	return providers.DeleteResponse{}, r.remove(ctx, req.Addr, a)
}

// remove deletes the binary a records (see Delete); addr names the
// resource in the advice given when the host cannot be reached.
func (r *bootstrap) remove(ctx context.Context, addr string, a bootstrapAttrs) error {
	if a.remotePath == "" {
		return nil
	}
	conn, err := r.b.dial(ctx, a.host, a.keyFile, a.knownHosts, a.hostKey)
	if err != nil {
		if unreachable(err) {
			return fmt.Errorf("%w; if the machine is gone for good, forget its bootstrap with: lithops state rm %s", err, remote.Quote(addr))
		}
		return err
	}
	defer conn.Close()
	if err := conn.Remove(ctx, a.remotePath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// Tidy up when this was the login's last lithops binary: removing a
	// directory that is not empty fails, and that is the test.
	bin := path.Dir(a.remotePath)
	root := path.Dir(bin)
	if path.Base(bin) != path.Base(remote.BinDir) || path.Base(root) != path.Dir(remote.BinDir) {
		return nil // installed elsewhere by another version: leave the rest
	}
	if conn.Remove(ctx, bin) == nil {
		if err := conn.RemoveAll(ctx, path.Join(root, cacheDirName)); err != nil {
			return err
		}
		conn.Remove(ctx, root)
	}
	return nil
}

// cacheDirName is the workers' job-file cache, beside the bin directory.
const cacheDirName = "cache"

// cacheDir is the workers' job-file cache for a binary installed at
// remotePath (~/.lithops/bin/lithops-…): ~/.lithops/cache.
func cacheDir(remotePath string) string {
	return path.Join(path.Dir(path.Dir(remotePath)), cacheDirName)
}

// fileDigest is "sha256:<hex>" of a local file.
func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
