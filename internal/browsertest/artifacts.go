package browsertest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ArtifactsDir is the folder, relative to the repository root, that holds
// what browser tests leave for people to look at (never committed).
const ArtifactsDir = ".artifacts"

var root struct {
	once sync.Once
	dir  string
	err  error
}

// repoRoot returns the nearest directory, from the working directory up,
// that holds go.mod: the repository root for a test of any package.
func repoRoot() (string, error) {
	root.once.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			root.err = err
			return
		}
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				root.dir = d
				return
			}
			if filepath.Dir(d) == d {
				root.err = errors.New("no go.mod above " + dir)
				return
			}
		}
	})
	return root.dir, root.err
}

// relToRoot shows a path relative to the repository root when it can.
func relToRoot(p string) string {
	if r, err := repoRoot(); err == nil {
		if rel, err := filepath.Rel(r, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

var cleared struct {
	mu   sync.Mutex
	dirs map[TB]string
}

// testArtifacts returns .artifacts/screenshots/<test name> for tb, removing
// its .png files the first time a test asks, so that it holds only the current run's
// screenshots.
func testArtifacts(tb TB) (string, error) {
	cleared.mu.Lock()
	defer cleared.mu.Unlock()
	if dir, ok := cleared.dirs[tb]; ok {
		return dir, nil
	}
	r, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("screenshots: %w", err)
	}
	var parts []string
	for seg := range strings.SplitSeq(tb.Name(), "/") {
		parts = append(parts, sanitize(seg))
	}
	dir := filepath.Join(append([]string{r, ArtifactsDir, "screenshots"}, parts...)...)
	// Only this test's own pictures go: its subtests have folders inside.
	old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return "", fmt.Errorf("screenshots: %w", err)
		}
	}
	if cleared.dirs == nil {
		cleared.dirs = map[TB]string{}
	}
	cleared.dirs[tb] = dir
	tb.Cleanup(func() {
		cleared.mu.Lock()
		delete(cleared.dirs, tb)
		cleared.mu.Unlock()
	})
	return dir, nil
}
