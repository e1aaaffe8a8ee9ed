package asic

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3/btminerv3test"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/whatsminer"
)

// fleetMiner is one loopback miner of the mixed fleet and how to gather it.
type fleetMiner struct {
	kind   string // capture (good) or "hostile <proto>/<mode>"
	port   int    // its own listener's port
	driver drivers.Driver
	target drivers.Target
}

// mixedKinds are the good miners, each a real capture behind its real
// transport: cgminer 4028 (several families), a web-only family behind
// HTTP Digest, and Whatsminer API v3.
var mixedKinds = []string{
	"antminer/S19Pro_49.0.1.3", "avalon/1566_fw24102401", "luxos/S19kPro_2025.4.8.220305",
	"vnish/S21Pro_1.2.7", "hiveon/S9_Hiveon_30.0.1.3_rwglr_20191120", "braiins/S9_bosminer-plus-0.2.0-36c56a9363",
	"elphapex/DG1Plus_1.0.2", "whatsminer/M60S_v3_20251209.16.Rel2",
}

var mixedDriver = map[string]string{
	"antminer": "antminer", "avalon": "avalon", "luxos": "luxos", "vnish": "vnish", "hiveon": "hiveon",
	"braiins": "braiins", "elphapex": "elphapex", "whatsminer": "whatsminer",
}

// startMixed starts one good miner of kind on its own 127.0.0.1 listener;
// every other API of its target is a closed port.
func startMixed(t *testing.T, kind string, closed int) fleetMiner {
	t.Helper()
	dir := filepath.Join("../../../testdata", kind)
	family := strings.Split(kind, "/")[0]
	ports := drivers.Ports{RPC: closed, Web: closed, GRPC: closed}
	m := fleetMiner{kind: kind}
	switch family {
	case "elphapex":
		s := httpapitest.Start(t, httpapitest.LoadWebDir(t, dir), "root", "root")
		ports.Web, m.port = s.Port(), s.Port()
	case "whatsminer":
		raw, err := btminerv3test.LoadDir(dir)
		require.NoError(t, err)
		s := &btminerv3test.Server{Replies: raw, Join: true}
		require.NoError(t, s.Start("127.0.0.1:0"))
		t.Cleanup(s.Close)
		m.port = s.Port()
		d := whatsminer.New()
		d.V3Port = s.Port()
		m.driver = d
	default:
		fm := startCapture(t, dir, fakeminer.Normal)
		ports.RPC, m.port = fm.Port(), fm.Port()
	}
	if m.driver == nil {
		d, err := drivers.New(mixedDriver[family])
		require.NoError(t, err)
		m.driver = d
	}
	m.target = drivers.Target{Host: "127.0.0.1", Ports: ports, Username: "root", Password: "root"}
	return m
}

// startHostileMixed starts a hostile miner speaking proto in mode, with
// the driver that would reach it.
func startHostileMixed(t *testing.T, proto hostile.Proto, mode hostile.Mode, closed int) fleetMiner {
	s := hostile.Start(t, proto, mode)
	m := fleetMiner{kind: fmt.Sprintf("hostile %s/%s", proto, mode), port: s.Port()}
	ports := drivers.Ports{RPC: closed, Web: closed, GRPC: closed}
	name := "antminer"
	switch proto {
	case hostile.CGMiner:
		ports.RPC = s.Port()
	case hostile.HTTP:
		ports.Web, name = s.Port(), "elphapex"
	case hostile.V3:
		d := whatsminer.New()
		d.V3Port = s.Port()
		m.driver = d
	}
	if m.driver == nil {
		d, err := drivers.New(name)
		require.NoError(t, err)
		m.driver = d
	}
	m.target = drivers.Target{Host: "127.0.0.1", Ports: ports, Username: "root", Password: "root"}
	return m
}

// gatherFleet gathers every miner at most conc at a time, each under its
// own deadline, the way the plugin's Gather does, and returns each one's
// metric signature (its own port masked: the same capture on another
// port must look the same).
func gatherFleet(miners []fleetMiner, timeout time.Duration, conc int) []string {
	out := make([]string, len(miners))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, m := range miners {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			start := time.Now()
			data, err := m.driver.Gather(ctx, m.target)
			var acc testutil.Accumulator
			now := time.Now()
			if err != nil {
				addStatus(&acc, "m", nil, err, nil, time.Since(start), now)
			} else {
				addMiner(&acc, "m", data, now)
				addStatus(&acc, "m", data, nil, data.Problems, time.Since(start), now)
			}
			sig := strings.Join(signature(acc.GetTelegrafMetrics()), "\n")
			out[i] = strings.ReplaceAll(sig, ":"+strconv.Itoa(m.port), ":PORT")
		}()
	}
	wg.Wait()
	return out
}

// 1,000 loopback miners of mixed transports (cgminer, HTTP web-only,
// Whatsminer v3), one in ten hostile in a mode of its transport: every
// good miner's metrics are complete and identical to a gather of the same
// capture alone, and every hostile one is a failed asic_status only.
func TestMixedFleetWithHostileMiners(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 listeners")
	}
	// Generous: under the race detector on two loaded cores, the endless
	// streams of the hostile miners compete with the good ones for CPU.
	const timeout = 10 * time.Second
	closed := closedPort(t)

	want := map[string]string{}
	for _, k := range mixedKinds {
		sig := gatherFleet([]fleetMiner{startMixed(t, k, closed)}, timeout, 1)[0]
		require.Contains(t, sig, "result=success", k)
		require.Contains(t, sig, "hashrate_ths=", k)
		want[k] = sig
	}

	protos := []hostile.Proto{hostile.CGMiner, hostile.HTTP, hostile.V3}
	var miners []fleetMiner
	for i := 0; i < 1000; i++ {
		if i%10 == 9 {
			p := protos[(i/10)%len(protos)]
			modes := hostile.Modes(p)
			miners = append(miners, startHostileMixed(t, p, modes[(i/30)%len(modes)], closed))
			continue
		}
		miners = append(miners, startMixed(t, mixedKinds[i%len(mixedKinds)], closed))
	}
	got := gatherFleet(miners, timeout, 256)

	hostiles := 0
	for i, m := range miners {
		if !strings.HasPrefix(m.kind, "hostile") {
			require.Equal(t, want[m.kind], got[i], "good miner #%d (%s) lost or changed data", i, m.kind)
			continue
		}
		hostiles++
		if strings.Contains(m.kind, "huge_number") || strings.Contains(m.kind, "huge_string") {
			continue // a well-formed reply with absurd values: no failure to expect
		}
		require.Equal(t, 1, strings.Count(got[i], "\n")+1, "hostile miner #%d (%s): asic_status only:\n%s", i, m.kind, got[i])
		require.True(t, strings.HasPrefix(got[i], "asic_status,"), m.kind)
		require.NotContains(t, got[i], "result=success", m.kind)
	}
	require.Equal(t, 100, hostiles)
}
