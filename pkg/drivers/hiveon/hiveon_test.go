package hiveon

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

const captures = "../../../testdata/hiveon"

type boardWant struct {
	ths, expTHs, tempC, chipC float64 // TH/s, TH/s, °C, °C
	chips                     int64
}

type want struct {
	ths, expTHs float64 // TH/s, TH/s
	uptimeS     int64
	boards      []boardWant
	fansRPM     []int64
}

// Each case is a capture folder and, optionally, another of its files to
// use as the stats reply (the folder holds two stats captures).
func TestParseCaptures(t *testing.T) {
	type key struct{ folder, stats string }
	cases := map[key]want{
		// "GHS 5s" "11781.40" GH/s; total_rateideal 11850.30; chains 6..8; temp6 59 PCB,
		// temp2_6 74 chip. chain_power "34.65 (AB)" 69 s after start (2.9 J/TH: not a
		// wall reading) is not power.
		{"S9_Hiveon_30.0.1.3_rwglr_20191120", "stats"}: {
			ths: 11.7814, expTHs: 11.8503, uptimeS: 69,
			boards: []boardWant{
				{ths: 3.91164, expTHs: 3.9501, tempC: 59, chipC: 74, chips: 63},
				{ths: 3.9137, expTHs: 3.9501, tempC: 50, chipC: 65, chips: 63},
				{ths: 3.95605, expTHs: 3.9501, tempC: 57, chipC: 72, chips: 63},
			},
			fansRPM: []int64{3840, 4920},
		},
		// "GHS 5s" "11813.91" GH/s; chain_power "1089.00 (AB)" (3 x 363) is not read either.
		{"S9_Hiveon_30.0.1.3_rwglr_20191120", "stats_second_capture"}: {
			ths: 11.81391, expTHs: 11.8503, uptimeS: 136,
			boards: []boardWant{
				{ths: 3.96789, expTHs: 3.9501, tempC: 62, chipC: 77, chips: 63},
				{ths: 3.95587, expTHs: 3.9501, tempC: 54, chipC: 69, chips: 63},
				{ths: 3.89015, expTHs: 3.9501, tempC: 60, chipC: 75, chips: 63},
			},
			fansRPM: []int64{3360, 4440},
		},
	}
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		found := false
		for k := range cases {
			found = found || k.folder == e.Name()
		}
		require.True(t, found, "capture folder %s has no test case", e.Name())
	}
	for k, w := range cases {
		t.Run(k.folder+"/"+k.stats, func(t *testing.T) {
			raw := fakeminer.MustLoadDir(t, filepath.Join(captures, k.folder))
			raw["stats"] = raw[k.stats]
			d := Parse(cgminer.BatchFromRaw("test", raw))
			require.Equal(t, "Antminer", d.Make)
			require.Equal(t, "S9", d.Model, `Type "Antminer S9 Hiveon"`)
			require.Equal(t, "hiveon", d.Firmware)
			require.Equal(t, "sha256", d.Algorithm)
			require.Equal(t, "Tue Nov 20 10:12:30 UTC 2019", d.FirmwareVersion)
			require.Equal(t, "3.1", d.APIVersion)
			require.InDelta(t, w.ths, *d.Hashrate, 1e-9, "hashrate TH/s")
			require.InDelta(t, w.expTHs, *d.ExpectedHashrate, 1e-9, "expected TH/s")
			require.Nil(t, d.PowerWatts, "chain_power is Hiveon's estimate, not wall power")
			require.Equal(t, w.uptimeS, *d.UptimeSeconds, "uptime s")
			require.True(t, *d.IsMining)
			require.Nil(t, d.EnvTemperature, "temp3_N are all 0 on the S9")
			require.Len(t, d.Boards, len(w.boards))
			for i, wb := range w.boards {
				b := d.Boards[i]
				require.Equal(t, i, b.Index)
				require.InDelta(t, wb.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
				require.InDelta(t, wb.expTHs, *b.ExpectedHashrate, 1e-9, "board %d expected TH/s", i)
				require.InDelta(t, wb.tempC, *b.Temperature, 1e-9, "board %d PCB °C", i)
				require.InDelta(t, wb.chipC, *b.ChipTemperature, 1e-9, "board %d chip °C", i)
				require.InDelta(t, 550.0, *b.FrequencyMHz, 1e-9, "board %d freq_avg MHz", i)
				require.Equal(t, wb.chips, *b.Chips, "board %d chips", i)
			}
			require.Len(t, d.Fans, len(w.fansRPM))
			for i, rpm := range w.fansRPM {
				require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
			}
			// The folder has no summary or pools capture.
			require.Len(t, d.Problems, 2, "%v", d.Problems)
			require.Empty(t, d.Pools)
		})
	}
}

func TestT9Layout(t *testing.T) {
	raw := fakeminer.MustLoadDir(t, filepath.Join(captures, "S9_Hiveon_30.0.1.3_rwglr_20191120"))
	delete(raw, "version")
	b, err := os.ReadFile("testdata/handmade_t9_stats.json")
	require.NoError(t, err)
	raw["stats"] = b
	d := Parse(cgminer.BatchFromRaw("test", raw))
	require.Equal(t, "T9", d.Model, `Type "Antminer T9 HIVEON"`)
	require.Len(t, d.Boards, 2, "slot 2 (chains 4, 13, 14) is absent")
	// Slot 0 = chains 2, 9, 10: 1950 + 1960 + 1940 = 5850 GH/s = 5.85 TH/s; 3 x 18 chips.
	require.InDelta(t, 5.85, *d.Boards[0].Hashrate, 1e-9)
	require.Equal(t, int64(54), *d.Boards[0].Chips)
	require.InDelta(t, 63.0, *d.Boards[0].Temperature, 1e-9, "max(temp2 61, temp9 60, temp10 63) °C")
	require.InDelta(t, 77.0, *d.Boards[0].ChipTemperature, 1e-9, "max(75, 77, 74) °C")
	// Slot 1 = chains 3, 11, 12: 1930 + 1970 + 1950 = 5850 GH/s.
	require.Equal(t, 1, d.Boards[1].Index)
	require.InDelta(t, 5.85, *d.Boards[1].Hashrate, 1e-9)
	require.InDelta(t, 59.0, *d.Boards[1].Temperature, 1e-9)
	require.InDelta(t, 72.0, *d.Boards[1].ChipTemperature, 1e-9)
	// Env = mean of non-zero temp3_N: (30 + 32 + 31) / 3 = 31 °C.
	require.InDelta(t, 31.0, *d.EnvTemperature, 1e-9)
	require.Nil(t, d.PowerWatts, `chain_power "1280 W" is an estimate, not read`)
	require.Len(t, d.Fans, 2)
	require.Equal(t, int64(3600), *d.Fans[0].RPM, "fans start at fan3 here")
	require.Equal(t, int64(3700), *d.Fans[1].RPM)
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	raw := fakeminer.MustLoadDir(t, filepath.Join(captures, "S9_Hiveon_30.0.1.3_rwglr_20191120"))
	raw["stats"] = []byte(strings.Replace(string(raw["stats"]), `"total_rateideal":11850.30`, `"total_rateideal":"n/a"`, 1))
	d := Parse(cgminer.BatchFromRaw("test", raw))
	// total_rateideal unreadable: named, and the rest is kept.
	require.InDelta(t, 11.7814, *d.Hashrate, 1e-9)
	require.Len(t, d.Boards, 3)
	var all []string
	for _, p := range d.Problems {
		all = append(all, p.Error())
	}
	require.Contains(t, strings.Join(all, "\n"), `command "stats": field "total_rateideal"`)
}

func TestGatherEndToEnd(t *testing.T) {
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	for _, multi := range []bool{true, false} {
		reps, err := fakeminer.LoadDir(filepath.Join(captures, "S9_Hiveon_30.0.1.3_rwglr_20191120"))
		require.NoError(t, err)
		m := &fakeminer.Miner{Replies: reps, Multi: multi, NUL: true}
		require.NoError(t, m.Start("127.0.0.1:0"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}})
		cancel()
		cmds := m.Commands()
		m.Close()
		require.NoError(t, err)
		require.Equal(t, "S9", d.Model)
		require.InDelta(t, 11.7814, *d.Hashrate, 1e-9)
		require.Len(t, d.Boards, 3)
		// summary and pools are not in the capture: the fake answers Invalid command.
		require.Len(t, d.Problems, 2, "%v", d.Problems)
		if multi {
			require.Equal(t, []string{"version+summary+stats+pools"}, cmds)
		} else {
			require.Equal(t, []string{"version+summary+stats+pools", "version", "summary", "stats", "pools"}, cmds)
		}
	}
}

// FuzzParseHiveon replaces one command's reply of a capture folder with the
// fuzzed bytes; nothing may panic.
func FuzzParseHiveon(f *testing.F) {
	entries, err := os.ReadDir(captures)
	if err != nil {
		f.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var folders []map[string][]byte
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
	if b, err := os.ReadFile("testdata/handmade_t9_stats.json"); err == nil {
		f.Add(uint8(0), uint8(slices.Index(antminer.Commands, "stats")), b)
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
