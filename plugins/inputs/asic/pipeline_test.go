package asic

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
)

// versions counts the "version" requests a fake miner got: what
// identification asks of a cgminer port first (the Antminer driver's own
// joined command does not include it).
func versions(m *fakeminer.Miner) int {
	n := 0
	for _, c := range m.Commands() {
		if c == "version" {
			n++
		}
	}
	return n
}

// awaitBackground waits until every background identification queued so
// far has ended (the scanner has queued all of its own by then).
func awaitBackground(t *testing.T, p *Asic) {
	t.Helper()
	p.pipeMu.Lock()
	var dones []chan struct{}
	for _, pid := range p.pipe.pending {
		dones = append(dones, pid.done)
	}
	p.pipeMu.Unlock()
	for _, d := range dones {
		<-d
	}
}

// until polls cond until it holds; the bound only keeps a broken test from
// hanging.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("never: %s", what)
		}
	}
}

// bySource is a gather's metrics of each miner (asic_discovery has none).
func bySource(acc *testutil.Accumulator) map[string][]telegraf.Metric {
	out := map[string][]telegraf.Metric{}
	for _, m := range acc.GetTelegrafMetrics() {
		if src, ok := m.Tags()["source"]; ok {
			out[src] = append(out[src], m)
		}
	}
	return out
}

// Started as a service, each miner of a range is identified once, by the
// scan in the background; the first gather runs no identification of its
// own, and reads every miner as a gather that identifies them itself
// (library use, no Start) does.
func TestPipelinedIdentificationFirstGather(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.30.1")
	hosts := []string{"127.20.30.2", "127.20.30.5", "127.20.30.6", "127.20.30.11"}
	miners := map[string]*fakeminer.Miner{}
	for _, h := range hosts {
		miners[h] = startMiner(t, h, port)
	}

	p := rangePlugin(t, "127.20.30.1-127.20.30.14", port)
	acc := startScanned(t, p)
	awaitBackground(t, p)
	require.Equal(t, int64(len(hosts)), p.identifications.Load(), "one identification per miner found, none for empty addresses")

	require.NoError(t, p.Gather(acc))
	require.Equal(t, int64(len(hosts)), p.identifications.Load(), "the gather identified nothing itself")
	got := bySource(acc)
	require.Len(t, got, len(hosts))
	for _, h := range hosts {
		require.Equal(t, 1, versions(miners[h]), "%s identified once across scan and gather", h)
		st := got[h]
		require.NotEmpty(t, st, h)
		result, _ := statusOf(t, acc, h)
		require.Equal(t, "success", result, h)
	}
	for _, m := range p.State().Miners {
		require.Equal(t, "antminer", m.Driver, m.Address)
		require.False(t, m.IdentifiedAt.IsZero(), m.Address)
	}
	p.pipeMu.Lock()
	require.Empty(t, p.pipe.pending, "each used once")
	p.pipeMu.Unlock()

	// The same miners read by a plugin that identifies them in its gather.
	lib := rangePlugin(t, "127.20.30.1-127.20.30.14", port)
	lib.Ports = p.Ports
	require.NoError(t, lib.Init())
	var want testutil.Accumulator
	require.NoError(t, lib.Gather(&want))
	require.Equal(t, int64(len(hosts)), lib.identifications.Load())
	wantBy := bySource(&want)
	require.Len(t, wantBy, len(hosts))
	for _, h := range hosts {
		require.Equal(t, signature(wantBy[h]), signature(got[h]), h)
	}

	// The next gather has the drivers: no identification anywhere.
	acc.ClearMetrics()
	require.NoError(t, p.Gather(acc))
	require.Equal(t, int64(len(hosts)), p.identifications.Load())
	for _, h := range hosts {
		require.Equal(t, 2, versions(miners[h]), "%s: the scan's and lib's identification only", h)
	}
}

// A miner whose background identification is still running when the
// gather reaches it is waited for, not identified a second time.
func TestPipelinedIdentificationStillRunningIsWaitedFor(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.31.1")
	host := "127.20.31.3"
	release := make(chan struct{})
	var released, first sync.Once
	let := func() { released.Do(func() { close(release) }) }
	m := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, "../../../testdata/antminer/S19Pro_49.0.1.3"), Multi: true, NUL: true,
		// The first request (identification's version) is answered only
		// once the test lets it.
		Latency: func() time.Duration { first.Do(func() { <-release }); return 0 }}
	require.NoError(t, m.Start(fmt.Sprintf("%s:%d", host, port)))
	t.Cleanup(m.Close)
	t.Cleanup(let) // before Close, should the test fail early

	p := rangePlugin(t, "127.20.31.1-127.20.31.6", port)
	acc := startScanned(t, p)
	p.pipeMu.Lock()
	pid := p.pipe.pending[host]
	p.pipeMu.Unlock()
	require.NotNil(t, pid, "queued by the scan")
	until(t, "identification asks version", func() bool { return versions(m) == 1 })

	gathered := make(chan error, 1)
	go func() { gathered <- p.Gather(acc) }()
	// The gather takes the pending identification off the map when it
	// begins to wait for it; only then is the miner let to answer.
	until(t, "the gather takes it", func() bool {
		p.pipeMu.Lock()
		defer p.pipeMu.Unlock()
		_, queued := p.pipe.pending[host]
		return !queued
	})
	p.pipeMu.Lock()
	require.Equal(t, pendingRunning, pid.state, "taken while running")
	p.pipeMu.Unlock()
	let()
	require.NoError(t, <-gathered)
	result, _ := statusOf(t, acc, host)
	require.Equal(t, "success", result)
	require.Equal(t, int64(1), p.identifications.Load(), "identified once, in the background")
	require.Equal(t, 1, versions(m))
	require.Equal(t, "antminer", p.State().Miners[0].Driver)
}

// Stop cancels the background identifications and waits for them: no
// goroutine of the plugin outlives it. The miners here take an hour to
// answer, so the identifications are still running at Stop.
func TestStopEndsBackgroundIdentifications(t *testing.T) {
	before := runtime.NumGoroutine()
	port := freeLoopbackPort(t, "127.20.32.1")
	var silent []*fakeminer.Miner
	for i := 2; i < 6; i++ {
		m := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, "../../../testdata/antminer/S19Pro_49.0.1.3"),
			Latency: func() time.Duration { return time.Hour }}
		require.NoError(t, m.Start(fmt.Sprintf("127.20.32.%d:%d", i, port)))
		t.Cleanup(m.Close)
		silent = append(silent, m)
	}
	p := rangePlugin(t, "127.20.32.1-127.20.32.6", port)
	p.Timeout = config.Duration(time.Minute) // longer than the test: only Stop ends them
	startScanned(t, p)
	// Every identification has sent its version (and waits for the reply).
	for _, m := range silent {
		until(t, "identification asks version", func() bool { return versions(m) > 0 })
	}
	p.pipeMu.Lock()
	var pids []*pendingID
	for _, pid := range p.pipe.pending {
		pids = append(pids, pid)
	}
	p.pipeMu.Unlock()
	p.Stop()
	require.Len(t, pids, len(silent))
	for _, pid := range pids {
		require.Equal(t, pendingDone, pid.state, "ended, by Stop (or its probe's own timeout)")
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	require.NotContains(t, stacks, "(*Asic).idWorker")
	require.NotContains(t, stacks, "(*Asic).runPending")
	require.NotContains(t, stacks, "identify.IdentifyKnown")
	require.Nil(t, p.pipe)

	for _, m := range silent {
		m.Close()
	}
	// What is left past a short grace (sockets closing) would be a leak.
	end := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(end) {
		time.Sleep(20 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before)
}

// Without Start, with a fixed driver, or for listed miners, nothing is
// identified in the background.
func TestNoBackgroundIdentificationUnlessServiceAuto(t *testing.T) {
	port := freeLoopbackPort(t, "127.20.33.1")
	startMiner(t, "127.20.33.2", port)

	lib := rangePlugin(t, "127.20.33.1-4", port)
	require.NoError(t, lib.Init())
	require.Nil(t, lib.foundFunc(), "library use")

	fixed := rangePlugin(t, "127.20.33.1-4", port)
	fixed.Driver = "antminer"
	fixed.DiscoverInterval = config.Duration(time.Hour)
	require.NoError(t, fixed.Init())
	require.NoError(t, fixed.Start(&testutil.Accumulator{}))
	defer fixed.Stop()
	<-fixed.firstScan
	require.Nil(t, fixed.pipe)
	require.Equal(t, int64(0), fixed.identifications.Load())

	// A listed miner beside the range: found hosts only are queued.
	svc := rangePlugin(t, "127.20.33.1-4", port)
	svc.Miners = append(svc.Miners, fmt.Sprintf("127.20.33.9:%d", port))
	svc.DiscoverInterval = config.Duration(time.Hour)
	require.NoError(t, svc.Init())
	require.NoError(t, svc.Start(&testutil.Accumulator{}))
	defer svc.Stop()
	<-svc.firstScan
	svc.foundFunc()(fmt.Sprintf("127.20.33.9:%d", port), nil) // not a host of the ranges
	svc.pipeMu.Lock()
	var keys []string
	for k := range svc.pipe.pending {
		keys = append(keys, k)
	}
	svc.pipeMu.Unlock()
	require.Equal(t, []string{"127.20.33.2"}, keys)
}

// A background result older than pendingMaxAge, or one of a miner
// forgotten meanwhile, is not used.
func TestPendingAgeAndForget(t *testing.T) {
	p := New()
	p.Miners = []string{"127.20.34.1-4"}
	require.NoError(t, p.Init())
	now := time.Now()
	p.clock = func() time.Time { return now }
	p.pipe = &pipeline{pending: map[string]*pendingID{}}
	done := func(at time.Time) *pendingID {
		pid := &pendingID{state: pendingDone, done: make(chan struct{}), at: at,
			r: identify.Result{Driver: "antminer"}}
		close(pid.done)
		return pid
	}
	p.pipe.pending["127.20.34.1"] = done(now.Add(-pendingMaxAge - time.Second))
	p.pipe.pending["127.20.34.2"] = done(now.Add(-time.Second))
	p.pipe.pending["127.20.34.3"] = done(now)
	p.pipe.pending["127.20.34.4"] = &pendingID{state: pendingQueued, done: make(chan struct{})}

	require.Nil(t, p.takePending("127.20.34.1"), "too old")
	require.NotNil(t, p.takePending("127.20.34.2"))
	require.Nil(t, p.takePending("127.20.34.2"), "used once")
	queued := p.pipe.pending["127.20.34.4"]
	require.Nil(t, p.takePending("127.20.34.4"), "not started: the gather identifies itself")
	require.Equal(t, pendingDropped, queued.state, "and it never runs")

	p.forgetMiner("127.20.34.3")
	require.Empty(t, p.pipe.pending)

	p.pipe.pending["127.20.34.1"] = done(now.Add(-pendingMaxAge - time.Second))
	p.pipe.pending["127.20.34.2"] = done(now)
	p.prunePending(now)
	require.Len(t, p.pipe.pending, 1)
	require.Contains(t, p.pipe.pending, "127.20.34.2")
}

// A gather whose deadline ends while it waits gets the timeout an
// identification of its own would have given.
func TestAwaitPendingDeadline(t *testing.T) {
	pid := &pendingID{state: pendingRunning, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, seen, err := awaitPending(ctx, "127.20.35.1", pid)
	require.ErrorIs(t, err, drivers.ErrTimeout)
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err))
	require.True(t, seen.Incomplete)
	require.True(t, strings.HasPrefix(err.Error(), "identify 127.20.35.1: "))
}

// startScanned starts p as a service (one scan an hour: only the first
// runs) and returns once its first scan is done; the test's end stops it.
func startScanned(t *testing.T, p *Asic) *testutil.Accumulator {
	t.Helper()
	p.DiscoverInterval = config.Duration(time.Hour)
	require.NoError(t, p.Init())
	acc := &testutil.Accumulator{}
	require.NoError(t, p.Start(acc))
	t.Cleanup(p.Stop)
	<-p.firstScan
	return acc
}
