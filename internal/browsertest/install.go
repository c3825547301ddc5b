package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/partnerportal/portal/internal/npmcache"
)

// ExecPath is where Debian's chromium package installs the browser, the one
// the kit drives unless ExecPathEnv names another.
const ExecPath = "/usr/bin/chromium"

// ExecPathEnv names an environment variable that, when set, points the kit at
// another Chromium or Chrome binary (for a machine without Debian's package,
// such as a Mac); the kit then installs nothing and fails if it is missing.
const ExecPathEnv = "PARTNER_PORTAL_CHROMIUM"

// installHint says what to install by hand when the kit cannot.
const installHint = "install Debian's Chromium as root: `apt-get update && apt-get install -y --no-install-recommends chromium` " +
	"(elsewhere, set " + ExecPathEnv + " to a Chromium or Chrome binary)"

var chromium struct {
	mu   sync.Mutex
	path string
}

// ensureChromium returns the browser binary to run, installing Debian's
// chromium package first if it is missing; the first success holds for the
// process. logf reports a completed install.
func ensureChromium(ctx context.Context, logf func(string, ...any)) (string, error) {
	chromium.mu.Lock()
	defer chromium.mu.Unlock()
	if chromium.path != "" {
		return chromium.path, nil
	}
	p, err := findChromium(ctx, os.Getenv(ExecPathEnv), ExecPath, logf)
	if err == nil {
		chromium.path = p
	}
	return p, err
}

// findChromium returns override if set (it must exist), else debian, which
// it installs with apt-get if it is missing. Installing needs root, or sudo
// without a password; concurrent installs from parallel test binaries are
// serialised with a file lock.
func findChromium(ctx context.Context, override, debian string, logf func(string, ...any)) (string, error) {
	if override != "" {
		if !isExecutable(override) {
			return "", fmt.Errorf("browsertest: %s=%s is not an executable file", ExecPathEnv, override)
		}
		return override, nil
	}
	if isExecutable(debian) {
		return debian, nil
	}
	start := time.Now()
	if err := installChromium(ctx, debian); err != nil {
		return "", fmt.Errorf("browsertest: Chromium is missing (%s) and could not be installed: %w\n%s", debian, err, installHint)
	}
	if !isExecutable(debian) {
		return "", fmt.Errorf("browsertest: apt-get installed chromium but %s is still missing\n%s", debian, installHint)
	}
	logf("browsertest: installed Debian's chromium package in %s", time.Since(start).Round(100*time.Millisecond))
	return debian, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// installChromium runs `apt-get install -y --no-install-recommends chromium`
// under a machine-wide lock, with `apt-get update` first when apt knows no
// installable version, or after an install that failed on stale lists.
func installChromium(ctx context.Context, binary string) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("apt-get is not available")
	}
	var sudo []string
	if os.Geteuid() != 0 {
		s, err := exec.LookPath("sudo")
		if err != nil {
			return errors.New("not root, and sudo is not available")
		}
		sudo = []string{s, "-n"}
	}
	unlock, err := npmcache.Lock(ctx, filepath.Join(os.TempDir(), "partner-portal-chromium-install.lock"))
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer unlock()
	if isExecutable(binary) {
		return nil // another test binary installed it while we waited
	}

	updated := false
	if !aptHasCandidate(ctx, "chromium") {
		if err := apt(ctx, sudo, "update"); err != nil {
			return err
		}
		updated = true
	}
	install := []string{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "chromium"}
	err = apt(ctx, sudo, install...)
	if err != nil && !updated {
		// The package lists may name a version the mirror no longer has.
		if uerr := apt(ctx, sudo, "update"); uerr != nil {
			return errors.Join(err, uerr)
		}
		err = apt(ctx, sudo, install...)
	}
	return err
}

// aptHasCandidate reports whether apt's package lists offer a version of pkg.
func aptHasCandidate(ctx context.Context, pkg string) bool {
	out, err := exec.CommandContext(ctx, "apt-cache", "policy", pkg).Output()
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok {
			return strings.TrimSpace(v) != "(none)"
		}
	}
	return false
}

// apt runs apt-get with args (through sudo when not root), non-interactively.
func apt(ctx context.Context, sudo []string, args ...string) error {
	argv := append([]string{}, sudo...)
	if len(sudo) > 0 {
		argv = append(argv, "env", "DEBIAN_FRONTEND=noninteractive")
	}
	argv = append(argv, "apt-get")
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("`%s` failed: %w\n%s", strings.Join(argv, " "), err, tail(out.String(), 20))
	}
	return nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
