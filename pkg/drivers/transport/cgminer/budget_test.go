package cgminer

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// flatStream serves a reply that never ends and never nests: one endless
// list of numbers (a nested stream is cut by its depth, a long string by
// its length, before any budget matters).
func flatStream(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	chunk := bytes.Repeat([]byte("1,"), 16<<10)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				go func() { <-done; c.Close() }()
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err != nil {
					return
				}
				if _, err := c.Write([]byte(`{"STATUS":[{"STATUS":"S","Msg":[`)); err != nil {
					return
				}
				for {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			})
		}
	})
	return ln.Addr().String()
}

// Many miners streaming without end, read at once under one small budget:
// each is cut by the budget (not by its own 4 MiB limit, which would let 30
// of them hold 120 MiB), the budget is never exceeded and is all returned,
// and good miners read alongside, whose replies fit the floor, all answer.
func TestSharedReplyBudget(t *testing.T) {
	const streams, good = 30, 30
	var addrs []string
	for range streams {
		addrs = append(addrs, flatStream(t))
	}
	reps := fakeminer.MustLoadDir(t, mskDir)
	var goods []string
	for range good {
		m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
		require.NoError(t, m.Start("127.0.0.1:0"))
		t.Cleanup(m.Close)
		goods = append(goods, m.Addr())
	}

	hostile.SharedBudget(t, addrs, goods, func(ctx context.Context, a string) error {
		_, err := (&Client{Addr: a}).Command(ctx, "summary")
		return err
	}, func(ctx context.Context, a string) error {
		b := (&Client{Addr: a}).Multi(ctx, "version", "stats", "pools")
		if err := b.Err(); err != nil {
			return err
		}
		_, err := b.Reply("stats")
		return err
	})
}

// A reply past the floor is read under a budget that has room for it.
func TestBudgetLargeGoodReply(t *testing.T) {
	reps := fakeminer.MustLoadDir(t, "../../../../testdata/whatsminer/M3_cgminer4.9.2_2018")
	require.Greater(t, len(reps["stats"]), 64<<10, "the capture is larger than the floor")
	c := start(t, &fakeminer.Miner{Replies: reps})
	budget := drivers.NewBudget(256 << 10)
	r, err := c.Command(drivers.WithBudget(ctxFor(t, 5*time.Second), budget), "stats")
	require.NoError(t, err)
	require.NotEmpty(t, r.Objs("STATS"))
	require.Greater(t, budget.Peak(), int64(64<<10), "its growth was charged")
	require.Zero(t, budget.Used())

	// The same reply under a budget too small for it is a bad response.
	_, err = c.Command(drivers.WithBudget(ctxFor(t, 5*time.Second), drivers.NewBudget(32<<10)), "stats")
	require.ErrorIs(t, err, drivers.ErrReplyBudget)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
}
