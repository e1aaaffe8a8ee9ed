package avalon

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/stretchr/testify/require"
)

const eps = 1e-6

func parseFolder(t *testing.T, folder string) *drivers.MinerData {
	t.Helper()
	return Parse(cgminer.BatchFromRaw("test", loadFolder(t, filepath.Join(captures, folder))))
}

func f64(t *testing.T, want float64, got *float64, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.InDelta(t, want, *got, eps, what)
}

func i64(t *testing.T, want int64, got *int64, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.Equal(t, want, *got, what)
}

// boardWant is one board's expected values; nil means absent.
type boardWant struct {
	ths, expTHs, temp, chip, inlet, outlet, freq *float64
	chips                                        *int64
	serial                                       string
}

func checkBoards(t *testing.T, d *drivers.MinerData, want []boardWant) {
	t.Helper()
	require.Len(t, d.Boards, len(want), "boards")
	for i, w := range want {
		b := d.Boards[i]
		require.Equal(t, i, b.Index, "board index")
		pairs := []struct {
			name      string
			want, got *float64
		}{
			{"hashrate TH/s", w.ths, b.Hashrate},
			{"expected hashrate TH/s", w.expTHs, b.ExpectedHashrate},
			{"board temperature °C", w.temp, b.Temperature},
			{"chip temperature °C", w.chip, b.ChipTemperature},
			{"inlet °C", w.inlet, b.InletTemperature},
			{"outlet °C", w.outlet, b.OutletTemperature},
			{"frequency MHz", w.freq, b.FrequencyMHz},
		}
		for _, p := range pairs {
			if p.want == nil {
				require.Nil(t, p.got, "board %d %s", i, p.name)
				continue
			}
			f64(t, *p.want, p.got, fmt.Sprintf("board %d %s", i, p.name))
		}
		if w.chips == nil {
			require.Nil(t, b.Chips, "board %d chips", i)
		} else {
			i64(t, *w.chips, b.Chips, "board chips")
		}
		require.Equal(t, w.serial, b.SerialNumber, "board %d serial", i)
	}
}

func fanRPMs(d *drivers.MinerData) []int64 {
	var out []int64
	for i, f := range d.Fans {
		if f.Index != i || f.RPM == nil {
			return nil
		}
		out = append(out, *f.RPM)
	}
	return out
}

func p(v float64) *float64 { return &v }
func n(v int64) *int64     { return &v }

// problemsMention checks that exactly these commands are named in Problems.
func problemsMention(t *testing.T, d *drivers.MinerData, cmds ...string) {
	t.Helper()
	require.Len(t, d.Problems, len(cmds), "problems: %v", d.Problems)
	for _, c := range cmds {
		found := false
		for _, e := range d.Problems {
			if strings.Contains(e.Error(), `"`+c+`"`) {
				found = true
			}
		}
		require.True(t, found, "a problem names %q: %v", c, d.Problems)
	}
}

var cases = []struct {
	folder string
	check  func(t *testing.T, d *drivers.MinerData)
}{
	{"1566_fw24102401", func(t *testing.T, d *drivers.MinerData) {
		require.Equal(t, "AvalonMiner", d.Make)
		require.Equal(t, "15-194", d.Model) // VERSION MODEL "15-194" (PROD "AvalonMiner 15-194")
		require.Equal(t, "stock", d.Firmware)
		require.Equal(t, "sha256", d.Algorithm)
		require.Equal(t, "12:34:56:78:90:12", d.MAC) // MAC "123456789012"
		require.Equal(t, "24102401_25462b2_9ddf522", d.FirmwareVersion)
		require.Equal(t, "3.7", d.APIVersion)
		require.Equal(t, "020100008c699117", d.SerialNumber)
		// devs "MHS 1m" 197266944.16 MH/s / 1e6 = 197.26694416 TH/s
		f64(t, 197.26694416, d.Hashrate, "hashrate TH/s")
		f64(t, 201.92042, d.ExpectedHashrate, "GHSmm 201920.42 GH/s -> TH/s")
		f64(t, 3731, d.PowerWatts, "WALLPOWER W")
		f64(t, 3515, d.PowerLimitWatts, "MPO W")
		f64(t, 31, d.EnvTemperature, "Temp °C")
		i64(t, 975, d.UptimeSeconds, "STATS[0].Elapsed s (no summary captured)")
		require.Equal(t, drivers.Ptr(true), d.IsMining, "SYSTEMSTATU In Work")
		require.Equal(t, drivers.Ptr(false), d.FaultLight, "Led[0]")
		require.NotNil(t, d.Errors, "the firmware has an error report")
		require.Empty(t, d.Errors, "ECHU[0 0 0] ECMM[0]")
		// MGHS[59459.52 61407.83 63139.66] GH/s; MTavg[69 70 71]; MTmax[77 78 77];
		// PVT_T0..2 have 160 non-zero readings each.
		checkBoards(t, d, []boardWant{
			{ths: p(59.45952), temp: p(69), chip: p(77), chips: n(160)},
			{ths: p(61.40783), temp: p(70), chip: p(78), chips: n(160)},
			{ths: p(63.13966), temp: p(71), chip: p(77), chips: n(160)},
		})
		// board sum 59.45952 + 61.40783 + 63.13966 = 184.00701 TH/s (pyasic rounds to 184)
		require.InDelta(t, 184.00701, *sumBoards(d), eps)
		require.Equal(t, []int64{4275, 4282}, fanRPMs(d), "Fan1, Fan2 RPM")
		f64(t, 49, d.Fans[1].Percent, "FanR 49%")
		// Every pool field, from POOLS.
		require.Len(t, d.Pools, 3)
		p0 := d.Pools[0]
		require.Equal(t, 0, p0.Index)
		require.Equal(t, "stratum+tcp://stratum.pool.io:3333", p0.URL.Raw)
		require.Equal(t, "stratum+tcp", p0.URL.Scheme)
		require.Equal(t, "stratum.pool.io", p0.URL.Host)
		require.Equal(t, 3333, p0.URL.Port)
		require.Equal(t, "pool_username.real_worker", p0.User)
		i64(t, 148, p0.Accepted, "accepted")
		i64(t, 1, p0.Rejected, "rejected")
		i64(t, 0, p0.Stale, "stale")
		i64(t, 0, p0.GetFailures, "get failures")
		i64(t, 0, p0.RemoteFailures, "remote failures")
		require.Equal(t, drivers.Ptr(true), p0.Active)
		require.Equal(t, drivers.Ptr(true), p0.Alive)
		require.Equal(t, 2, d.Pools[2].Index)
		require.Equal(t, 3335, d.Pools[2].URL.Port)
		require.Equal(t, drivers.Ptr(false), d.Pools[1].Active)
		problemsMention(t, d, "summary") // not captured
	}},
	{"A1246_21072802_4ec6bb0", func(t *testing.T, d *drivers.MinerData) {
		// Only stats was captured: identity comes from the blob's Ver
		// "1246-83-21072802_4ec6bb0_211fc46" (83 is the TH/s variant).
		require.Equal(t, "1246", d.Model)
		require.Equal(t, "21072802_4ec6bb0_211fc46", d.FirmwareVersion)
		require.Equal(t, "02010000cbd2fd6d", d.SerialNumber)
		require.Empty(t, d.MAC)
		// No devs/summary: the blob's current speed GHSspd[81072.68] GH/s.
		f64(t, 81.07268, d.Hashrate, "GHSspd TH/s")
		// The boards' MGHS are averages since start:
		// 26907.01 + 26025.06 + 26724.56 = 79656.63 GH/s = GHSavg
		require.InDelta(t, 79.65663, *sumBoards(d), eps, "board sum TH/s")
		f64(t, 83.92304, d.ExpectedHashrate, "GHSmm 83923.04 GH/s")
		// No WALLPOWER; PS[0 1214 1316 242 3189 1320 3504]: PS[6] = 3504 W at the
		// wall beside PS[4] = 3189 W out (13.16 V x 242 A).
		f64(t, 3504, d.PowerWatts, "PS[6] W")
		f64(t, 3200, d.PowerLimitWatts, "MPO W")
		f64(t, 30, d.EnvTemperature, "Temp °C")
		i64(t, 24684, d.UptimeSeconds, "STATS[0].Elapsed s")
		require.Equal(t, drivers.Ptr(true), d.IsMining)
		require.NotNil(t, d.Errors)
		require.Empty(t, d.Errors, "ECHU/ECMM all 0")
		checkBoards(t, d, []boardWant{
			{ths: p(26.90701), temp: p(66), chip: p(77), chips: n(120)},
			{ths: p(26.02506), temp: p(65), chip: p(77), chips: n(120)},
			{ths: p(26.72456), temp: p(64), chip: p(76), chips: n(120)},
		})
		require.Equal(t, []int64{5344, 5392, 5349, 5309}, fanRPMs(d))
		f64(t, 72, d.Fans[3].Percent, "FanR 72%")
		require.Empty(t, d.Pools)
		problemsMention(t, d, "version", "summary", "devs", "pools")
	}},
	{"Avalon1047_19120401_d46bc64_0367a8b", func(t *testing.T, d *drivers.MinerData) {
		require.Equal(t, "1047", d.Model) // Ver[1047-19120401_d46bc64_0367a8b]
		require.Equal(t, "19120401_d46bc64_0367a8b", d.FirmwareVersion)
		require.Equal(t, "0201000017cdf409", d.SerialNumber)
		// No devs/summary and no GHSspd: GHSavg[37235.34] GH/s (average since
		// start) = 18727.58 + 18507.76, the boards' MGHS.
		f64(t, 37.23534, d.Hashrate, "GHSavg TH/s")
		require.InDelta(t, 37.23534, *sumBoards(d), eps, "board sum TH/s")
		f64(t, 37.76867, d.ExpectedHashrate, "GHSmm 37768.67 GH/s")
		// PS[0 1212 1315 174 2288 1320] has no PS[6]: 2288 W is the supply's
		// output (HS_RCD's P_P), not the wall.
		require.Nil(t, d.PowerWatts)
		require.Nil(t, d.PowerLimitWatts, "no MPO on this firmware")
		f64(t, 28, d.EnvTemperature, "Temp °C")
		i64(t, 103808, d.UptimeSeconds, "STATS[0].Elapsed s")
		require.NotNil(t, d.Errors)
		require.Empty(t, d.Errors, "ECHU[512 512]: 512 is Canaan's normal state")
		checkBoards(t, d, []boardWant{
			{ths: p(18.72758), temp: p(66), chip: p(75), chips: n(120)},
			{ths: p(18.50776), temp: p(62), chip: p(70), chips: n(120)},
		})
		require.Equal(t, []int64{2984, 2972}, fanRPMs(d))
		f64(t, 47, d.Fans[0].Percent, "FanR 47%")
		problemsMention(t, d, "version", "summary", "devs", "pools")
	}},
	{"Avalon1047_20051101_85dc6f0_0332654", func(t *testing.T, d *drivers.MinerData) {
		require.Equal(t, "1047", d.Model)
		require.Equal(t, "20051101_85dc6f0_0332654", d.FirmwareVersion)
		// summary "MHS 1m" 28134393.97 MH/s (no devs captured)
		f64(t, 28.13439397, d.Hashrate, "hashrate TH/s")
		f64(t, 37.47098, d.ExpectedHashrate, "GHSmm 37470.98 GH/s")
		f64(t, 2220, d.PowerLimitWatts, "MPO W")
		f64(t, 18, d.EnvTemperature, "Temp °C")
		i64(t, 155, d.UptimeSeconds, "summary Elapsed s")
		checkBoards(t, d, []boardWant{
			{ths: p(12.36261), temp: p(55), chip: p(61), chips: n(120)},
			{ths: p(12.81216), temp: p(58), chip: p(64), chips: n(120)},
		})
		require.Equal(t, []int64{2896, 2927}, fanRPMs(d))
		require.Len(t, d.Pools, 3)
		require.Equal(t, "sha256.mining-dutch.nl", d.Pools[0].URL.Host)
		require.Equal(t, 9996, d.Pools[0].URL.Port)
		i64(t, 5, d.Pools[0].Accepted, "accepted")
		i64(t, 1, d.Pools[2].Accepted, "pool 2 accepted")
		problemsMention(t, d, "version", "devs")
	}},
	{"Avalon7xx_7411706-3162860", func(t *testing.T, d *drivers.MinerData) {
		// Two AUCs (AV70, AV71) with five 741 modules each: ten boards.
		require.Equal(t, "741", d.Model) // Ver[7411706-3162860]: 741, built 2017-06
		require.Equal(t, "7411706-3162860", d.FirmwareVersion)
		f64(t, 42.59221465, d.Hashrate, "summary MHS 1m 42592214.65 MH/s")
		// 6836.48+6801.85+6844.33+6844.12+6822.16+6839.72+6824.96+6798.86+6805.02+6826.01 = 68243.51 GH/s
		f64(t, 68.24351, d.ExpectedHashrate, "sum of GHSmm TH/s")
		f64(t, 37, d.EnvTemperature, "coolest module Temp °C (37, 37)")
		i64(t, 118, d.UptimeSeconds, "summary Elapsed s")
		require.Equal(t, drivers.Ptr(false), d.FaultLight, "every Led[0]")
		require.Nil(t, d.IsMining, "no SYSTEMSTATU on 7xx")
		require.Len(t, d.Boards, 10)
		checkBoards(t, withBoards(d, 0, 1), []boardWant{
			{expTHs: p(6.83648), chip: p(89), inlet: p(38), freq: p(606.93), serial: "0130b14ab881ad86"},
		})
		checkBoards(t, withBoards(d, 9, 10), []boardWant{
			{expTHs: p(6.82601), chip: p(78), inlet: p(37), freq: p(606.00), serial: "013c309b35a2329a"},
		})
		require.Equal(t, []int64{2550, 1440, 2700, 2580, 2430, 4440, 3900, 3150, 2760, 3810}, fanRPMs(d), "Fan per module RPM")
		f64(t, 36, d.Fans[0].Percent, "FanR 36%")
		f64(t, 54, d.Fans[5].Percent, "FanR 54%")
		// ECHU[16 0 512 0], [16 512 512 512], [528 0 0 0], [16 0 0 512], [16 0 0 0] on AV70,
		// then [16 0 512 512], [16 0 0 0], [528 512 0 0], [16 0 0 512], [16 0 0 0] on AV71.
		var codes []string
		for _, e := range d.Errors {
			codes = append(codes, e.Code)
		}
		require.Equal(t, []string{"ECHU0.0=16", "ECHU1.0=16", "ECHU2.0=528", "ECHU3.0=16", "ECHU4.0=16",
			"ECHU5.0=16", "ECHU6.0=16", "ECHU7.0=528", "ECHU8.0=16", "ECHU9.0=16"}, codes)
		require.Len(t, d.Pools, 2)
		require.Equal(t, "Yop yop", d.Pools[0].User)
		i64(t, 19, d.Pools[0].Accepted, "accepted")
		i64(t, 1, d.Pools[0].Rejected, "rejected")
		problemsMention(t, d, "version", "devs")
	}},
	{"Avalon8xx_8411803-14b0f10", func(t *testing.T, d *drivers.MinerData) {
		require.Equal(t, "841", d.Model, "first module 841 (the others are 821s)")
		require.Equal(t, "8411803-14b0f10", d.FirmwareVersion)
		f64(t, 24.13760401, d.Hashrate, "summary MHS 1m 24137604.01 MH/s")
		// 13646.20 + 11609.65 + 11513.45 = 36769.30 GH/s
		f64(t, 36.7693, d.ExpectedHashrate, "sum of GHSmm TH/s")
		f64(t, 36, d.EnvTemperature, "min(36, 36, 37) °C")
		i64(t, 63, d.UptimeSeconds, "summary Elapsed s")
		checkBoards(t, d, []boardWant{
			{expTHs: p(13.6462), chip: p(84), inlet: p(36), freq: p(762.87), serial: "0137dace492a2ec1"},
			{expTHs: p(11.60965), chip: p(85), inlet: p(36), freq: p(649.02), serial: "013a7366855f4c56"},
			{expTHs: p(11.51345), chip: p(83), inlet: p(37), freq: p(643.64), serial: "013b8d95d80b8043"},
		})
		require.Equal(t, []int64{5730, 5850, 5610}, fanRPMs(d))
		f64(t, 100, d.Fans[2].Percent, "FanR 100%")
		require.NotNil(t, d.Errors)
		require.Empty(t, d.Errors, "ECHU/ECMM all 0")
		require.Len(t, d.Pools, 2)
		problemsMention(t, d, "version", "devs")
	}},
	{"Avalon9xx_9211809-b4b3d00", func(t *testing.T, d *drivers.MinerData) {
		// Ten AUC entries hold 50 module blobs but only 20 distinct DNAs:
		// AV91/AV98 and AV92/94/95/96/97/99 repeat the same chains. The copy
		// with the longest module Elapsed (~66000 s, the live one) is kept.
		require.Equal(t, "921", d.Model)
		require.Len(t, d.Boards, 20)
		f64(t, 431.79116482, d.Hashrate, "summary MHS 1m 431791164.82 MH/s")
		// 21718.70 + 22094.00 + 22198.45 + 22251.40 + 21936.40 + 22224.65 + 21688.60
		// + 21555.15 + 22060.55 + 21783.95 + 22223.00 + 22193.65 + 21801.90 + 22242.25
		// + 22108.80 + 22103.20 + 21830.55 + 21676.95 + 21963.45 + 22103.75 = 439759.35 GH/s
		f64(t, 439.75935, d.ExpectedHashrate, "sum of distinct modules' GHSmm TH/s")
		i64(t, 66007, d.UptimeSeconds, "summary Elapsed s")
		// Board 10 is DNA 013607fcf2c12b9c from AV92 (Elapsed 65996), not AV99's
		// stale copy (Elapsed 3628, GHSmm 22211.00).
		checkBoards(t, withBoards(d, 10, 11), []boardWant{
			{expTHs: p(22.223), chip: p(95), inlet: p(25), freq: p(834.70), serial: "013607fcf2c12b9c"},
		})
		require.Len(t, d.Fans, 20)
		i64(t, 4830, d.Fans[0].RPM, "AV90 MM ID1 Fan RPM")
		// ECMM[2] on the kept copies of 01361dad4573b165 (AV92), 013cbd2d80d76ce3
		// and 013f4a5e6e5a9907 (AV93).
		var codes []string
		for _, e := range d.Errors {
			codes = append(codes, e.Code)
		}
		require.Equal(t, []string{"ECMM11=2", "ECMM18=2", "ECMM19=2"}, codes)
		require.Len(t, d.Pools, 3)
		i64(t, 781, d.Pools[0].Stale, "stale")
		i64(t, 2, d.Pools[0].GetFailures, "get failures")
		i64(t, 2, d.Pools[0].RemoteFailures, "remote failures")
		problemsMention(t, d, "version", "devs")
	}},
	{"AvalonNano3_24071801_42c628d", func(t *testing.T, d *drivers.MinerData) {
		require.Equal(t, "Nano 3", d.Model) // MODEL "nano3"
		require.Equal(t, "24071801_42c628d", d.FirmwareVersion)
		require.Equal(t, "3.7", d.APIVersion)
		require.Empty(t, d.MAC, "the Nano 3 has no MAC in version")
		require.Empty(t, d.SerialNumber, "DNA[0000000000000000] is no serial")
		f64(t, 3.69849575, d.Hashrate, "devs MHS 1m 3698495.75 MH/s")
		f64(t, 4.02968, d.ExpectedHashrate, "GHSmm 4029.68 GH/s")
		f64(t, 125, d.PowerLimitWatts, "MPO W")
		require.Nil(t, d.PowerWatts, "PS[0 0 0 4 2712 125 306]: PS[6] 306 < PS[4], not the 10xx+ layout")
		f64(t, 60, d.EnvTemperature, "Temp °C")
		i64(t, 112603, d.UptimeSeconds, "summary Elapsed s")
		require.Equal(t, drivers.Ptr(true), d.FaultLight, "Led[1]")
		// The one board makes the current speed GHSspd[3001.77] (MGHS[2697.96] is the
		// average since start); MTavg[101]; MTmax[104]; PVT_T0 has 10 readings;
		// Freq[0.00] is absent. devs (3.698 TH/s above) was captured at another poll.
		checkBoards(t, d, []boardWant{
			{ths: p(3.00177), temp: p(101), chip: p(104), chips: n(10), serial: "0201000032a6ff04"},
		})
		require.Equal(t, []int64{6570}, fanRPMs(d))
		require.NotNil(t, d.Errors)
		require.Empty(t, d.Errors, "ECHU[0] ECMM[0]")
		f64(t, 100, d.Fans[0].Percent, "FanR 100%")
		require.Len(t, d.Pools, 3)
		require.Empty(t, d.Problems)
	}},
	{"AvalonQ_25052801_14a19a2", func(t *testing.T, d *drivers.MinerData) {
		require.Equal(t, "Q", d.Model)
		require.Equal(t, "25052801_14a19a2", d.FirmwareVersion) // LVERSION
		require.Equal(t, "AA:BB:CC:DD:EE:FF", d.MAC)
		// Soft-off: devs MHS 1m 0.0, GHSspd[0.00], SYSTEMSTATU "In Idle".
		f64(t, 0, d.Hashrate, "hashrate TH/s")
		require.Equal(t, drivers.Ptr(false), d.IsMining)
		f64(t, 55.03279, d.ExpectedHashrate, "GHSmm 55032.79 GH/s")
		f64(t, 800, d.PowerLimitWatts, "MPO W")
		require.Nil(t, d.PowerWatts, "idle: PS[0 1222 4 0 0 2245 146] has no output power")
		f64(t, 26, d.EnvTemperature, "ITemp[26] °C: the Q's air intake (it has no Temp)")
		i64(t, 37714, d.UptimeSeconds, "summary Elapsed s")
		// MGHS[44499.41] is the average since start: 0 while stopped.
		// HBITemp[27] HBOTemp[27]; TMax[0] is no reading, so the chip
		// temperature is max(HBinfo PVT_T0) = 71 over 160 chips; Freq[282.86].
		checkBoards(t, d, []boardWant{
			{ths: p(0), temp: p(27), chip: p(71), inlet: p(27), outlet: p(27), freq: p(282.86), chips: n(160)},
		})
		require.Equal(t, []int64{0, 0, 0, 0}, fanRPMs(d), "Fan1..Fan4 stopped")
		require.Len(t, d.Pools, 1)
		require.Equal(t, "pool.example.com", d.Pools[0].URL.Host)
		require.Equal(t, 4444, d.Pools[0].URL.Port)
		require.Empty(t, d.Problems)
	}},
}

// withBoards returns a copy holding boards [from, to) re-indexed from 0.
func withBoards(d *drivers.MinerData, from, to int) *drivers.MinerData {
	c := *d
	c.Boards = nil
	for _, b := range d.Boards[from:to] {
		b.Index -= from
		c.Boards = append(c.Boards, b)
	}
	return &c
}

func sumBoards(d *drivers.MinerData) *float64 {
	c := *d
	c.Hashrate = nil
	return c.TotalHashrate()
}

func TestParseCaptures(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.folder, func(t *testing.T) {
			tc.check(t, parseFolder(t, tc.folder))
		})
	}
}

// Every capture folder has a case: a new capture fails here until tested.
func TestEveryCaptureFolderCovered(t *testing.T) {
	entries, err := os.ReadDir(captures)
	require.NoError(t, err)
	var dirs, covered []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	for _, tc := range cases {
		covered = append(covered, tc.folder)
	}
	sort.Strings(covered)
	require.Equal(t, dirs, covered)
}
