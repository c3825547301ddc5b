//go:build unix && !linux

package ddblocal

import "syscall"

// sysProcAttr puts the JVM in its own process group, so a terminal's Ctrl-C
// reaches only the Go parent, which stops it in order. Outside Linux there is
// no parent-death signal: a parent killed with SIGKILL leaves it running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
