package cgminer

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Real replies: Hammer D10 / MSKMiner S19 pools and version (pyasic captures,
// see testdata/PYASIC-CAPTURES.md).
const mskDir = "../../../../testdata/antminer/S19NoPIC_mskminer_2.6.0.39"

func start(t *testing.T, m *fakeminer.Miner) *Client {
	t.Helper()
	if m.Replies == nil {
		reps, err := fakeminer.LoadDir(mskDir)
		require.NoError(t, err)
		m.Replies = reps
	}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return &Client{Addr: m.Addr()}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestCommandAndPools(t *testing.T) {
	c := start(t, &fakeminer.Miner{NUL: true})
	r, err := c.Command(ctxFor(t, 5*time.Second), "pools")
	require.NoError(t, err)
	pools := Pools(r)
	require.Len(t, pools, 3)
	p := pools[1]
	require.Equal(t, 1, p.Index)
	require.Equal(t, "stratum+tcp", p.URL.Scheme)
	require.Equal(t, "stratum.pool.io", p.URL.Host)
	require.Equal(t, 3333, p.URL.Port)
	require.Equal(t, "pool_username.real_worker", p.User)
	require.Equal(t, int64(10000), *p.Accepted)
	require.Equal(t, int64(100), *p.Rejected)
	require.Equal(t, int64(0), *p.Stale)
	require.Equal(t, int64(3), *p.GetFailures)
	require.Equal(t, int64(0), *p.RemoteFailures)
	require.True(t, *p.Active)
	require.True(t, *p.Alive)
}

func TestMultiJoined(t *testing.T) {
	m := &fakeminer.Miner{Multi: true, NUL: true}
	c := start(t, m)
	b := c.Multi(ctxFor(t, 5*time.Second), "version", "stats", "pools", "devs")
	require.NoError(t, b.Err())
	v, err := b.Reply("version")
	require.NoError(t, err)
	require.Equal(t, "3.1", v.Objs("VERSION")[0].S("API"))
	_, err = b.Reply("stats")
	require.NoError(t, err)
	// devs is not in the capture: the fake answers "Invalid command" for it.
	_, err = b.Reply("devs")
	var apiErr *drivers.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "Invalid command", apiErr.Msg)
	require.Equal(t, []string{"version+stats+pools+devs"}, m.Commands(), "one connection for all")
}

func TestMultiFallsBackToSingle(t *testing.T) {
	m := &fakeminer.Miner{Multi: false}
	c := start(t, m)
	b := c.Multi(ctxFor(t, 5*time.Second), "version", "pools")
	require.NoError(t, b.Err())
	p, err := b.Reply("pools")
	require.NoError(t, err)
	require.Len(t, Pools(p), 3)
	require.Equal(t, []string{"version+pools", "version", "pools"}, m.Commands())
}

func TestStatusError(t *testing.T) {
	c := start(t, &fakeminer.Miner{Replies: map[string][]byte{
		"summary": []byte(`{"STATUS":"E","When":1700000000,"Code":14,"Msg":"invalid cmd","Description":""}`),
	}})
	_, err := c.Command(ctxFor(t, 5*time.Second), "summary")
	var apiErr *drivers.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, int64(14), apiErr.Code)
	require.Equal(t, "invalid cmd", apiErr.Msg)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
}

func TestBadMiners(t *testing.T) {
	const deadline = 1500 * time.Millisecond
	tests := []struct {
		mode   fakeminer.Mode
		result string
	}{
		{fakeminer.Silent, drivers.ResultTimeout},
		{fakeminer.Slow, drivers.ResultTimeout},
		{fakeminer.Garbage, drivers.ResultBadResponse},
		{fakeminer.Half, drivers.ResultBadResponse},
		{fakeminer.Stream, drivers.ResultBadResponse},
		{fakeminer.HTML, drivers.ResultBadResponse},
		{fakeminer.Reset, drivers.ResultBadResponse},
	}
	for _, tt := range tests {
		t.Run(modeName(tt.mode), func(t *testing.T) {
			c := start(t, &fakeminer.Miner{Mode: tt.mode})
			c.MaxReply = 256 << 10
			goroutines := runtime.NumGoroutine()
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			began := time.Now()
			_, err := c.Command(ctxFor(t, deadline), "pools")
			require.Error(t, err)
			require.Equal(t, tt.result, drivers.Result(err), "error: %v", err)
			require.Contains(t, err.Error(), c.Addr, "the error names the miner")
			// Generous bound: the point is that nothing waits past the deadline.
			require.Less(t, time.Since(began), deadline+3*time.Second)
			// Nothing the miner sent is kept, and the client leaves no
			// goroutine behind (the fake miner's own are counted apart: it
			// is still serving).
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(8<<20), "heap growth")
			require.LessOrEqual(t, runtime.NumGoroutine(), goroutines+2, "goroutines left behind")
		})
	}
}

func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	c := &Client{Addr: addr}
	_, err = c.Command(ctxFor(t, 2*time.Second), "summary")
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "error: %v", err)
	require.True(t, errors.Is(err, drivers.ErrRefused))
}

func modeName(m fakeminer.Mode) string {
	return [...]string{"normal", "silent", "garbage", "half", "stream", "html", "reset", "slow"}[m]
}

func FuzzParseReply(f *testing.F) {
	reps, err := fakeminer.LoadDir(mskDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range reps {
		f.Add(r)
	}
	f.Add([]byte(`{"STATUS":"E","Code":14,"Msg":"invalid cmd"}`))
	f.Add([]byte(`{"summary":[{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{}]}],"id":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b := BatchFromRaw("fuzz", map[string][]byte{"pools": raw})
		if r, err := b.Reply("pools"); err == nil {
			_ = Pools(r)
		}
		if obj, err := Parse("fuzz", raw); err == nil {
			m := &Batch{}
			_ = splitMulti(m, obj, []string{"summary", "pools"})
		}
	})
}

// The request without a map is the bytes encoding/json would send.
func TestRequestMarshal(t *testing.T) {
	for _, r := range []Request{
		{Command: "version+summary+stats+pools"},
		{Command: "ascset", Parameter: "0,led,1-1"},
		{Command: `we"ird\` + "\n<&>é"},
		{Command: "stats", Extra: map[string]any{"new_api": true}},
	} {
		m := map[string]any{"command": r.Command}
		if r.Parameter != "" {
			m["parameter"] = r.Parameter
		}
		for k, v := range r.Extra {
			m[k] = v
		}
		want, err := json.Marshal(m)
		require.NoError(t, err)
		require.Equal(t, string(want), string(r.marshal()))
	}
}
