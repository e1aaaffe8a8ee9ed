package asic

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
)

// fleetCaptures are real capture folders of several families, each a whole
// miner that "auto" identifies.
var fleetCaptures = []string{
	"antminer/S19Pro_49.0.1.3", "antminer/S9_30.0.1.3_20190731", "antminer/L3Plus_1.0.1.3_20170825",
	"avalon/1566_fw24102401", "luxos/S19kPro_2025.4.8.220305", "vnish/S21Pro_1.2.7",
	"hiveon/S9_Hiveon_30.0.1.3_rwglr_20191120", "braiins/S9_bosminer-plus-0.2.0-36c56a9363",
}

var hostileModes = []fakeminer.Mode{
	fakeminer.Silent, fakeminer.Slow, fakeminer.Garbage, fakeminer.Half, fakeminer.Stream, fakeminer.HTML, fakeminer.Reset,
}

// gatherOnce runs one gather of miners and returns its metrics by source.
func gatherOnce(t *testing.T, miners []string, timeout time.Duration) map[string][]telegraf.Metric {
	t.Helper()
	p := New()
	p.Miners = miners
	p.Timeout = config.Duration(timeout)
	// The other APIs' ports are closed on purpose: what listens on this
	// machine's port 80 or 50051 must not decide the test.
	closed := closedPort(t)
	p.Ports.Web, p.Ports.GRPC = closed, closed
	p.Log = testutil.Logger{Quiet: true}
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	out := map[string][]telegraf.Metric{}
	for _, m := range acc.GetTelegrafMetrics() {
		src := m.Tags()["source"]
		out[src] = append(out[src], m)
	}
	return out
}

// signature is a miner's metrics without what legitimately differs between
// two gathers of the same reply: the source, the time, the response time.
func signature(ms []telegraf.Metric) []string {
	var out []string
	for _, m := range ms {
		var b strings.Builder
		b.WriteString(m.Name())
		tags := m.TagList()
		for _, tg := range tags {
			if tg.Key != "source" {
				fmt.Fprintf(&b, ",%s=%s", tg.Key, tg.Value)
			}
		}
		fields := m.FieldList()
		sort.Slice(fields, func(i, j int) bool { return fields[i].Key < fields[j].Key })
		for _, f := range fields {
			if f.Key != "response_time_seconds" {
				fmt.Fprintf(&b, " %s=%v", f.Key, f.Value)
			}
		}
		out = append(out, b.String())
	}
	sort.Strings(out)
	return out
}

// 1,000 loopback miners, 10% hostile in every mode: every good miner's data
// arrives complete and identical to what the same miner gives alone.
func TestFleetWithHostileMiners(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 listeners")
	}
	// Reference: each capture gathered alone.
	want := map[string][]string{}
	for _, c := range fleetCaptures {
		m := startCapture(t, filepath.Join("../../../testdata", c), fakeminer.Normal)
		got := gatherOnce(t, []string{m.Addr()}, 5*time.Second)[m.Addr()]
		sig := signature(got)
		require.Contains(t, strings.Join(sig, "\n"), "asic_status,", c)
		require.Contains(t, strings.Join(sig, "\n"), "result=success", c)
		want[c] = sig
	}

	var miners []string
	good := map[string]string{} // address -> capture
	hostile := map[string]fakeminer.Mode{}
	for i := 0; i < 1000; i++ {
		if i%10 == 9 {
			mode := hostileModes[(i/10)%len(hostileModes)]
			m := startCapture(t, filepath.Join("../../../testdata", fleetCaptures[0]), mode)
			miners = append(miners, m.Addr())
			hostile[m.Addr()] = mode
			continue
		}
		c := fleetCaptures[i%len(fleetCaptures)]
		m := startCapture(t, filepath.Join("../../../testdata", c), fakeminer.Normal)
		miners = append(miners, m.Addr())
		good[m.Addr()] = c
	}
	// A deadline the good miners meet even on a loaded CI machine under
	// the race detector; the hostile ones use all of it.
	got := gatherOnce(t, miners, 8*time.Second)

	for addr, c := range good {
		require.Equal(t, want[c], signature(got[addr]), "good miner %s (%s) lost or changed data", addr, c)
	}
	for addr, mode := range hostile {
		ms := got[addr]
		require.Len(t, ms, 1, "hostile miner %s (mode %d): asic_status only", addr, mode)
		require.Equal(t, "asic_status", ms[0].Name())
		require.NotEqual(t, "success", ms[0].Tags()["result"])
	}
}
