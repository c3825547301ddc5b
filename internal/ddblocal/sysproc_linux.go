package ddblocal

import "syscall"

// sysProcAttr puts the JVM in its own process group, so a terminal's Ctrl-C
// reaches only the Go parent (which stops it in order), and has the kernel
// kill it when the parent dies, so no DynamoDB Local outlives a crashed or
// killed test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
