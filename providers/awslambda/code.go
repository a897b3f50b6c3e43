package awslambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// maxZipUpload is Lambda's limit on a deployment package uploaded in the
// request (ZipFile).
const maxZipUpload = 50 << 20

// BootstrapEnv names the environment variable main reads for a lithops
// binary to deploy instead of the running one (for a client on another
// system or architecture).
const BootstrapEnv = "LITHOPS_LAMBDA_BOOTSTRAP"

// goArch maps a Lambda architecture to Go's name for it, and elfMachine to
// the ELF machine of its binaries.
var (
	goArch     = map[string]string{"x86_64": "amd64", "arm64": "arm64"}
	elfMachine = map[string]elf.Machine{"x86_64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
)

// packageFile is one member of a deployment package besides the bootstrap.
type packageFile struct {
	Name   string // relative path in the package (LAMBDA_TASK_ROOT)
	Source string // local path
	Digest string // sha256:…
}

// checkBootstrap makes sure path is a Linux executable for arch, and says
// what to do when it is not.
func checkBootstrap(path, arch string, fromEnv bool) error {
	want := "linux/" + goArch[arch]
	how := fmt.Sprintf("Build one in the lithops source with `GOOS=linux GOARCH=%s CGO_ENABLED=0 go build -o lithops-linux-%s .` and set %s to its path, or run lithops on a %s machine, or give the runtime an image_uri.",
		goArch[arch], goArch[arch], BootstrapEnv, want)
	what := "the running lithops binary " + path
	if fromEnv {
		what = BootstrapEnv + "=" + path
	}
	f, err := elf.Open(path)
	if err != nil {
		if _, serr := os.Stat(path); serr != nil {
			return fmt.Errorf("the function's bootstrap must be a lithops binary for %s, but %s cannot be read: %v. %s", want, what, serr, how)
		}
		return fmt.Errorf("the function's bootstrap must be a lithops binary for %s, but %s is not a Linux (ELF) program. %s", want, what, how)
	}
	defer f.Close()
	if f.Machine != elfMachine[arch] || f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("the function's bootstrap must be a lithops binary for %s, but %s is built for %s. %s", want, what, machineName(f.Machine), how)
	}
	return nil
}

func machineName(m elf.Machine) string {
	for arch, em := range elfMachine {
		if em == m {
			return "linux/" + goArch[arch]
		}
	}
	return "the " + m.String() + " machine"
}

// digester hashes files once per size and modification time.
type digester struct {
	mu   sync.Mutex
	seen map[string]fileDigest
}

type fileDigest struct {
	size   int64
	mod    time.Time
	digest string
}

func (d *digester) file(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	got, ok := d.seen[path]
	d.mu.Unlock()
	if ok && got.size == fi.Size() && got.mod.Equal(fi.ModTime()) {
		return got.digest, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	d.mu.Lock()
	if d.seen == nil {
		d.seen = map[string]fileDigest{}
	}
	d.seen[path] = fileDigest{fi.Size(), fi.ModTime(), digest}
	d.mu.Unlock()
	return digest, nil
}

// codeDigest identifies a deployment package's content: the bootstrap and
// the runtime's files, by name and content.
func codeDigest(bootstrap string, files []packageFile) string {
	h := sha256.New()
	fmt.Fprintf(h, "lithops-lambda-package\x00bootstrap\x00%s\x00", bootstrap)
	sorted := append([]packageFile(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		fmt.Fprintf(h, "%s\x00%s\x00", f.Name, f.Digest)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// buildPackage zips the bootstrap (as an executable "bootstrap") and the
// runtime's files, in name order, checking each against its digest so that
// what is deployed is what was planned.
func buildPackage(bootstrap, bootstrapDigest string, files []packageFile) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, src, digest string, mode os.FileMode) error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), f); err != nil {
			return fmt.Errorf("read %s: %w", src, err)
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
			return fmt.Errorf("%s changed since the plan was made (digest %s, planned %s): plan again", src, got, digest)
		}
		return nil
	}
	if err := add("bootstrap", bootstrap, bootstrapDigest, 0o755); err != nil {
		return nil, fmt.Errorf("deployment package: %w", err)
	}
	sorted := append([]packageFile(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		mode := os.FileMode(0o644)
		if fi, err := os.Stat(f.Source); err == nil && fi.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		if err := add(filepath.ToSlash(f.Name), f.Source, f.Digest, mode); err != nil {
			return nil, fmt.Errorf("deployment package: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("deployment package: %w", err)
	}
	if buf.Len() > maxZipUpload {
		return nil, fmt.Errorf("the deployment package is %.1f MB, over Lambda's %d MB limit for a package uploaded directly: fewer or smaller runtime files, or a container image (image_uri)", float64(buf.Len())/(1<<20), maxZipUpload>>20)
	}
	return buf.Bytes(), nil
}
