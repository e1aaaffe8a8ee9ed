package hostile

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
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

// InFlight is the transports' deadline test: 24 miners of proto that
// accept and never answer or answer a byte a second, each called by call
// under a 2 s deadline. While they are in flight the client (its stack
// frames mention client) runs at most one goroutine per caller; each call
// ends as a timeout; and nothing of the client is left afterwards.
func InFlight(t *testing.T, proto Proto, client string, call func(ctx context.Context, addr string) error) {
	t.Helper()
	const miners = 24
	var addrs []string
	for i := range miners {
		mode := Silent
		if i%2 == 1 {
			mode = Slowloris
		}
		addrs = append(addrs, Start(t, proto, mode).Addr())
	}
	require.Zero(t, GoroutinesIn(client))
	release := make(chan struct{})
	var started, wg sync.WaitGroup
	errs := make([]error, miners)
	for i, a := range addrs {
		started.Add(1)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			started.Done()
			errs[i] = call(ctx, a)
			<-release
		})
	}
	started.Wait()
	time.Sleep(500 * time.Millisecond) // all connected and waiting
	require.LessOrEqual(t, GoroutinesIn(client), miners, "a goroutine per miner in flight at most")
	close(release)
	wg.Wait()
	for i, err := range errs {
		require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "miner %d: %v", i, err)
	}
	require.Zero(t, GoroutinesIn(client), "nothing left once the calls returned")
}
