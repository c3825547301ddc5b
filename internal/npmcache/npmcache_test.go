package npmcache

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarball writes a .tgz of the files (name → content) into dir and returns
// its path and npm integrity string.
func tarball(t *testing.T, dir string, files map[string]string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "pkg-1.0.0.tgz")
	if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(buf.Bytes())
	return f, "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

func TestExtractVerifyAndDamage(t *testing.T) {
	tmp := t.TempDir()
	tgz, integrity := tarball(t, tmp, map[string]string{
		"package/lib/tool.js":  "tool()",
		"package/package.json": "{}",
		"other/ignored.txt":    "x",
	})
	if err := CheckIntegrity(tgz, integrity); err != nil {
		t.Fatal(err)
	}
	p := Package{Name: "pkg", Version: "1.0.0", Integrity: integrity, Dir: "pkg", Prefix: "package/lib/",
		Check: func(dir string) error {
			b, err := os.ReadFile(filepath.Join(dir, "tool.js"))
			if err == nil && string(b) != "tool()" {
				err = errors.New("tool.js changed")
			}
			return err
		}}
	if p.Tarball() != "pkg-1.0.0.tgz" {
		t.Errorf("Tarball() = %q", p.Tarball())
	}
	dir := filepath.Join(tmp, "out")
	if err := Verify(dir, p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Verify of nothing = %v, want fs.ErrNotExist", err)
	}
	if err := Extract(tgz, p, dir); err != nil {
		t.Fatal(err)
	}
	if err := Verify(dir, p); err != nil {
		t.Fatalf("fresh copy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
		t.Error("a file outside the prefix was extracted")
	}

	other := p
	other.Integrity = "sha512-other"
	if err := Verify(dir, other); err == nil {
		t.Error("Verify accepted a copy of another tarball")
	}
	if err := os.WriteFile(filepath.Join(dir, "tool.js"), []byte("evil()"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Verify(dir, p); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Verify of a changed file of the same size = %v, want Check's error", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tool.js"), []byte("longer()"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Verify(dir, p); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("Verify of a resized file = %v, want a size mismatch", err)
	}
}

func TestIntegrityMismatchAndEscapingPaths(t *testing.T) {
	tmp := t.TempDir()
	tgz, integrity := tarball(t, tmp, map[string]string{"package/ok.js": "ok", "package/../../escape": "x"})
	if err := CheckIntegrity(tgz, "sha512-AAAA"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("CheckIntegrity = %v, want a refusal", err)
	}
	p := Package{Name: "pkg", Version: "1.0.0", Integrity: integrity, Prefix: "package/"}
	out := filepath.Join(tmp, "out")
	if err := Extract(tgz, p, out); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{tmp, filepath.Dir(tmp), out} {
		if _, err := os.Stat(filepath.Join(d, "escape")); err == nil {
			t.Errorf("an entry outside the package was written to %s", d)
		}
	}
	if err := Verify(out, p); err != nil {
		t.Error(err)
	}
	if err := Extract(tgz, Package{Name: "pkg", Version: "1.0.0", Prefix: "nothing/"}, filepath.Join(tmp, "none")); err == nil {
		t.Error("Extract of a prefix with no files succeeded")
	}
}

func TestInstallWithoutNpmSaysWhatToInstall(t *testing.T) {
	t.Setenv(CacheDirEnv, t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := Install(t.Context(), Package{Name: "pkg", Version: "1.0.0", Dir: "pkg", Prefix: "package/", Label: "the tool"}, nil)
	if err == nil || !strings.Contains(err.Error(), "the tool") || !strings.Contains(err.Error(), "install Node.js") {
		t.Fatalf("Install without npm = %v, want an error naming the tool and saying to install Node.js", err)
	}
}
