package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// waitGoroutines polls until no goroutine mentions fn or limit passes, and
// returns how many are left.
func waitGoroutines(fn string, limit time.Duration) int {
	end := time.Now().Add(limit)
	for hostile.GoroutinesIn(fn) > 0 && time.Now().Before(end) {
		time.Sleep(20 * time.Millisecond)
	}
	return hostile.GoroutinesIn(fn)
}

const connLoop = "net/http.(*persistConn).readLoop"

// A gather's keep-alive connections serve its own requests and end with
// its deadline: they do not idle on in the pool (5 s by default) holding a
// socket and two goroutines per miner.
func TestConnectionsEndWithTheDeadline(t *testing.T) {
	const miners = 20
	page := []byte(`{"STATUS":{"STATUS":"S"},"INFO":{"type":"Antminer S19"}}`)
	var addrs []string
	for range miners {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(page) }))
		t.Cleanup(s.Close)
		addrs = append(addrs, strings.TrimPrefix(s.URL, "http://"))
	}
	tr := NewTransport(Options{IdleTimeout: time.Minute})
	t.Cleanup(tr.CloseIdle)
	require.Zero(t, waitGoroutines(connLoop, 2*time.Second), "no connection before the gather")

	const deadline = 2 * time.Second
	var wg sync.WaitGroup
	errs := make([]error, miners)
	for i, a := range addrs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			r := tr.Client(Config{Addr: a}).GetAll(ctx, []string{"a", "b", "c"}, func(n string) string { return "/" + n })
			errs[i] = r.Err()
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "miner %d", i)
	}
	require.LessOrEqual(t, hostile.GoroutinesIn(connLoop), miners, "one connection per miner, reused for its pages")
	require.Zero(t, waitGoroutines(connLoop, deadline+3*time.Second),
		"connections outlived their miners' deadline (idle timeout is a minute)")
}

// Miners that never answer: when the calls return at their deadline, no
// connection or goroutine of theirs is left.
func TestSilentMinersLeaveNothing(t *testing.T) {
	const miners = 20
	var addrs []string
	for range miners {
		addrs = append(addrs, hostile.Start(t, hostile.HTTP, hostile.Silent).Addr())
	}
	tr := NewTransport(Options{})
	t.Cleanup(tr.CloseIdle)
	var wg sync.WaitGroup
	errs := make([]error, miners)
	for i, a := range addrs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, errs[i] = tr.Client(Config{Addr: a}).GetJSON(ctx, "/")
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "miner %d: %v", i, err)
	}
	require.Zero(t, waitGoroutines(connLoop, 2*time.Second), "connections left behind")
}
