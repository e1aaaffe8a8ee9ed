//go:build unix

package asic

import (
	"syscall"

	"github.com/influxdata/telegraf"
)

// openFiles is the soft open-file limit: what the process can use. The
// plugin only reads it: raising it would change the host program's
// (Telegraf's) limits; asic-execd raises its own in main.
func openFiles() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return rl.Cur
}

// checkOpenFiles warns when the concurrency cannot fit the open-file limit:
// every miner in flight holds a socket or two.
func checkOpenFiles(log telegraf.Logger, concurrency int) {
	n := openFiles()
	if n == 0 || log == nil {
		return
	}
	if uint64(concurrency)*2+64 > n {
		log.Warnf("concurrency %d needs about %d open files, but the limit is %d: raise it (LimitNOFILE=, ulimit -n) or lower concurrency",
			concurrency, concurrency*2+64, n)
	}
}

// scanConcurrency is how many hosts a scan probes at once: many, but within
// the open-file limit (each host in flight holds a socket per port).
func scanConcurrency(ports int) int {
	n := int(openFiles())
	c := 4000
	if n > 0 && (n-256)/ports < c {
		c = (n - 256) / ports
	}
	if c < 16 {
		c = 16
	}
	return c
}
