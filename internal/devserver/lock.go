package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes the state directory for this process: one local stack per
// directory. The lock is the operating system's (flock), so it goes away
// with the process however it ends. ErrRunning (wrapped, naming the API
// of the stack that holds it) when another process has it.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "run.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		var creds Credentials
		where := ""
		if readJSON(filepath.Join(dir, "credentials.json"), &creds) && creds.APIURL != "" {
			where = " (its API: " + creds.APIURL + ")"
		}
		return nil, fmt.Errorf("%w with the state in %s%s: stop it first, or give this one another -dir", ErrRunning, dir, where)
	}
	return f, nil
}

// ErrRunning is returned by Start when another local stack runs on the
// same state directory.
var ErrRunning = errors.New("a local stack is already running")
