package asic

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
)

// A simulated /22 with mixed firmwares at scattered addresses and the rest
// empty: discovery finds every miner and nothing else, identification names
// each one's make, and only found miners get asic_status.
func TestDiscoverySimulated22(t *testing.T) {
	const rpcPort = 24528
	makes := map[string]string{
		"antminer": "Antminer", "avalon": "AvalonMiner", "luxos": "Antminer", "vnish": "Antminer",
		"hiveon": "Antminer", "braiins": "Antminer",
	}
	firmware := map[string]string{"antminer": "stock", "avalon": "stock", "luxos": "luxos", "vnish": "vnish",
		"hiveon": "hiveon", "braiins": "braiins"}
	rng := rand.New(rand.NewPCG(22, 22))
	want := map[string]string{} // address -> family
	for _, i := range rng.Perm(1022)[:60] {
		addr := fmt.Sprintf("127.94.%d.%d", (i+1)/256, (i+1)%256)
		c := fleetCaptures[len(want)%len(fleetCaptures)]
		m := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, filepath.Join("../../../testdata", c)), Multi: true, NUL: true}
		require.NoError(t, m.Start(fmt.Sprintf("%s:%d", addr, rpcPort)))
		t.Cleanup(m.Close)
		want[addr] = filepath.Dir(c)
	}

	p := New()
	p.Miners = []string{"127.94.0.0/22"}
	p.Ports.RPC = rpcPort
	p.Ports.Web = 24580  // nothing listens
	p.Ports.GRPC = 24551 // nothing listens
	p.Timeout = config.Duration(5 * time.Second)
	p.Log = testutil.Logger{Quiet: true}
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))

	got := map[string]string{}
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() != "asic_status" {
			continue
		}
		require.Equal(t, "success", m.Tags()["result"], "%v", m.Fields())
		got[m.Tags()["source"]] = m.Tags()["make"] + "/" + m.Tags()["firmware"]
	}
	require.Len(t, got, len(want), "one asic_status per miner found, none for empty addresses")
	for addr, fam := range want {
		require.Equal(t, makes[fam]+"/"+firmware[fam], got[addr], "miner %s (%s)", addr, fam)
	}

	// The scan's own point: 1,022 addresses probed, 60 found, all new.
	disc := discoveryPoints(&acc)
	require.Len(t, disc, 1)
	require.Equal(t, "127.94.0.0/22", disc[0].Tags()["ranges"])
	require.Equal(t, int64(1022), disc[0].Fields()["addresses"])
	require.Equal(t, int64(60), disc[0].Fields()["found"])
	require.Equal(t, int64(60), disc[0].Fields()["new"])
	require.Equal(t, int64(0), disc[0].Fields()["lost"])

	// Between scans, only the found miners are polled, with no new scan.
	acc.ClearMetrics()
	require.NoError(t, p.Gather(&acc))
	require.Empty(t, discoveryPoints(&acc))
	var sources []string
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() == "asic_status" {
			sources = append(sources, m.Tags()["source"])
		}
	}
	require.Len(t, sources, len(want))
	sort.Strings(sources)
}
