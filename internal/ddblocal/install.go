package ddblocal

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// The DynamoDB Local release in use. It ships inside an npm package; the
// tarball's integrity and the jar's digest are pinned, so a changed or
// damaged download is refused.
const (
	// Version is the pinned npm package version; the cache is keyed by it.
	Version = "2.9.30"

	npmPackage   = "amplify-dynamodb-simulator"
	tarball      = npmPackage + "-" + Version + ".tgz"
	integrity    = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
	jarName      = "DynamoDBLocal.jar"
	jarSHA256    = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"
	libDir       = "DynamoDBLocal_lib"
	markerName   = ".verified.json"
	emulatorPath = "package/emulator/"
)

// CacheDirEnv names the environment variable that, when set, replaces
// os.UserCacheDir()/partner-portal as the root of the download cache.
const CacheDirEnv = "PARTNER_PORTAL_CACHE_DIR"

// marker is written next to the extracted files once the tarball has been
// verified; later uses check the files against it instead of re-downloading.
type marker struct {
	Package   string           `json:"package"`
	Integrity string           `json:"integrity"`
	JarSHA256 string           `json:"jar_sha256"`
	Files     map[string]int64 `json:"files"`
}

// cacheRoot returns the directory holding every cached download of the project.
func cacheRoot() (string, error) {
	if dir := os.Getenv(CacheDirEnv); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("ddblocal: no cache directory (set %s): %w", CacheDirEnv, err)
	}
	return filepath.Join(dir, "partner-portal"), nil
}

// install returns the directory holding DynamoDBLocal.jar and
// DynamoDBLocal_lib, fetching and verifying them first if the cache lacks a
// verified copy. A cached copy that fails verification is replaced, with a
// note written to warn (which may be nil). Several processes may call install
// at once: the first fetches under a lock, the others wait and reuse its copy.
func install(ctx context.Context, warn io.Writer) (string, error) {
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	parent := filepath.Join(root, "dynamodb-local")
	dir := filepath.Join(parent, Version)
	if verify(dir) == nil {
		return dir, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("ddblocal: create cache directory: %w", err)
	}
	unlock, err := lockFile(ctx, dir+".lock")
	if err != nil {
		return "", fmt.Errorf("ddblocal: lock cache: %w", err)
	}
	defer unlock()

	err = verify(dir)
	if err == nil {
		return dir, nil // another process fetched it while we waited
	}
	if !errors.Is(err, fs.ErrNotExist) && warn != nil {
		fmt.Fprintf(warn, "ddblocal: cached DynamoDB Local is damaged (%v); fetching it again\n", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("ddblocal: remove damaged cache %s: %w", dir, err)
	}

	tmp, err := os.MkdirTemp(parent, Version+".tmp-")
	if err != nil {
		return "", fmt.Errorf("ddblocal: %w", err)
	}
	defer os.RemoveAll(tmp)
	tgz, err := npmPack(ctx, tmp)
	if err != nil {
		return "", err
	}
	if err := checkIntegrity(tgz, integrity); err != nil {
		return "", err
	}
	staged := filepath.Join(tmp, "emulator")
	if err := extract(tgz, staged); err != nil {
		return "", err
	}
	if err := verify(staged); err != nil {
		return "", fmt.Errorf("ddblocal: freshly extracted DynamoDB Local fails verification: %w", err)
	}
	if err := os.Rename(staged, dir); err != nil {
		return "", fmt.Errorf("ddblocal: %w", err)
	}
	return dir, nil
}

// npmPack downloads the pinned npm package tarball into dir and returns its path.
func npmPack(ctx context.Context, dir string) (string, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm (Node.js) is needed to fetch DynamoDB Local: install Node.js 20+ with npm")
	}
	cmd := exec.CommandContext(ctx, npm, "pack", "--ignore-scripts", npmPackage+"@"+Version)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ddblocal: npm pack %s@%s failed: %w\n%s", npmPackage, Version, err, out.Bytes())
	}
	return filepath.Join(dir, tarball), nil
}

// checkIntegrity reports an error unless the file's sha512 matches the npm
// integrity string want ("sha512-<base64>").
func checkIntegrity(file, want string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("ddblocal: %w", err)
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("ddblocal: read %s: %w", file, err)
	}
	if got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("ddblocal: %s has integrity %s, want %s: refusing to use it", filepath.Base(file), got, want)
	}
	return nil
}

// extract writes the emulator/ files of the npm tarball into dir, followed by
// the marker listing them. Entries outside emulator/ are ignored.
func extract(tgz, dir string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("ddblocal: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("ddblocal: %s: %w", tgz, err)
	}
	m := marker{Package: npmPackage + "@" + Version, Integrity: integrity, JarSHA256: jarSHA256, Files: map[string]int64{}}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("ddblocal: read %s: %w", tgz, err)
		}
		rel, ok := strings.CutPrefix(path.Clean(h.Name), emulatorPath)
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("ddblocal: %s: unsafe path %q", tgz, h.Name)
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), tr); err != nil {
			return err
		}
		m.Files[rel] = h.Size
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("ddblocal: %w", err)
	}
	return writeFile(filepath.Join(dir, markerName), bytes.NewReader(b))
}

func writeFile(name string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("ddblocal: %w", err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("ddblocal: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("ddblocal: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ddblocal: write %s: %w", name, err)
	}
	return nil
}

// verify checks an extracted copy: its marker names the pinned package, every
// listed file has its recorded size, and DynamoDBLocal.jar has the pinned
// sha256. The error wraps fs.ErrNotExist when dir holds no copy at all.
func verify(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil {
		return err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("marker %s: %v", markerName, err)
	}
	if m.Integrity != integrity || m.JarSHA256 != jarSHA256 {
		return fmt.Errorf("marker %s records another package", markerName)
	}
	if _, ok := m.Files[jarName]; !ok {
		return fmt.Errorf("marker %s lists no %s", markerName, jarName)
	}
	for rel, size := range m.Files {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("%s: %v", rel, err) // not wrapped: a missing file means damage
		}
		if fi.Size() != size {
			return fmt.Errorf("%s has %d bytes, want %d", rel, fi.Size(), size)
		}
	}
	f, err := os.Open(filepath.Join(dir, jarName))
	if err != nil {
		return fmt.Errorf("%s: %v", jarName, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %v", jarName, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != jarSHA256 {
		return fmt.Errorf("%s has sha256 %s, want %s", jarName, got, jarSHA256)
	}
	return nil
}
