package main

import "syscall"

// childAttr makes a server die with the bench: if the bench is killed, the
// kernel sends SIGKILL to its children.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
