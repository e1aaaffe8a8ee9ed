package asic

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/persister"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

func discoveryPoints(acc *testutil.Accumulator) []telegraf.Metric {
	var out []telegraf.Metric
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() == "asic_discovery" {
			out = append(out, m)
		}
	}
	return out
}

// statusBySource is each source's asic_status points of one gather.
func statusBySource(acc *testutil.Accumulator) map[string][]telegraf.Metric {
	out := map[string][]telegraf.Metric{}
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() == "asic_status" {
			out[m.Tags()["source"]] = append(out[m.Tags()["source"]], m)
		}
	}
	return out
}

// startMiner serves a real S19 Pro capture at addr:port.
func startMiner(t *testing.T, addr string, port int) *fakeminer.Miner {
	t.Helper()
	m := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, filepath.Join("../../../testdata", "antminer/S19Pro_49.0.1.3")), Multi: true, NUL: true}
	require.NoError(t, m.Start(net.JoinHostPort(addr, strconv.Itoa(port))))
	t.Cleanup(m.Close)
	return m
}

// freeLoopbackPort is a port nothing listens on at addr now.
func freeLoopbackPort(t *testing.T, addr string) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	require.NoError(t, err)
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

// rangePlugin is a block over a range with every other API port closed.
func rangePlugin(t *testing.T, miners string, rpcPort int) *Asic {
	t.Helper()
	p := New()
	p.Miners = []string{miners}
	p.Ports.RPC = rpcPort
	p.Ports.Web = freeLoopbackPort(t, "127.0.0.1")
	p.Ports.GRPC = freeLoopbackPort(t, "127.0.0.1")
	p.Timeout = config.Duration(8 * time.Second) // live miners answer in ms; a loaded box needs slack
	p.Log = testutil.Logger{Quiet: true}
	return p
}

// A miner of a range that stops answering keeps exactly one asic_status,
// up=false, on every gather, the scan counts it lost, and after
// forget_after it is forgotten: no point any more, and the scan counts it.
func TestRangeMinerThatStopsKeepsStatusUntilForgotten(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.10.1")
	a := startMiner(t, "127.20.10.2", port)
	startMiner(t, "127.20.10.5", port)

	p := rangePlugin(t, "127.20.10.1-127.20.10.8", port)
	p.ForgetAfter = config.Duration(time.Hour)
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	st := statusBySource(&acc)
	require.Len(t, st, 2)
	require.Equal(t, true, st["127.20.10.2"][0].Fields()["up"])
	d := discoveryPoints(&acc)
	require.Len(t, d, 1)
	require.Equal(t, map[string]any{"addresses": int64(8), "found": int64(2), "new": int64(2), "lost": int64(0),
		"forgotten": int64(0), "retried": int64(0), "duration_seconds": d[0].Fields()["duration_seconds"]}, d[0].Fields())

	a.Close() // the miner dies: its address refuses from now on
	for range 3 {
		acc.ClearMetrics()
		require.NoError(t, p.Gather(&acc))
		st := statusBySource(&acc)
		require.Len(t, st, 2, "the dead miner keeps its point")
		require.Len(t, st["127.20.10.2"], 1, "exactly one asic_status per gather")
		require.Equal(t, false, st["127.20.10.2"][0].Fields()["up"])
		require.Equal(t, "connection_refused", st["127.20.10.2"][0].Tags()["result"])
		require.Equal(t, true, st["127.20.10.5"][0].Fields()["up"])
	}

	// A rescan does not find it: lost, still in the inventory.
	acc.ClearMetrics()
	p.scan(context.Background(), &acc)
	d = discoveryPoints(&acc)
	require.Len(t, d, 1)
	require.Equal(t, int64(1), d[0].Fields()["found"])
	require.Equal(t, int64(0), d[0].Fields()["new"])
	require.Equal(t, int64(1), d[0].Fields()["lost"])
	require.Equal(t, int64(0), d[0].Fields()["forgotten"])

	// Past forget_after (its last answer moved back two hours).
	p.inv.mu.Lock()
	p.inv.m["127.20.10.2"].lastAnswer = time.Now().Add(-2 * time.Hour)
	p.inv.mu.Unlock()
	acc.ClearMetrics()
	require.NoError(t, p.Gather(&acc))
	st = statusBySource(&acc)
	require.Len(t, st, 1)
	require.Contains(t, st, "127.20.10.5")
	acc.ClearMetrics()
	p.scan(context.Background(), &acc)
	d = discoveryPoints(&acc)
	require.Equal(t, int64(1), d[0].Fields()["forgotten"], "counted in the next asic_discovery")
	require.Equal(t, int64(0), d[0].Fields()["lost"])
}

// With a short forget_after the same happens on its own, in real time.
func TestShortForgetAfter(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.11.1")
	a := startMiner(t, "127.20.11.3", port)
	p := rangePlugin(t, "127.20.11.1-4", port)
	// Long enough that a loaded machine gets from one gather to the next
	// within it; short enough for a test.
	p.ForgetAfter = config.Duration(2 * time.Second)
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	require.Len(t, statusBySource(&acc), 1)
	a.Close()
	acc.ClearMetrics()
	require.NoError(t, p.Gather(&acc))
	st := statusBySource(&acc)
	require.Len(t, st["127.20.11.3"], 1)
	require.Equal(t, false, st["127.20.11.3"][0].Fields()["up"])
	time.Sleep(2100 * time.Millisecond)
	acc.ClearMetrics()
	require.NoError(t, p.Gather(&acc))
	require.Empty(t, statusBySource(&acc), "forgotten after forget_after")
	require.Empty(t, p.State().Miners)
}

// The inventory round-trips through the state: a restarted plugin polls
// the dead miner (up=false) from its first gather, before any scan could
// find it, and keeps its identification. Addresses of another config are
// dropped.
func TestStateRestoresInventory(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.12.1")
	a := startMiner(t, "127.20.12.2", port)
	p := rangePlugin(t, "127.20.12.1-4", port)
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	state := p.GetState()
	raw, err := json.Marshal(state)
	require.NoError(t, err)
	var s State
	require.NoError(t, json.Unmarshal(raw, &s))
	require.Len(t, s.Miners, 1)
	require.Equal(t, "127.20.12.2", s.Miners[0].Address)
	require.Equal(t, "antminer", s.Miners[0].Driver)
	require.WithinDuration(t, time.Now(), s.Miners[0].LastAnswer, time.Minute)

	a.Close()
	s.Miners = append(s.Miners, MinerState{Address: "127.20.99.9", LastAnswer: time.Now()})
	q := rangePlugin(t, "127.20.12.1-4", port)
	q.Ports = p.Ports
	require.NoError(t, q.Init())
	dropped, err := q.Restore(s)
	require.NoError(t, err)
	require.Equal(t, []string{"127.20.99.9"}, dropped)
	// Polled before any scan: the first gather of a started plugin waits
	// for the scan, so gather without one here.
	q.lastScan = time.Now()
	acc.ClearMetrics()
	require.NoError(t, q.Gather(&acc))
	st := statusBySource(&acc)
	require.Len(t, st, 1)
	require.Equal(t, false, st["127.20.12.2"][0].Fields()["up"])
	require.Equal(t, "connection_refused", st["127.20.12.2"][0].Tags()["result"])

	// Another version of the state is refused whole; inside Telegraf that
	// is a warning, not a failed start.
	_, err = q.Restore(State{Version: 99, Miners: []MinerState{{Address: "127.20.12.3", LastAnswer: time.Now()}}})
	require.ErrorIs(t, err, errStateVersion)
	require.NoError(t, q.SetState(State{Version: 99, Miners: []MinerState{{Address: "127.20.12.3", LastAnswer: time.Now()}}}))
	require.NoError(t, q.SetState("not a state"))
	require.Len(t, q.State().Miners, 1, "nothing loaded from either")
}

// Three agents with shard_index 0, 1, 2 over one range and a listed miner
// gather every miner exactly once between them.
func TestThreeShardsCoverRangeExactlyOnce(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.13.1")
	var want []string
	for i := 1; i <= 30; i++ {
		addr := fmt.Sprintf("127.20.13.%d", i)
		startMiner(t, addr, port)
		want = append(want, addr)
	}
	listed := startMiner(t, "127.20.14.1", port)
	want = append(want, listed.Addr())
	seen := map[string]int{}
	perShard := make([]int, 3)
	for idx := range 3 {
		p := rangePlugin(t, "127.20.13.1-127.20.13.40", port)
		p.Miners = append(p.Miners, listed.Addr())
		p.ShardCount, p.ShardIndex = 3, idx
		require.NoError(t, p.Init())
		var acc testutil.Accumulator
		require.NoError(t, p.Start(&acc))
		require.NoError(t, p.Gather(&acc))
		p.Stop()
		for src, pts := range statusBySource(&acc) {
			require.Len(t, pts, 1)
			require.Equal(t, true, pts[0].Fields()["up"], src)
			seen[src]++
			perShard[idx]++
		}
		d := discoveryPoints(&acc)
		require.Len(t, d, 1)
		require.Less(t, d[0].Fields()["addresses"], int64(40), "a shard probes only its share")
	}
	got := make([]string, 0, len(seen))
	for src, n := range seen {
		require.Equal(t, 1, n, "miner %s gathered by %d shards", src, n)
		got = append(got, src)
	}
	sort.Strings(got)
	sort.Strings(want)
	require.Equal(t, want, got)
	for i, n := range perShard {
		require.Positive(t, n, "shard %d got no miner", i)
	}
}

func TestInventoryConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Asic)
		want string
	}{
		{func(p *Asic) { p.ForgetAfter = 0 }, `"forget_after"`},
		{func(p *Asic) { p.ForgetAfter = config.Duration(-time.Hour) }, `"forget_after"`},
		{func(p *Asic) { p.DiscoverInterval = 0 }, `"discover_interval"`},
		{func(p *Asic) { p.DiscoverInterval = config.Duration(-time.Second) }, `"discover_interval"`},
		{func(p *Asic) { p.ShardCount = 0 }, `"shard_count"`},
		{func(p *Asic) { p.ShardCount, p.ShardIndex = 3, 3 }, `"shard_index"`},
		{func(p *Asic) { p.ShardCount, p.ShardIndex = 3, -1 }, `"shard_index"`},
	} {
		p := New()
		p.Miners = []string{"127.20.15.0/24"}
		tc.set(p)
		err := p.Init()
		require.Error(t, err)
		require.Contains(t, err.Error(), tc.want)
	}
}

// Started as a service, the first gather waits for the first scan, and
// Stop ends the scanner.
func TestServiceFirstGatherWaitsForScan(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.16.1")
	startMiner(t, "127.20.16.7", port)
	p := rangePlugin(t, "127.20.16.0/24", port)
	p.DiscoverInterval = config.Duration(time.Hour)
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Start(&acc))
	defer p.Stop()
	require.NoError(t, p.Gather(&acc))
	require.Len(t, statusBySource(&acc), 1)
	require.Len(t, discoveryPoints(&acc), 1)
	p.Stop()
	p.Stop() // twice is harmless
}

var _ telegraf.ServiceInput = (*Asic)(nil)
var _ telegraf.StatefulPlugin = (*Asic)(nil)

// forgetRecorder is a driver that keeps per-miner state: it wraps the
// real one and records what the plugin tells it to forget.
type forgetRecorder struct {
	drivers.Driver
	mu     sync.Mutex
	forgot []string
}

func (f *forgetRecorder) Forget(host string) {
	f.mu.Lock()
	f.forgot = append(f.forgot, host)
	f.mu.Unlock()
}

// A forgotten miner's per-miner state is dropped from its driver too.
func TestForgottenMinerIsForgottenByDrivers(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.17.1")
	a := startMiner(t, "127.20.17.2", port)
	p := rangePlugin(t, "127.20.17.1-3", port)
	p.Driver = "antminer"
	p.ForgetAfter = config.Duration(200 * time.Millisecond)
	require.NoError(t, p.Init())
	rec := &forgetRecorder{Driver: p.fixed}
	p.fixed = rec
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	a.Close()
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, p.Gather(&acc))
	require.Equal(t, []string{"127.20.17.2"}, rec.forgot)
}

// Through Telegraf's own persister (the agent's statefile): stored at
// shutdown, loaded into a fresh plugin at start.
func TestStateThroughTelegrafPersister(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.18.1")
	a := startMiner(t, "127.20.18.3", port)
	p := rangePlugin(t, "127.20.18.1-4", port)
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	a.Close()

	file := filepath.Join(t.TempDir(), "telegraf.state")
	store := &persister.Persister{Filename: file}
	require.NoError(t, store.Init())
	require.NoError(t, store.Register("inputs.asic::farm", p))
	require.NoError(t, store.Store())

	q := rangePlugin(t, "127.20.18.1-4", port)
	q.Ports = p.Ports
	require.NoError(t, q.Init())
	load := &persister.Persister{Filename: file}
	require.NoError(t, load.Init())
	require.NoError(t, load.Register("inputs.asic::farm", q))
	require.NoError(t, load.Load())
	got := q.State().Miners
	require.Len(t, got, 1)
	require.Equal(t, "127.20.18.3", got[0].Address)
	require.Equal(t, "antminer", got[0].Driver)
}
