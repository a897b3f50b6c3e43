package awslambda

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildPackage: the bootstrap is an executable "bootstrap", runtime
// files keep their names and modes, and a file that changed since it was
// planned is refused.
func TestBuildPackage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) (string, string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), mode)
		var d digester
		digest, err := d.file(p)
		if err != nil {
			t.Fatal(err)
		}
		return p, digest
	}
	boot, bootDigest := write("lithops", "binary", 0o755)
	tool, toolDigest := write("bin/tool", "#!/bin/sh\n", 0o755)
	data, dataDigest := write("model.txt", "weights", 0o600)
	files := []packageFile{{Name: "model.txt", Source: data, Digest: dataDigest}, {Name: "bin/tool", Source: tool, Digest: toolDigest}}
	zipped, err := buildPackage(boot, bootDigest, files)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	type member struct {
		Name, Content string
		Mode          os.FileMode
	}
	var got []member
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got = append(got, member{f.Name, string(b), f.Mode().Perm()})
	}
	want := []member{{"bootstrap", "binary", 0o755}, {"bin/tool", "#!/bin/sh\n", 0o755}, {"model.txt", "weights", 0o644}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong package (-want +got):\n%s", diff)
	}
	if codeDigest(bootDigest, files) != codeDigest(bootDigest, []packageFile{files[1], files[0]}) {
		t.Errorf("the code digest depends on the files' order")
	}
	if codeDigest(bootDigest, files) == codeDigest(dataDigest, files) {
		t.Errorf("the code digest ignores the bootstrap")
	}

	os.WriteFile(data, []byte("other weights"), 0o600)
	if _, err := buildPackage(boot, bootDigest, files); err == nil || !bytes.Contains([]byte(err.Error()), []byte("changed since the plan was made")) {
		t.Errorf("a file changed since the plan: %v", err)
	}
}

// BenchmarkBuildPackage zips a lithops binary, as Create and a code
// Update do.
//
//	go test -run '^$' -bench BuildPackage -benchtime 3x ./providers/awslambda/
func BenchmarkBuildPackage(b *testing.B) {
	boot := lithopsBootstrap(b)
	var d digester
	digest, err := d.file(boot)
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(boot)
	var size int
	for b.Loop() {
		z, err := buildPackage(boot, digest, nil)
		if err != nil {
			b.Fatal(err)
		}
		size = len(z)
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "binary-MB")
	b.ReportMetric(float64(size)/(1<<20), "zip-MB")
}
