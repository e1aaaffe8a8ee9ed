package antminer

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

const captures = "../../../testdata/antminer"

func parseDir(t testing.TB, dir string) *drivers.MinerData {
	return Parse(cgminer.BatchFromRaw("test", fakeminer.MustLoadDir(t, dir)))
}

type boardWant struct {
	index    int
	ths      float64  // TH/s
	expTHs   *float64 // TH/s, nil = not reported
	tempC    *float64 // hottest PCB sensor, °C
	chipC    *float64 // hottest chip sensor, °C
	chips    int64
	freqMHz  *float64
	voltageV *float64
}

type want struct {
	model, firmware, algo, fwVersion, apiVersion string
	ths                                          float64 // TH/s
	expTHs                                       *float64
	powerW                                       *float64
	uptimeS                                      int64
	mining                                       bool
	boards                                       []boardWant
	fansRPM                                      []int64
	pools                                        int
}

func p(v float64) *float64 { return &v }

func TestParseCaptures(t *testing.T) {
	cases := map[string]want{
		// L3+ reports MH/s under "GHS": stats "GHS 5s" "504.56" MH/s = 0.00050456 TH/s.
		"L3Plus_1.0.1.3_20170825": {
			model: "L3+", firmware: "stock", algo: "scrypt", fwVersion: "Fri Aug 25 17:28:57 CST 2017", apiVersion: "3.1",
			ths: 504.56e-6, uptimeS: 393983, mining: true,
			boards: []boardWant{ // chain_rateN MH/s / 1e6; tempN PCB; temp2_N chip
				{index: 0, ths: 126.12e-6, tempC: p(46), chipC: p(54), chips: 72},
				{index: 1, ths: 125.79e-6, tempC: p(46), chipC: p(56), chips: 72},
				{index: 2, ths: 126.06e-6, tempC: p(46), chipC: p(56), chips: 72},
				{index: 3, ths: 126.59e-6, tempC: p(45), chipC: p(53), chips: 72},
			},
			fansRPM: []int64{3840, 3810}, pools: 1,
		},
		// summary "GHS 5s" "368.40" MH/s = 0.0003684 TH/s; chain 3 is dead
		// (chain_rate3 "0.00", chain_acn3 0, temp3 0) and still a board.
		"L3Plus_1.0.1.4_20190710": {
			model: "L3+", firmware: "stock", algo: "scrypt", fwVersion: "Wed Jul 10 14:34:16 CST 2019",
			ths: 368.40e-6, uptimeS: 28964, mining: true,
			boards: []boardWant{
				{index: 0, ths: 133.20e-6, tempC: p(50), chipC: p(59), chips: 72},
				{index: 1, ths: 122.13e-6, tempC: p(48), chipC: p(60), chips: 72},
				{index: 2, ths: 0, chips: 0},
				{index: 3, ths: 129.51e-6, tempC: p(49), chipC: p(56), chips: 72},
			},
			fansRPM: []int64{5130, 4470}, pools: 3,
		},
		// D3 (X11): bmminer's "GHS" holds MH/s on X11 builds (hashunit):
		// "GHS 5s" "16346.64" = 16.35 GH/s = 0.01634664e12 H/s.
		"D3_Blissz2.06_20180105": {
			// Type "Antminer D3 Blissz v2.06 beta": model D3 on Blissz 2.06 beta.
			model: "D3", firmware: "blissz", algo: "x11", fwVersion: "2.06 beta",
			ths: 0.01634664, uptimeS: 54422, mining: true,
			boards: []boardWant{ // chain_rateN MH/s; tempN PCB; temp2_N chip
				{index: 0, ths: 5287.83e-6, tempC: p(46), chipC: p(69), chips: 60, freqMHz: p(450)},
				{index: 1, ths: 5631.41e-6, tempC: p(46), chipC: p(67), chips: 60, freqMHz: p(450)},
				{index: 2, ths: 5427.41e-6, tempC: p(48), chipC: p(62), chips: 60, freqMHz: p(450)},
			},
			fansRPM: []int64{6030, 5790}, pools: 3, // slots 1 and 2 empty: 0, 3, 4 stay
		},
		// E3 (Ethash): "GHS 5s" "197.30" is MH/s; nine 2-chip chains (1-3, 8-13).
		"E3_20180704": {
			model: "E3", firmware: "stock", algo: "ethash", fwVersion: "Wed Jul 4 18:21:00 CST 2018",
			ths: 197.30e-6, uptimeS: 556, mining: true,
			boards: []boardWant{
				{index: 0, ths: 20.97e-6, tempC: p(49), chipC: p(63), chips: 2},
				{index: 1, ths: 24.49e-6, tempC: p(50), chipC: p(68), chips: 2},
				{index: 2, ths: 21.14e-6, tempC: p(50), chipC: p(68), chips: 2},
				{index: 7, ths: 21.81e-6, tempC: p(45), chipC: p(63), chips: 2},
				{index: 8, ths: 22.98e-6, tempC: p(39), chipC: p(56), chips: 2},
				{index: 9, ths: 18.79e-6, tempC: p(46), chipC: p(59), chips: 2},
				{index: 10, ths: 22.98e-6, tempC: p(39), chipC: p(56), chips: 2},
				{index: 11, ths: 23.99e-6, tempC: p(45), chipC: p(63), chips: 2},
				{index: 12, ths: 20.13e-6, tempC: p(39), chipC: p(58), chips: 2},
			},
			fansRPM: []int64{3600, 3720}, pools: 1,
		},
		// Z11 (Equihash): "GHS 5s" "141.54" is kSol/s = 141.54e-9 x 10^12 Sol/s.
		"Z11_9.0.0.5_20190312": {
			model: "Z11", firmware: "stock", algo: "equihash", fwVersion: "Tue Mar 12 19:47:06 CST 2019", apiVersion: "3.1",
			ths: 141.54e-9, uptimeS: 68493, mining: true,
			boards: []boardWant{
				{index: 0, ths: 53.24e-9, tempC: p(63), chipC: p(90), chips: 3, freqMHz: p(731)},
				{index: 1, ths: 42.26e-9, tempC: p(63), chipC: p(83), chips: 3, freqMHz: p(731)},
				{index: 2, ths: 46.03e-9, tempC: p(63), chipC: p(90), chips: 3, freqMHz: p(731)},
			},
			fansRPM: []int64{5640, 5760}, pools: 1,
		},
		// asicseer S9 build: all 16 chain slots listed, empty ones with
		// chain_rateN "0.00000", chain_acnN 0, chain_acsN "": only chains
		// 6-8 hold boards. "GHS 5s" "13402.14" GH/s; total_rateideal 13466.25.
		"S9_asicseer_20191111": {
			// BMMiner "2.4.0-asicseer-1.1.9-f7b7": AsicSeer 1.1.9, not stock.
			model: "S9", firmware: "asicseer", algo: "sha256", fwVersion: "1.1.9-f7b7", apiVersion: "3.1",
			ths: 13.40214, expTHs: p(13.46625), uptimeS: 102, mining: true,
			boards: []boardWant{
				{index: 0, ths: 4.46765, expTHs: p(4.48875), tempC: p(57), chipC: p(87), chips: 63, freqMHz: p(625)},
				{index: 1, ths: 4.43133, expTHs: p(4.48875), tempC: p(49), chipC: p(74), chips: 63, freqMHz: p(625)},
				{index: 2, ths: 4.50315, expTHs: p(4.48875), tempC: p(56), chipC: p(86), chips: 63, freqMHz: p(625)},
			},
			fansRPM: []int64{2880, 3840}, pools: 3,
		},
		// Mode 254 = asleep: "GHS 5s" "0.00"; chains 1..3 known only from chain_xtimeN.
		"S17Plus_35.0.1.3_20200602_sleeping": {
			model: "S17+", firmware: "stock", algo: "sha256", fwVersion: "Tue Jun  2 10:31:07 CST 2020", apiVersion: "3.1",
			ths: 0, uptimeS: 279, mining: false,
			boards: []boardWant{{index: 0}, {index: 1}, {index: 2}},
		},
		// "GHS 5s" "54997.01" GH/s = 54.99701 TH/s; total_rateideal 53619 GH/s = 53.619 TH/s.
		"S17Pro_19.10.1.3_20190820": {
			model: "S17 Pro", firmware: "stock", algo: "sha256", fwVersion: "Tue Aug 20 10:37:07 CST 2019", apiVersion: "3.1",
			ths: 54.99701, expTHs: p(53.619), uptimeS: 253447, mining: true,
			boards: []boardWant{
				// temp_pcb1 "22-53-21-50" -> 53; temp_chip1 "48-80-49-70" -> 80
				{index: 0, ths: 17.96826, tempC: p(53), chipC: p(80), chips: 48, freqMHz: p(570)},
				// "22-53-19-46" -> 53; "46-75-43-66" -> 75
				{index: 1, ths: 18.418, tempC: p(53), chipC: p(75), chips: 48, freqMHz: p(560)},
				// "15-45-12-37" -> 45; "41-63-40-55" -> 63
				{index: 2, ths: 18.61075, tempC: p(45), chipC: p(63), chips: 48, freqMHz: p(566)},
			},
			fansRPM: []int64{2400, 3000, 3120, 2400}, pools: 3,
		},
		// MSKMiner: no summary; STATS[1] "GHS 5s" 99989.59 GH/s; total_power 3358 W.
		"S19NoPIC_mskminer_2.6.0.39": {
			model: "S19 No PIC", firmware: "mskminer", algo: "sha256", fwVersion: "2.6.0.39", apiVersion: "3.1",
			ths: 99.98959, expTHs: p(99.67488), powerW: p(3358), uptimeS: 1926, mining: true,
			boards: []boardWant{
				// chain_rate1 34084.86 GH/s; chain_rateideal1 33677.28; "45-42-45-42" -> 45; "59-59-59-59" -> 59
				{index: 0, ths: 34.08486, expTHs: p(33.67728), tempC: p(45), chipC: p(59), chips: 88, freqMHz: p(744), voltageV: p(15.7)},
				{index: 1, ths: 32.30365, expTHs: p(32.78806), tempC: p(45), chipC: p(57), chips: 88, freqMHz: p(724), voltageV: p(15.7)},
				{index: 2, ths: 33.60108, expTHs: p(33.20954), tempC: p(47), chipC: p(58), chips: 88, freqMHz: p(734), voltageV: p(15.7)},
			},
			fansRPM: []int64{5010, 5160, 5070, 5040}, pools: 3,
		},
		// summary "GHS 5s" 110566.89 GH/s = 110.56689 TH/s; total_rateideal 110000 GH/s.
		"S19Pro_49.0.1.3": {
			model: "S19 Pro", firmware: "stock", algo: "sha256", fwVersion: "Tue Dec  6 16:12:30 CST 2022", apiVersion: "3.1",
			ths: 110.56689, expTHs: p(110), uptimeS: 50474, mining: true,
			boards: []boardWant{
				// "73-45-64-65" -> 73; "78-50-69-70" -> 78; chain_rate1 "37603.30"
				{index: 0, ths: 37.6033, tempC: p(73), chipC: p(78), chips: 114, freqMHz: p(525)},
				// "47-50-65-66" -> 66; "52-55-70-71" -> 71
				{index: 1, ths: 35.53622, tempC: p(66), chipC: p(71), chips: 114, freqMHz: p(525)},
				// "46-44-64-63" -> 64; "51-49-69-68" -> 69
				{index: 2, ths: 37.42738, tempC: p(64), chipC: p(69), chips: 114, freqMHz: p(525)},
			},
			fansRPM: []int64{6000, 5880, 5040, 5040}, pools: 3,
		},
		// Negative readings inside dash strings: "2--1-20-22" = 2, -1, 20, 22 -> 22.
		"S19Pro_49.0.1.3_20201021_cold": {
			model: "S19 Pro", firmware: "stock", algo: "sha256", fwVersion: "Wed Oct 21 10:18:10 CST 2020", apiVersion: "3.1",
			ths: 110.78679, expTHs: p(111.859), uptimeS: 82852, mining: true,
			boards: []boardWant{
				{index: 0, ths: 37.73524, tempC: p(22), chipC: p(27), chips: 114, freqMHz: p(525)}, // "7-4-25-27" -> 27
				{index: 1, ths: 38.10907, tempC: p(20), chipC: p(25), chips: 114, freqMHz: p(525)}, // "2-1-20-19" -> 20
				{index: 2, ths: 34.94248, tempC: p(21), chipC: p(26), chips: 114, freqMHz: p(525)}, // "1--2-21-19" -> 21
			},
			fansRPM: []int64{5520, 5400, 5040, 5040},
		},
		// Overheat stop: "GHS 5s" 0.0 while "GHS av" 93556.98; boards listed at 0 TH/s.
		"S19Pro_49.0.1.3_20201026_overheating": {
			model: "S19 Pro", firmware: "stock", algo: "sha256", fwVersion: "Mon Oct 26 17:55:33 CST 2020", apiVersion: "3.1",
			ths: 0, expTHs: p(111.859), uptimeS: 321734, mining: false,
			boards: []boardWant{
				{index: 0, ths: 0, tempC: p(91), chipC: p(96), chips: 114, freqMHz: p(525)}, // "55-66-78-91", "60-71-83-96"
				{index: 1, ths: 0, tempC: p(85), chipC: p(90), chips: 114, freqMHz: p(525)},
				{index: 2, ths: 0, tempC: p(83), chipC: p(88), chips: 114, freqMHz: p(525)},
			},
			fansRPM: []int64{6000, 5880, 6120, 6120}, pools: 3,
		},
		// No version reply: identity from STATS[0].
		"S19Pro_49.0.1.3_20201211_overheating": {
			model: "S19 Pro", firmware: "stock", algo: "sha256", fwVersion: "Fri Dec 11 11:23:44 CST 2020",
			ths: 0, expTHs: p(111.859), uptimeS: 12122, mining: false,
			boards: []boardWant{
				{index: 0, ths: 0, tempC: p(88), chipC: p(93), chips: 114, freqMHz: p(525)}, // "75-59-88-78", "80-64-93-83"
				{index: 1, ths: 0, tempC: p(89), chipC: p(94), chips: 114, freqMHz: p(525)},
				{index: 2, ths: 0, tempC: p(92), chipC: p(97), chips: 114, freqMHz: p(525)},
			},
			fansRPM: []int64{5160, 5280, 6240, 6120}, pools: 1,
		},
		// Asleep with Mode 2: 0 GH/s. Chains 2 and 3 only (miner_count 2): slots 1 and 2.
		"S19_49.0.1.3_20201211_sleeping": {
			model: "S19", firmware: "stock", algo: "sha256", fwVersion: "Fri Dec 11 11:15:40 CST 2020", apiVersion: "3.1",
			ths: 0, expTHs: p(63.919), uptimeS: 735, mining: false,
			boards: []boardWant{
				{index: 1, ths: 0, tempC: p(40), chipC: p(40), chips: 76, freqMHz: p(675)}, // "39-37-40-39"
				{index: 2, ths: 0, tempC: p(40), chipC: p(40), chips: 76, freqMHz: p(675)}, // "38-38-40-40"
			},
			fansRPM: []int64{1560, 1560, 600, 720}, pools: 3,
		},
		// S9: chains 6..8, fans from fan5; temp2_7 -83 is a sensor fault, temp7 0 a missing one.
		"S9_30.0.1.3_20190731": {
			model: "S9", firmware: "stock", algo: "sha256", fwVersion: "Wed Jul 31 16:18:27 CST 2019", apiVersion: "3.1",
			ths: 13.88381, expTHs: p(13.86252), uptimeS: 293628, mining: true,
			boards: []boardWant{
				{index: 0, ths: 4.61885, expTHs: p(4.62034), tempC: p(75), chipC: p(62), chips: 63, freqMHz: p(649.10)},
				{index: 1, ths: 4.62455, expTHs: p(4.62087), chips: 63, freqMHz: p(650.40)},
				{index: 2, ths: 4.64041, expTHs: p(4.62131), tempC: p(73), chipC: p(62), chips: 63, freqMHz: p(647.00)},
			},
			fansRPM: []int64{3720, 2400}, pools: 2,
		},
		// S9k: version.raw has trailing garbage after the object; "25-61" -> 61, "51-85" -> 85.
		"S9k_13.10.1.3_20190929": {
			model: "S9k", firmware: "stock", algo: "sha256", fwVersion: "Sun Sep 29 15:25:10 CST 2019", apiVersion: "3.1",
			ths: 14.35919, expTHs: p(14), uptimeS: 367506, mining: true,
			boards: []boardWant{
				{index: 0, ths: 4.66179, tempC: p(61), chipC: p(85), chips: 60, freqMHz: p(375)},
				{index: 1, ths: 4.81572, tempC: p(60), chipC: p(84), chips: 60, freqMHz: p(385)},
				{index: 2, ths: 4.88169, tempC: p(58), chipC: p(78), chips: 60, freqMHz: p(385)},
			},
			fansRPM: []int64{2280, 3720},
		},
		// Asleep: chains 2 and 3 (chain_SN2/3, chain_xtime2/3), fan_num 0.
		"T17Plus_b023.0.1.3_20200602_sleeping": {
			model: "T17+", firmware: "stock", algo: "sha256", fwVersion: "Tue Jun  2 10:11:10 CST 2020", apiVersion: "3.1",
			ths: 0, uptimeS: 8105, mining: false,
			boards: []boardWant{{index: 1}, {index: 2}},
		},
	}

	// S23 Hyd. (asic-rs): only 4028 stats here (web_* pages are tested in
	// web_test.go). "GHS 5s" 572845.56 GH/s = 572.84556 TH/s (no summary);
	// total_rateideal 581972.7 GH/s = 581.9727 TH/s; fan_num 0 (hydro).
	cases["S23Hyd_AML_20260626"] = want{
		model: "S23 Hyd.", firmware: "stock", algo: "sha256", fwVersion: "Fri Jun 26 09:24:23 CST 2026",
		ths: 572.84556, expTHs: p(581.9727), uptimeS: 167431, mining: true,
		boards: []boardWant{
			// chain_rate1 "188896.10" GH/s; "44-44-52-52" -> 52; "44-44-56-56" -> 56; freq1 327
			{index: 0, ths: 188.8961, tempC: p(52), chipC: p(56), chips: 84, freqMHz: p(327)},
			{index: 1, ths: 192.19463, tempC: p(52), chipC: p(55), chips: 84, freqMHz: p(327)},
			{index: 2, ths: 191.75483, tempC: p(52), chipC: p(56), chips: 84, freqMHz: p(327)},
		},
	}

	// S21 (proto-fleet unit), 4028 without stats: summary "GHS 5s" 203007.01
	// GH/s = 203.00701 TH/s, Elapsed 59129; no boards or fans without stats.
	cases["S21_20240711_rpc"] = want{
		model: "S21", firmware: "stock", algo: "sha256", fwVersion: "Thu Jul 11 16:38:25 CST 2024", apiVersion: "3.1",
		ths: 203.00701, uptimeS: 59129, mining: true, pools: 1,
	}

	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	seen := 0
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		if webOnly[name] {
			continue // no 4028 reply: web_test.go
		}
		w, ok := cases[name]
		require.True(t, ok, "capture folder %s has no test case", name)
		seen++
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(captures, name)
			files := fakeminer.MustLoadDir(t, dir)
			d := parseDir(t, dir)
			checkWant(t, d, w)
			// Only commands without a capture file may be problems.
			for _, pr := range d.Problems {
				missing := false
				for _, cmd := range Commands {
					if _, have := files[cmd]; !have && strings.Contains(pr.Error(), `command "`+cmd+`": not requested`) {
						missing = true
					}
				}
				require.True(t, missing, "unexpected problem: %v", pr)
			}
		})
	}
	require.Equal(t, len(cases), seen, "a test case has no capture folder")
}

// webOnly are capture folders with web pages only (4028 closed).
var webOnly = map[string]bool{"S21_20240711_web": true}

func checkWant(t *testing.T, d *drivers.MinerData, w want) {
	t.Helper()
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, w.model, d.Model, "model")
	require.Equal(t, w.firmware, d.Firmware, "firmware tag")
	require.Equal(t, w.algo, d.Algorithm, "algorithm")
	require.Equal(t, w.fwVersion, d.FirmwareVersion, "firmware version")
	require.Equal(t, w.apiVersion, d.APIVersion, "API version")
	require.NotNil(t, d.Hashrate, "hashrate TH/s")
	require.InDelta(t, w.ths, *d.Hashrate, 1e-9, "hashrate TH/s")
	if w.expTHs == nil {
		require.Nil(t, d.ExpectedHashrate, "expected hashrate TH/s")
	} else {
		require.NotNil(t, d.ExpectedHashrate, "expected hashrate TH/s")
		require.InDelta(t, *w.expTHs, *d.ExpectedHashrate, 1e-9, "expected hashrate TH/s")
	}
	if w.powerW == nil {
		require.Nil(t, d.PowerWatts, "power W")
	} else {
		require.NotNil(t, d.PowerWatts, "power W")
		require.InDelta(t, *w.powerW, *d.PowerWatts, 1e-9, "power W")
	}
	require.NotNil(t, d.UptimeSeconds)
	require.Equal(t, w.uptimeS, *d.UptimeSeconds, "uptime s")
	require.NotNil(t, d.IsMining)
	require.Equal(t, w.mining, *d.IsMining, "is_mining")

	require.Len(t, d.Boards, len(w.boards), "boards")
	for i, wb := range w.boards {
		b := d.Boards[i]
		require.Equal(t, wb.index, b.Index, "board %d slot", i)
		require.NotNil(t, b.Hashrate, "board %d hashrate TH/s", i)
		require.InDelta(t, wb.ths, *b.Hashrate, 1e-9, "board %d hashrate TH/s", i)
		optFloat(t, wb.expTHs, b.ExpectedHashrate, "board %d expected TH/s", i)
		optFloat(t, wb.tempC, b.Temperature, "board %d PCB °C", i)
		optFloat(t, wb.chipC, b.ChipTemperature, "board %d chip °C", i)
		optFloat(t, wb.freqMHz, b.FrequencyMHz, "board %d MHz", i)
		optFloat(t, wb.voltageV, b.VoltageVolts, "board %d V", i)
		require.NotNil(t, b.Chips, "board %d chips", i)
		require.Equal(t, wb.chips, *b.Chips, "board %d chips", i)
		require.Equal(t, wb.ths > 0, *b.Active, "board %d active", i)
	}
	require.Len(t, d.Fans, len(w.fansRPM), "fans")
	for i, rpm := range w.fansRPM {
		require.Equal(t, i, d.Fans[i].Index)
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
	}
	// Empty priority slots (URL "") are not pools.
	require.Len(t, d.Pools, w.pools, "pools")
	for _, p := range d.Pools {
		require.NotEmpty(t, p.URL.Raw, "pool %d", p.Index)
		require.NotEmpty(t, p.URL.Scheme, "pool %d", p.Index)
	}
}

func optFloat(t *testing.T, want, got *float64, msg string, args ...any) {
	t.Helper()
	if want == nil {
		require.Nil(t, got, append([]any{msg + ": want absent"}, args...)...)
		return
	}
	require.NotNil(t, got, append([]any{msg}, args...)...)
	require.InDelta(t, *want, *got, 1e-9, append([]any{msg}, args...)...)
}

func TestNewAPIStats(t *testing.T) {
	raw := fakeminer.MustLoadDir(t, filepath.Join(captures, "S19Pro_49.0.1.3"))
	b, err := os.ReadFile("testdata/handmade_new_api_stats.json")
	require.NoError(t, err)
	raw["stats"] = b
	delete(raw, "version")
	delete(raw, "summary")
	d := Parse(cgminer.BatchFromRaw("test", raw))
	require.Equal(t, "S19j Pro", d.Model, "model from INFO.type")
	require.Equal(t, "Mon Jan  1 00:00:00 CST 2024", d.FirmwareVersion)
	require.InDelta(t, 100.5005, *d.Hashrate, 1e-9, "rate_5s 100500.5 GH/s = 100.5005 TH/s")
	require.InDelta(t, 104.0, *d.ExpectedHashrate, 1e-9, "rate_ideal 104000 GH/s")
	require.Equal(t, int64(3600), *d.UptimeSeconds)
	require.Len(t, d.Fans, 4)
	require.Equal(t, int64(5520), *d.Fans[2].RPM)
	require.Equal(t, int64(0), *d.Fans[3].RPM, "a listed fan at 0 RPM is a dead fan")
	require.Len(t, d.Boards, 3, "the dead board (index 1) is kept")
	require.InDelta(t, 33.5001, *d.Boards[0].Hashrate, 1e-9, "rate_real 33500.1 GH/s")
	require.InDelta(t, 61.0, *d.Boards[0].Temperature, 1e-9, "max of [58,0,61,60]")
	require.InDelta(t, 70.0, *d.Boards[0].ChipTemperature, 1e-9, "max of [66,0,70,69]")
	require.Equal(t, int64(126), *d.Boards[0].Chips)
	require.Equal(t, "HHB1234567890", d.Boards[0].SerialNumber)
	require.Equal(t, 1, d.Boards[1].Index)
	require.InDelta(t, 0.0, *d.Boards[1].Hashrate, 1e-9)
	require.Nil(t, d.Boards[1].Temperature, "all-zero sensors are missing")
	require.Equal(t, int64(0), *d.Boards[1].Chips)
	require.False(t, *d.Boards[1].Active)
	require.InDelta(t, 72.0, *d.Boards[2].ChipTemperature, 1e-9)
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	dir := filepath.Join(captures, "S19Pro_49.0.1.3")

	// A whole reply that is not JSON: the other commands are still read.
	raw := fakeminer.MustLoadDir(t, dir)
	raw["stats"] = []byte("\x00\xffnot json at all")
	d := Parse(cgminer.BatchFromRaw("test", raw))
	require.InDelta(t, 110.56689, *d.Hashrate, 1e-9, "summary GHS 5s still read")
	require.Equal(t, "S19 Pro", d.Model, "version still read")
	require.Len(t, d.Pools, 3, "pools still read")
	require.Empty(t, d.Boards)
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), `command "stats"`)
	require.ErrorIs(t, d.Problems[0], drivers.ErrBadResponse)

	// One unreadable field: dropped and named, its neighbours kept.
	raw = fakeminer.MustLoadDir(t, dir)
	s := strings.Replace(string(raw["stats"]), `"chain_rate2": "35536.22"`, `"chain_rate2": {"x": 1}`, 1)
	s = strings.Replace(s, `"fan3": 5040`, `"fan3": "fast"`, 1)
	require.NotEqual(t, string(raw["stats"]), s)
	raw["stats"] = []byte(s)
	d = Parse(cgminer.BatchFromRaw("test", raw))
	require.Len(t, d.Boards, 3)
	require.InDelta(t, 37.6033, *d.Boards[0].Hashrate, 1e-9)
	require.InDelta(t, 0.0, *d.Boards[1].Hashrate, 1e-9, "unreadable chain_rate2 leaves the board at 0")
	require.InDelta(t, 66.0, *d.Boards[1].Temperature, 1e-9, "board 1 temperature kept")
	require.Len(t, d.Fans, 3, "unreadable fan3 dropped")
	var msgs []string
	for _, pr := range d.Problems {
		msgs = append(msgs, pr.Error())
	}
	require.Len(t, msgs, 2, "%v", msgs)
	require.Contains(t, strings.Join(msgs, "\n"), `command "stats": field "chain_rate2"`)
	require.Contains(t, strings.Join(msgs, "\n"), `command "stats": field "fan3"`)
}

func TestDashTemps(t *testing.T) {
	require.Equal(t, []float64{73, 45, 64, 65}, DashTemps("73-45-64-65"))
	require.Equal(t, []float64{2, -1, 20, 22}, DashTemps("2--1-20-22"))
	require.Equal(t, []float64{-8, -11, 10, 12}, DashTemps("-8--11-10-12"))
	require.Empty(t, DashTemps("0-0-0-0"))
	require.Empty(t, DashTemps("m-m-m-m"))
	require.Empty(t, DashTemps("-"))
	require.Equal(t, []float64{61}, DashTemps("0-61--83"), "-83 is a sensor fault")
}

func TestCleanModel(t *testing.T) {
	for in, want := range map[string]string{
		"Antminer S19 Pro":               "S19 Pro",
		"Antminer S9\nV1.3.58":           "S9",
		"Antminer S19 (Vnish 1.2.6)":     "S19",
		"Antminer S21 Pro (Vnish 1.2.7)": "S21 Pro",
		"Antminer S9 Hiveon":             "S9",
		"Antminer T9 HIVEON":             "T9",
		"S19-88 v.2.6.0.39 ":             "S19 No PIC",
		"Antminer S19 (88)":              "S19 No PIC",
		"Antminer L3+":                   "L3+",
		"  Antminer  S19j  Pro  ":        "S19j Pro",
		"Antminer D3 Blissz v2.06 beta":  "D3",
		"Antminer D3 Blissz v1.1":        "D3",
		"Antminer L3+ blissz v1.02":      "L3+",
	} {
		require.Equal(t, want, CleanModel(in), "%q", in)
	}
	for _, c := range [][4]string{
		{"Antminer D3 Blissz v2.06 beta", "4.10.0", "blissz", "2.06 beta"},
		// Another D3's Type, pasted in getminera/minera#194 (2017).
		{"Antminer D3 Blissz v1.1", "4.10.0", "blissz", "1.1"},
		{"Antminer S9", "2.4.0-asicseer-1.1.9-f7b7", "asicseer", "1.1.9-f7b7"},
		{"Antminer S9", "2.0.0", "", ""},
		{"Antminer S19 Pro", "1.0.0", "", ""},
	} {
		tag, v := customFirmware(c[0], c[1])
		require.Equal(t, c[2], tag, "%q %q", c[0], c[1])
		require.Equal(t, c[3], v, "%q %q", c[0], c[1])
	}
	require.Equal(t, "scrypt", Algorithm("L7"))
	require.Equal(t, "sha256", Algorithm("S21"))
	require.Equal(t, "", Algorithm(""))
}

func startFake(t *testing.T, dir string, multi bool) (*fakeminer.Miner, drivers.Target) {
	t.Helper()
	reps, err := fakeminer.LoadDir(dir)
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}}
}

func TestGatherEndToEnd(t *testing.T) {
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	for _, multi := range []bool{true, false} {
		m, target := startFake(t, filepath.Join(captures, "S19Pro_49.0.1.3"), multi)
		d, err := drv.Gather(ctx, target)
		require.NoError(t, err)
		require.Empty(t, d.Problems)
		require.InDelta(t, 110.56689, *d.Hashrate, 1e-9, "summary GHS 5s 110566.89 GH/s")
		require.Len(t, d.Boards, 3)
		require.InDelta(t, 35.53622, *d.Boards[1].Hashrate, 1e-9)
		require.Len(t, d.Pools, 3)
		require.Equal(t, "S19 Pro", d.Model)
		if multi {
			require.Equal(t, []string{"version+summary+stats+pools"}, m.Commands(), "one connection")
		} else {
			require.Equal(t, []string{"version+summary+stats+pools", "version", "summary", "stats", "pools"}, m.Commands(),
				"joined form rejected, then one per connection")
		}
	}

	// bmminer's "}{" inside a joined reply (S9 stats.raw) is repaired.
	_, target := startFake(t, filepath.Join(captures, "S9_30.0.1.3_20190731"), true)
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, "S9", d.Model)
	require.Len(t, d.Boards, 3)
	require.InDelta(t, 13.88381, *d.Hashrate, 1e-9)
	require.Len(t, d.Problems, 1, "no summary capture: %v", d.Problems)
}

func TestGatherUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d, err := Driver{}.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port}})
	require.Nil(t, d)
	require.Error(t, err)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))

	m := &fakeminer.Miner{Mode: fakeminer.Silent}
	require.NoError(t, m.Start("127.0.0.1:0"))
	defer m.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	d, err = Driver{}.Gather(ctx2, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}})
	require.Nil(t, d)
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err))
}

func TestDeadFanKept(t *testing.T) {
	raw := fakeminer.MustLoadDir(t, filepath.Join(captures, "S19Pro_49.0.1.3"))
	s := strings.Replace(string(raw["stats"]), `"fan3": 5040`, `"fan3": 0`, 1)
	require.NotEqual(t, string(raw["stats"]), s)
	raw["stats"] = []byte(s)
	d := Parse(cgminer.BatchFromRaw("test", raw))
	// fan_num 4 with three spinning: fan1..fan4, the dead one at 0 RPM.
	require.Len(t, d.Fans, 4)
	for i, rpm := range []int64{6000, 5880, 0, 5040} {
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
	}
}

// The S21's empty pool slots answer "Status": "Deed" (sic) with an empty
// URL: they hold no pool and are not reported.
func TestParseS21PoolsDeed(t *testing.T) {
	d := parseDir(t, filepath.Join(captures, "S21_20240711_rpc"))
	require.Len(t, d.Pools, 1, "two Deed slots dropped")
	p0 := d.Pools[0]
	require.Equal(t, "stratum.braiins.com", p0.URL.Host)
	require.Equal(t, 3333, p0.URL.Port)
	require.Equal(t, "proto_mining_sw_test_s21-0a5", p0.User)
	require.Equal(t, int64(11187), *p0.Accepted)
	require.Equal(t, int64(9), *p0.Rejected)
	require.Equal(t, int64(0), *p0.Stale)
	require.True(t, *p0.Alive)
	require.True(t, *p0.Active, "Stratum Active true")
}

// The D3's POOLS lists five slots; 1 (user "xxx", URL "") and 2 (all
// empty) hold no pool. The three pools keep their place in the list.
func TestEmptyPoolSlotsDropped(t *testing.T) {
	d := parseDir(t, filepath.Join(captures, "D3_Blissz2.06_20180105"))
	var idx []int
	for _, p := range d.Pools {
		idx = append(idx, p.Index)
	}
	require.Equal(t, []int{0, 3, 4}, idx)
	require.Equal(t, "stratum+tcp://dash.suprnova.cc:9991", d.Pools[1].URL.Raw)
	require.Equal(t, "devFeeMiner.9", d.Pools[1].User)
}
