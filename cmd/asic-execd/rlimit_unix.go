//go:build unix

package main

import "syscall"

// raiseOpenFiles lifts the soft open-file limit to the hard one: every
// miner in flight holds a socket or two. Go's runtime does the same at
// start on most systems; this covers the rest. It is done here, in the
// program that owns the process, never in the plugin, which would change
// the limits of the Telegraf it runs in. Failure is not fatal: the plugin
// warns when concurrency does not fit the limit it finds.
func raiseOpenFiles() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil || rl.Cur >= rl.Max {
		return
	}
	rl.Cur = rl.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
}
