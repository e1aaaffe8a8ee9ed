package cgminer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Miners that accept and never answer, or answer a byte a second: while
// they are in flight the client runs no goroutine of its own beyond each
// caller's (the deadline is the socket's, the cancellation an AfterFunc),
// and when they return nothing of theirs is left.
func TestInFlightGoroutines(t *testing.T) {
	const miners = 24
	var addrs []string
	for i := range miners {
		mode := hostile.Silent
		if i%2 == 1 {
			mode = hostile.Slowloris
		}
		addrs = append(addrs, hostile.Start(t, hostile.CGMiner, mode).Addr())
	}
	const client = "transport/cgminer.(*Client)"
	require.Zero(t, hostile.GoroutinesIn(client))
	release := make(chan struct{})
	var started, wg sync.WaitGroup
	errs := make([]error, miners)
	for i, a := range addrs {
		started.Add(1)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			started.Done()
			b := (&Client{Addr: a}).Multi(ctx, "summary", "pools", "stats")
			errs[i] = b.Err()
			<-release
		})
	}
	started.Wait()
	time.Sleep(500 * time.Millisecond) // all connected and waiting
	require.LessOrEqual(t, hostile.GoroutinesIn(client), miners, "a goroutine per miner in flight at most")
	close(release)
	wg.Wait()
	for i, err := range errs {
		require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "miner %d: %v", i, err)
	}
	require.Zero(t, hostile.GoroutinesIn(client), "nothing left once the calls returned")
}
