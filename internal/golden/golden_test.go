// Package golden pins the plugin's line protocol for every capture folder:
// testdata/<family>/<case>/ holds the replies and expected.out, the points
// [[inputs.asic]] (driver = "auto") writes when the folder is served as
// its firmware (internal/capserve); a folder with both APIs of one miner
// also has expected.rpc-only.out and expected.web-only.out (variants). `go test ./internal/golden -run Golden
// -update` rewrites expected.out after a reviewed change.
package golden

import (
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/all"
	"github.com/asicmetrics/telegraf-asic/plugins/inputs/asic"
)

var update = flag.Bool("update", false, "rewrite testdata/<family>/<case>/expected.out")

const root = "../../testdata"

// skipped are capture folders that are no miner's whole answer, only a
// fragment a parser test reads: serving them as a miner would pin an
// accident of the fragment, not the firmware.
var skipped = map[string]string{
	"bitaxe/Supra_asic-only":                  "only /api/system/asic, for the ASIC-model parser; no /api/system/info",
	"luxos/unknown_2025.9.8.152528-e04420b4b": "only an events reply, for the events parser",
}

// host is the case's own loopback address, stable for a case name, so its
// servers can sit at the firmware's real ports.
func host(key string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	v := h.Sum32()
	return fmt.Sprintf("127.77.%d.%d", (v>>8)%256, v%254+1)
}

func TestGolden(t *testing.T) {
	fams, err := os.ReadDir(root)
	require.NoError(t, err)
	hosts := map[string]string{}
	seen := map[string]int{}
	for _, fam := range fams {
		if !fam.IsDir() {
			continue
		}
		if _, err := drivers.New(fam.Name()); err != nil {
			continue // captures of a family no driver reads yet (testdata/FAMILIES.md)
		}
		cases, err := os.ReadDir(filepath.Join(root, fam.Name()))
		require.NoError(t, err)
		for _, c := range cases {
			if !c.IsDir() {
				continue
			}
			key := fam.Name() + "/" + c.Name()
			if _, ok := skipped[key]; ok {
				_, err := os.Stat(filepath.Join(root, key, "expected.out"))
				require.True(t, os.IsNotExist(err), "%s is skipped but has an expected.out", key)
				continue
			}
			h := host(key)
			require.NotContains(t, hosts, h, "%s and %s share an address: change host()", key, hosts[h])
			hosts[h] = key
			seen[fam.Name()]++
			dir := filepath.Join(root, key)
			capture := capserve.Load(t, dir) // read once for the case and its variants
			t.Run(key, func(t *testing.T) { runCase(t, fam.Name(), dir, capture, h, "") })
			for _, v := range variants(fam.Name(), capture) {
				vh := host(key + "/" + v)
				require.NotContains(t, hosts, vh, "%s/%s and %s share an address: change host()", key, v, hosts[vh])
				hosts[vh] = key + "/" + v
				t.Run(key+"/"+v, func(t *testing.T) { runCase(t, fam.Name(), dir, capture, vh, v) })
			}
		}
	}
	// At least one case per family a driver reads.
	for _, name := range drivers.Names() {
		require.Positive(t, seen[name], "driver %s has no golden case in testdata/%s", name, name)
	}
}

// Variants of a capture that holds both APIs of one miner (the 4028 API,
// or Hammer's, and a web or REST API): each is also served with one of
// them closed (its port refusing, as a firewalled or switched-off API),
// pinned in expected.<variant>.out. What only the closed API carries must
// be absent there, what both carry must still come from the open one.
const (
	rpcOnly = "rpc-only" // web UI and REST API refused
	webOnly = "web-only" // 4028 (or Hammer's 8359) refused
)

// variants are the one-API cases of a capture folder: none unless the
// firmware is served with both an RPC API and web pages or a REST API
// (SealMiner's driver reads 4028 only).
func variants(family string, c capserve.Capture) []string {
	s := capserve.FullSpec(family, c)
	rpc := s.RPC || s.RPCAt8359
	web := (s.WebPages && len(c.Web) > 0) || s.REST
	if !rpc || !web {
		return nil
	}
	return []string{rpcOnly, webOnly}
}

func runCase(t *testing.T, family, dir string, c capserve.Capture, h, variant string) {
	s := capserve.FullSpec(family, c)
	switch variant {
	case rpcOnly:
		s.Root, s.WebPages, s.REST = nil, false, false
	case webOnly:
		s.RPC, s.RPCAt8359 = false, false
	}
	m, err := capserve.Open(c, s, h)
	require.NoError(t, err)
	t.Cleanup(m.Close)
	p := asic.New()
	p.Miners = []string{h}
	p.Log = testutil.Logger{}
	p.Timeout = config.Duration(10 * time.Second)
	if m.Target.Ports.Web != capserve.PortWeb {
		p.Ports.Web = m.Target.Ports.Web // port 80 needs privileges
	}
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Start(&acc))
	defer p.Stop()
	require.NoError(t, p.Gather(&acc))
	got := render(t, acc.GetTelegrafMetrics())
	// acc.Errors say again what asic_status.error says (which is pinned).
	if w := m.Target.Ports.Web; w != capserve.PortWeb {
		// Without privileges the web UI sits elsewhere than 80; the
		// errors that name it must not depend on that.
		got = strings.ReplaceAll(got, fmt.Sprintf("%s:%d", h, w), fmt.Sprintf("%s:%d", h, capserve.PortWeb))
	}

	file := filepath.Join(dir, "expected.out")
	if variant != "" {
		file = filepath.Join(dir, "expected."+variant+".out")
	}
	if *update {
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "no expected.out: run with -update and review it")
	require.Equal(t, string(want), got, "%s: run with -update after reviewing the change", file)
}

// render is the points as sorted line protocol without timestamps;
// asic_status.response_time_seconds (a measured time) is dropped.
func render(t *testing.T, ms []telegraf.Metric) string {
	s := &influx.Serializer{SortFields: true}
	require.NoError(t, s.Init())
	lines := make([]string, 0, len(ms))
	for _, m := range ms {
		m = m.Copy()
		if m.Name() == "asic_status" {
			m.RemoveField("response_time_seconds")
		}
		b, err := s.Serialize(m)
		require.NoError(t, err)
		l := strings.TrimSuffix(string(b), "\n")
		// Drop the timestamp: the last space-separated field.
		l = l[:strings.LastIndexByte(l, ' ')]
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}
