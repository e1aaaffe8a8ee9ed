package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

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
	hostile.SharedBudget(t, addrs, goods, func(ctx context.Context, a string) error {
		_, err := tr.Client(Config{Addr: a}).GetJSON(ctx, "/api/system/info")
		return err
	}, func(ctx context.Context, a string) error {
		o, err := tr.Client(Config{Addr: a}).GetJSON(ctx, "/api/system/info")
		if err == nil && o.S("ASICModel") == "" {
			err = drivers.ErrBadResponse
		}
		return err
	})
}
