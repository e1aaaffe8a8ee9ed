package btminerv3

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Miners announcing a frame just under the 4 MiB limit and streaming it,
// read at once under one small budget: each is cut by the budget, which is
// never exceeded and is all returned; a good miner alongside answers.
func TestSharedReplyBudget(t *testing.T) {
	const streams = 20
	budget := drivers.NewBudget(1 << 20)
	var addrs []string
	for range streams {
		addrs = append(addrs, hostile.Start(t, hostile.V3, hostile.Stream).Addr())
	}
	good := hostile.Start(t, hostile.V3, hostile.HugeNumber) // a valid, small reply
	ctx, cancel := context.WithTimeout(drivers.WithBudget(context.Background(), budget), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, streams)
	for i, a := range addrs {
		wg.Go(func() { _, errs[i] = (&Client{Addr: a}).Call(ctx, "get.device.info", nil) })
	}
	var goodErr error
	wg.Go(func() { _, goodErr = (&Client{Addr: good.Addr()}).Call(ctx, "get.device.info", nil) })
	wg.Wait()
	for i, err := range errs {
		require.ErrorIs(t, err, drivers.ErrReplyBudget, "stream %d", i)
		require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
		require.ErrorContains(t, err, addrs[i], "the error names the miner")
	}
	require.NoError(t, goodErr)
	require.LessOrEqual(t, budget.Peak(), budget.Limit())
	require.Greater(t, budget.Peak(), budget.Limit()/2, "the streams did press on the budget")
	require.Zero(t, budget.Used(), "every share returned")
}
