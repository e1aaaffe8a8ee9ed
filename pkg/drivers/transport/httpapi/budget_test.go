package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Web APIs that announce a 10 GiB body and stream it, read at once under
// one small budget: each is cut by the budget (not by its own 4 MiB limit),
// the budget is never exceeded and is all returned, and good miners read
// alongside all answer.
func TestSharedReplyBudget(t *testing.T) {
	const streams, good = 20, 20
	page, err := os.ReadFile("../../../../testdata/bitaxe/Supra401_v2.4.5/web_system_info.json")
	require.NoError(t, err)
	budget := drivers.NewBudget(1 << 20)
	var addrs []string
	for range streams {
		addrs = append(addrs, hostile.Start(t, hostile.HTTP, hostile.HugeLength).Addr())
	}
	var goods []string
	for range good {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(page) }))
		t.Cleanup(s.Close)
		goods = append(goods, strings.TrimPrefix(s.URL, "http://"))
	}
	tr := NewTransport(Options{})
	defer tr.CloseIdle()
	ctx, cancel := context.WithTimeout(drivers.WithBudget(context.Background(), budget), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	streamErrs := make([]error, streams)
	goodErrs := make([]error, good)
	for i, a := range addrs {
		wg.Go(func() { _, streamErrs[i] = tr.Client(Config{Addr: a}).GetJSON(ctx, "/api/system/info") })
	}
	for i, a := range goods {
		wg.Go(func() {
			o, err := tr.Client(Config{Addr: a}).GetJSON(ctx, "/api/system/info")
			if err == nil && o.S("ASICModel") == "" {
				err = drivers.ErrBadResponse
			}
			goodErrs[i] = err
		})
	}
	wg.Wait()
	for i, err := range streamErrs {
		require.ErrorIs(t, err, drivers.ErrReplyBudget, "stream %d", i)
		require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
		require.ErrorContains(t, err, addrs[i], "the error names the miner")
	}
	for i, err := range goodErrs {
		require.NoError(t, err, "good miner %d", i)
	}
	require.LessOrEqual(t, budget.Peak(), budget.Limit())
	require.Greater(t, budget.Peak(), budget.Limit()/2, "the streams did press on the budget")
	require.Zero(t, budget.Used(), "every share returned")
}
