package vnish

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

const captures = "../../../testdata/vnish"

type boardWant struct {
	ths, expTHs, tempC, chipC, freqMHz, voltageV float64 // TH/s, TH/s, °C, °C, MHz, V
	chips                                        int64
}

type want struct {
	model, fwVersion, apiVersion string
	ths, expTHs, powerW          float64 // TH/s, TH/s, W
	uptimeS                      int64
	boards                       []boardWant
	fansRPM                      []int64
	pools                        int
	problems                     []string // substrings, in any order
}

func TestParseCaptures(t *testing.T) {
	cases := map[string]want{
		// version answers "Invalid command" on Vnish 1.2.x: skipped silently.
		// summary "GHS 5s" 173870.94 GH/s = 173.87094 TH/s; total_rateideal 196517.17 GH/s;
		// chain_consumption 861 W x 3 = 2583 W; chain_vol 13000 mV = 13 V.
		"S21Pro_1.2.7": {
			model: "S21 Pro", fwVersion: "1.2.7",
			ths: 173.87094, expTHs: 196.51717, powerW: 2583, uptimeS: 4423,
			boards: []boardWant{
				// "50-40-50-50" -> 50, "65-55-65-65" -> 65
				{ths: 60.79719, expTHs: 65.505727, tempC: 50, chipC: 65, freqMHz: 495, voltageV: 13, chips: 65},
				{ths: 57.766645, expTHs: 65.505727, tempC: 49, chipC: 64, freqMHz: 495, voltageV: 13, chips: 65},
				{ths: 55.3071, expTHs: 65.505727, tempC: 49, chipC: 64, freqMHz: 495, voltageV: 13, chips: 65},
			},
			fansRPM: []int64{5850, 5850, 5940, 5940}, pools: 3,
		},
		// No summary capture: stats "GHS 5s" "12795.48" GH/s. chain_consumption 495 W x 3 = 1485 W;
		// chain_vol 920 (10 mV) = 9.20 V; chains 6..8; fans fan5, fan6.
		"S9_vnish3.8.6_26.0.1.3": {
			model: "S9", fwVersion: "3.8.6", apiVersion: "3.7",
			ths: 12.79548, expTHs: 12.9276, powerW: 1485, uptimeS: 3617,
			boards: []boardWant{
				{ths: 4.26448, expTHs: 4.3092, tempC: 65, chipC: 80, freqMHz: 600, voltageV: 9.2, chips: 63},
				{ths: 4.29832, expTHs: 4.3092, tempC: 56, chipC: 71, freqMHz: 600, voltageV: 9.2, chips: 63},
				{ths: 4.23267, expTHs: 4.3092, tempC: 63, chipC: 78, freqMHz: 600, voltageV: 9.2, chips: 63},
			},
			fansRPM: []int64{5400, 5880}, pools: 4,
			problems: []string{`command "summary": not requested`},
		},
	}
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	seen := 0
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		w, ok := cases[e.Name()]
		require.True(t, ok, "capture folder %s has no test case", e.Name())
		seen++
		t.Run(e.Name(), func(t *testing.T) {
			d := Parse(cgminer.BatchFromRaw("test", fakeminer.MustLoadDir(t, filepath.Join(captures, e.Name()))))
			require.Equal(t, "Antminer", d.Make)
			require.Equal(t, "vnish", d.Firmware)
			require.Equal(t, "sha256", d.Algorithm)
			require.Equal(t, w.model, d.Model)
			require.Equal(t, w.fwVersion, d.FirmwareVersion)
			require.Equal(t, w.apiVersion, d.APIVersion)
			require.InDelta(t, w.ths, *d.Hashrate, 1e-9, "hashrate TH/s")
			require.InDelta(t, w.expTHs, *d.ExpectedHashrate, 1e-9, "expected TH/s")
			require.InDelta(t, w.powerW, *d.PowerWatts, 1e-9, "power W")
			require.Equal(t, w.uptimeS, *d.UptimeSeconds, "uptime s")
			require.True(t, *d.IsMining)
			require.Len(t, d.Boards, len(w.boards))
			for i, wb := range w.boards {
				b := d.Boards[i]
				require.Equal(t, i, b.Index)
				require.InDelta(t, wb.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
				require.InDelta(t, wb.expTHs, *b.ExpectedHashrate, 1e-9, "board %d expected TH/s", i)
				require.InDelta(t, wb.tempC, *b.Temperature, 1e-9, "board %d PCB °C", i)
				require.InDelta(t, wb.chipC, *b.ChipTemperature, 1e-9, "board %d chip °C", i)
				require.InDelta(t, wb.freqMHz, *b.FrequencyMHz, 1e-9, "board %d MHz", i)
				require.InDelta(t, wb.voltageV, *b.VoltageVolts, 1e-9, "board %d V", i)
				require.Equal(t, wb.chips, *b.Chips, "board %d chips", i)
				require.True(t, *b.Active)
			}
			require.Len(t, d.Fans, len(w.fansRPM))
			for i, rpm := range w.fansRPM {
				require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
			}
			require.Len(t, d.Pools, w.pools)
			require.Len(t, d.Problems, len(w.problems), "%v", d.Problems)
			for i, p := range w.problems {
				require.Contains(t, d.Problems[i].Error(), p)
			}
		})
	}
	require.Equal(t, len(cases), seen)
}

func TestPoolsWithoutSchemeAndCounters(t *testing.T) {
	d := Parse(cgminer.BatchFromRaw("test", fakeminer.MustLoadDir(t, filepath.Join(captures, "S21Pro_1.2.7"))))
	require.Len(t, d.Pools, 3)
	p := d.Pools[0]
	require.Equal(t, 0, p.Index)
	require.Equal(t, "stratum+tcp", p.URL.Scheme, "bare host:port is stratum v1")
	require.Equal(t, "stratum.braiins.com", p.URL.Host)
	require.Equal(t, 3333, p.URL.Port)
	require.Equal(t, "proto_mining_sw_test_s21pro-12g", p.User)
	require.Equal(t, int64(1599), *p.Accepted)
	require.Equal(t, int64(9), *p.Rejected)
	require.Equal(t, int64(0), *p.Stale)
	require.Nil(t, p.GetFailures, "Vnish 1.2.7 sends no Get Failures: absent, not 0")
	require.Nil(t, p.RemoteFailures)
	require.True(t, *p.Active)
	require.True(t, *p.Alive)
	// The dev-fee pool is reported as the firmware lists it.
	require.Equal(t, 2, d.Pools[2].Index)
	require.Equal(t, "DevFee", d.Pools[2].User)
	require.Equal(t, int64(224), *d.Pools[2].Accepted)
}

func TestStateAndFaults(t *testing.T) {
	raw := fakeminer.MustLoadDir(t, filepath.Join(captures, "S21Pro_1.2.7"))
	s := string(raw["stats"])
	s = strings.Replace(s, `"state":"auto-tuning"`, `"state":"failure"`, 1)
	s = strings.Replace(s, `"chain_state2":"mining"`, `"chain_state2":"failure"`, 1)
	s = strings.Replace(s, `"chain_fault2":""`, `"chain_fault2":"temperature sensor lost"`, 1)
	raw["stats"] = []byte(s)
	d := Parse(cgminer.BatchFromRaw("test", raw))
	require.False(t, *d.IsMining, "state failure")
	require.True(t, *d.Boards[0].Active)
	require.False(t, *d.Boards[1].Active, "chain_state2 failure")
	require.Len(t, d.Errors, 1)
	require.Contains(t, d.Errors[0].Message, "temperature sensor lost")
	require.Contains(t, d.Errors[0].Message, "board 1")
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	raw := fakeminer.MustLoadDir(t, filepath.Join(captures, "S21Pro_1.2.7"))
	raw["summary"] = []byte(`{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"Elapsed":"soon","GHS 5s":[1]}]}`)
	d := Parse(cgminer.BatchFromRaw("test", raw))
	// Hashrate falls back to stats "GHS 5s" "173870.94"; uptime to stats Elapsed 4423.
	require.InDelta(t, 173.87094, *d.Hashrate, 1e-9)
	require.Equal(t, int64(4423), *d.UptimeSeconds)
	require.Len(t, d.Boards, 3)
	require.Len(t, d.Pools, 3)
	require.Len(t, d.Problems, 2, "%v", d.Problems)
	require.Contains(t, d.Problems[0].Error()+d.Problems[1].Error(), `command "summary": field "GHS 5s"`)
	require.Contains(t, d.Problems[0].Error()+d.Problems[1].Error(), `command "summary": field "Elapsed"`)
}

func TestGatherEndToEnd(t *testing.T) {
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	for _, multi := range []bool{true, false} {
		reps, err := fakeminer.LoadDir(filepath.Join(captures, "S21Pro_1.2.7"))
		require.NoError(t, err)
		m := &fakeminer.Miner{Replies: reps, Multi: multi, NUL: true}
		require.NoError(t, m.Start("127.0.0.1:0"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}})
		cancel()
		cmds := m.Commands()
		m.Close()
		require.NoError(t, err)
		require.Empty(t, d.Problems, "version's Invalid command is not a problem")
		require.Equal(t, "S21 Pro", d.Model)
		require.Equal(t, "1.2.7", d.FirmwareVersion)
		require.InDelta(t, 173.87094, *d.Hashrate, 1e-9)
		require.InDelta(t, 2583.0, *d.PowerWatts, 1e-9)
		require.Len(t, d.Boards, 3)
		if multi {
			require.Equal(t, []string{"version+summary+stats+pools"}, cmds)
		} else {
			require.Equal(t, []string{"version+summary+stats+pools", "version", "summary", "stats", "pools"}, cmds)
		}
	}
}

// FuzzParseVnish replaces one command's reply of a capture folder with the
// fuzzed bytes; nothing may panic.
func FuzzParseVnish(f *testing.F) {
	entries, err := os.ReadDir(captures)
	if err != nil {
		f.Fatal(err)
	}
	var folders []map[string][]byte
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for i, n := range names {
		r := fakeminer.MustLoadDir(f, filepath.Join(captures, n))
		folders = append(folders, r)
		for name, b := range r {
			cmd := slices.Index(antminer.Commands, name)
			if cmd < 0 {
				cmd = slices.Index(antminer.Commands, "stats")
			}
			f.Add(uint8(i), uint8(cmd), b)
		}
	}
	f.Fuzz(func(t *testing.T, folder, cmd uint8, data []byte) {
		base := folders[int(folder)%len(folders)]
		raw := make(map[string][]byte, len(base)+1)
		for k, v := range base {
			raw[k] = v
		}
		raw[antminer.Commands[int(cmd)%len(antminer.Commands)]] = data
		if Parse(cgminer.BatchFromRaw("fuzz", raw)) == nil {
			t.Fatal("nil MinerData")
		}
	})
}
