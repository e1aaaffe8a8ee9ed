package hostile

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// SharedBudget is the transports' reply-budget test: the miners at
// streams (sending without end) and at goods (a normal reply) are read at
// once under one 1 MiB budget, by stream and good. Each stream is cut by
// the budget (not by its own 4 MiB limit, which would let 30 of them hold
// 120 MiB) with an error naming the miner; the budget is never exceeded
// and is all returned; every good miner answers.
func SharedBudget(t *testing.T, streams, goods []string, stream, good func(ctx context.Context, addr string) error) {
	t.Helper()
	budget := drivers.NewBudget(1 << 20)
	ctx, cancel := context.WithTimeout(drivers.WithBudget(context.Background(), budget), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	streamErrs := make([]error, len(streams))
	goodErrs := make([]error, len(goods))
	for i, a := range streams {
		wg.Go(func() { streamErrs[i] = stream(ctx, a) })
	}
	for i, a := range goods {
		wg.Go(func() { goodErrs[i] = good(ctx, a) })
	}
	wg.Wait()
	for i, err := range streamErrs {
		require.ErrorIs(t, err, drivers.ErrReplyBudget, "stream %d", i)
		require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
		require.ErrorContains(t, err, streams[i], "the error names the miner")
	}
	for i, err := range goodErrs {
		require.NoError(t, err, "good miner %d", i)
	}
	require.LessOrEqual(t, budget.Peak(), budget.Limit())
	require.Greater(t, budget.Peak(), budget.Limit()/2, "the streams did press on the budget")
	require.Zero(t, budget.Used(), "every share returned")
}
