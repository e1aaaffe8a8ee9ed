package hostile

import (
	"bytes"
	"runtime"
)

// GoroutinesIn counts the goroutines whose stack mentions fn: the
// transports' deadline tests use it to show that nothing of a client
// outlives its miner's deadline.
func GoroutinesIn(fn string) int {
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte(fn)) {
			n++
		}
	}
	return n
}
