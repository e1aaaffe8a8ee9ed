package braiins

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// capturedRESTFiles maps the file names of the captured REST folders
// (named after the REST paths, as asic-rs stores them) to the methods.
var capturedRESTFiles = map[string]string{
	"miner_details.json": mDetails, "miner_stats.json": mStats, "miner_hw_hashboards.json": mHashboards,
	"miner_errors.json": mErrors, "cooling_state.json": mCooling, "pools.json": mPools,
	"performance_tuner_state.json": mTuner, "configuration_miner.json": mConfig,
	"actions_locate.json": mLocate, "version.json": mVersion,
}

// capturedRESTRoot holds the captured folders: they are golden cases too
// (origin in its ORIGIN.md).
const capturedRESTRoot = "../../../testdata/braiins"

// capturedRESTDirs are the REST folders there, each a case of
// TestParseRESTCaptures.
var capturedRESTDirs = []string{"S21Pro_bos-26.04_rest", "S19XP_bos-25.11_rest", "S19XP_bos-25.07_rest"}

func loadCapturedREST(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for file, m := range capturedRESTFiles {
		b, err := os.ReadFile(filepath.Join(capturedRESTRoot, dir, file))
		require.NoError(t, err)
		out[m] = b
	}
	return out
}

type capturedBoard struct {
	hashrate, expected, temp, chipTemp, inlet, outlet, volts, mhz float64
	chips                                                         int64
	serial                                                        string
}

// Real replies of Braiins OS 25.07, 25.11 and 26.04 (testdata/braiins/
// *_rest, see its ORIGIN.md); every value read off the JSON by hand.
func TestParseRESTCaptures(t *testing.T) {
	for _, tc := range []struct {
		dir, model, fw, api, mac, serial string
		hashrate, expected, power, limit float64
		uptime                           int64
		boards                           []capturedBoard
		fanRPM                           []int64
		fanPct                           float64
		pool0Accepted, pool0Rejected     int64
		errors                           int
	}{
		{
			dir: "S21Pro_bos-26.04_rest", model: "S21 Pro", fw: "26.04", api: "1.3.0",
			mac: "02:8F:77:EC:E7:E0", serial: "THQGFKUBDJIAH0E9G",
			// last_1m 247350.7543407177 GH/s; nominal 252597.58314720003 GH/s
			hashrate: 247.3507543407177, expected: 252.59758314720003, power: 3480, limit: 3500, uptime: 7039,
			boards: []capturedBoard{
				{81.3479502098183, 83.43320451864, 50.375, 65.375, 35.625, 50.375, 13.738724999999999, 625.865384, 65, "THQGYSCBDJIAH11S3"},
				{84.52912132906471, 84.66840701136, 48.5625, 63.5625, 36.625, 48.5625, 13.738724999999999, 635.384615, 65, "THQGYSCBDJIAH120Z"},
				{80.53223907359612, 84.4959716172, 48.5, 63.5, 35.125, 48.5, 13.738724999999999, 634.423076, 65, "THQGYSCBDJIAH12AD"},
			},
			fanRPM: []int64{5943, 5943, 5943, 5973}, fanPct: 92, // target_speed_ratio 0.92
			pool0Accepted: 848, pool0Rejected: 0, errors: 23,
		},
		{
			dir: "S19XP_bos-25.11_rest", model: "S19 XP", fw: "25.11", api: "1.1.0",
			mac: "90:34:86:54:14:C0", serial: "YNAHEAUBCJCBA03GL",
			hashrate: 119.99500778523809, expected: 119.96784610414201, power: 2472, limit: 2431, uptime: 20359,
			boards: []capturedBoard{
				{41.4436531526418, 40.139961193194004, 56.5, 71.5, 42, 56.5, 12.606122448979592, 406.25, 110, "YNAHYPDBCJEJD00MJ"},
				{39.62163211017575, 39.940710357624006, 54.5, 69.5, 42, 54.5, 12.606122448979592, 402.727272, 110, "YNAHYPDBCJEJD00MV"},
				{38.78148593476335, 39.887174553324, 56, 71, 44, 56, 12.606122448979592, 401.53409, 110, "YNAHYPDBCJEJD00MY"},
			},
			fanRPM: []int64{5879, 5819, 5909, 5909}, fanPct: 100,
			pool0Accepted: 5048, pool0Rejected: 10, errors: 5,
		},
		{
			// serial_number null: no serial.
			dir: "S19XP_bos-25.07_rest", model: "S19 XP", fw: "25.07", api: "1.0.0",
			mac: "02:EE:DA:A9:B6:4A", serial: "",
			hashrate: 144.00907569446343, expected: 142.876598290866, power: 3137, limit: 3031, uptime: 69685,
			boards: []capturedBoard{
				{48.81580137715294, 47.98085015365201, 55.5, 70.5, 41, 55.5, 12.93826530612245, 486.704545, 110, "NGSBYPDBCJBAG8562"},
				{46.12295984268281, 45.572479616802006, 52, 67, 40, 52, 12.93826530612245, 461.931818, 110, "NGSBYPDBCJBAG8567"},
				{49.225760703946996, 49.32326852041201, 54, 69, 41.5, 54, 12.93826530612245, 500, 110, "NGSBYPDBCJBBA0309"},
			},
			fanRPM: []int64{5904, 5874, 5874, 5904}, fanPct: 100,
			pool0Accepted: 10460, pool0Rejected: 18, errors: 2,
		},
	} {
		require.Contains(t, capturedRESTDirs, tc.dir)
		t.Run(tc.dir, func(t *testing.T) {
			d := ParseREST(&RESTReplies{Bodies: loadCapturedREST(t, tc.dir)})
			require.Empty(t, d.Problems)
			require.Equal(t, "Antminer", d.Make)
			require.Equal(t, tc.model, d.Model)
			require.Equal(t, "braiins", d.Firmware)
			require.Equal(t, "sha256", d.Algorithm)
			require.Equal(t, tc.fw, d.FirmwareVersion)
			require.Equal(t, tc.api, d.APIVersion)
			require.Equal(t, tc.mac, d.MAC)
			require.Equal(t, "Antminer", d.Hostname)
			require.Equal(t, tc.serial, d.SerialNumber)
			inDelta(t, f(tc.hashrate), d.Hashrate, "hashrate TH/s: last_1m GH/s / 1e3")
			inDelta(t, f(tc.expected), d.ExpectedHashrate, "expected TH/s: nominal GH/s / 1e3")
			inDelta(t, f(tc.power), d.PowerWatts, "approximated_consumption W")
			inDelta(t, f(tc.limit), d.PowerLimitWatts, "tuner power target W")
			require.Equal(t, i(tc.uptime), d.UptimeSeconds, "bosminer_uptime_s")
			require.Equal(t, b(true), d.IsMining, "status 2 = NORMAL")
			require.Equal(t, b(false), d.FaultLight, "locate false")
			require.Nil(t, d.EnvTemperature)
			require.Nil(t, d.PSUFanRPM)

			require.Len(t, d.Boards, len(tc.boards))
			for n, w := range tc.boards {
				g := d.Boards[n]
				require.Equal(t, n, g.Index)
				inDelta(t, f(w.hashrate), g.Hashrate, "board %d TH/s", n)
				inDelta(t, f(w.expected), g.ExpectedHashrate, "board %d nominal TH/s", n)
				inDelta(t, f(w.temp), g.Temperature, "board %d board_temp °C", n)
				inDelta(t, f(w.chipTemp), g.ChipTemperature, "board %d highest chip °C", n)
				inDelta(t, f(w.inlet), g.InletTemperature, "board %d inlet °C", n)
				inDelta(t, f(w.outlet), g.OutletTemperature, "board %d outlet °C", n)
				inDelta(t, f(w.volts), g.VoltageVolts, "board %d V", n)
				inDelta(t, f(w.mhz), g.FrequencyMHz, "board %d MHz: Hz / 1e6", n)
				require.Equal(t, i(w.chips), g.Chips, "board %d chips", n)
				require.Equal(t, b(true), g.Active, "board %d enabled", n)
				require.Equal(t, w.serial, g.SerialNumber, "board %d serial", n)
			}
			require.Len(t, d.Fans, len(tc.fanRPM))
			for n, rpm := range tc.fanRPM {
				require.Equal(t, n, d.Fans[n].Index)
				require.Equal(t, i(rpm), d.Fans[n].RPM, "fan %d RPM", n)
				inDelta(t, f(tc.fanPct), d.Fans[n].Percent, "fan %d %%", n)
			}

			// One group "Default", two pools (hosts anonymised upstream).
			require.Len(t, d.Pools, 2)
			p0, p1 := d.Pools[0], d.Pools[1]
			require.Equal(t, poolmetrics.URL{Raw: "stratum+tcp://example.pool.com:3333", Scheme: "stratum+tcp", Host: "example.pool.com", Port: 3333, Parsed: true}, p0.URL)
			require.Equal(t, "asic_rs.test", p0.User)
			require.Equal(t, i(tc.pool0Accepted), p0.Accepted)
			require.Equal(t, i(tc.pool0Rejected), p0.Rejected)
			require.Equal(t, i(0), p0.Stale)
			require.Nil(t, p0.GetFailures, "not in the API")
			require.Equal(t, b(true), p0.Active)
			require.Equal(t, b(true), p0.Alive)
			require.Equal(t, 1, p1.Index)
			require.Equal(t, "example.pool2.com", p1.URL.Host)
			require.Equal(t, b(false), p1.Active)

			// GetErrors is the miner's error history (entries weeks older
			// than this bosminer run, the same message every few minutes).
			// Without the time of reading, every distinct entry is kept.
			require.Len(t, d.Errors, tc.errors)
		})
	}
}

// The 26.04 history carries coded entries (V2 and H1, each logged on
// 2026-03-20 and again on 2026-03-22): the code is kept.
func TestParseRESTCapturedErrorCodes(t *testing.T) {
	d := ParseREST(&RESTReplies{Bodies: loadCapturedREST(t, "S21Pro_bos-26.04_rest")})
	codes := map[string]int{}
	for _, e := range d.Errors {
		codes[e.Code]++
	}
	require.Equal(t, 1, codes["V2"], "logged twice, reported once")
	require.Equal(t, 1, codes["H1"])
	require.Equal(t, 21, codes[""])
	require.Contains(t, d.Errors, drivers.MinerError{Code: "H1", Message: "{ERR:H1} Hashboard 1 has a problem, but this is a NoPIC miner and bosminer can't disable it individually for safety reasons"})
}

// Read at a known time, only the entries since bosminer started are the
// miner's errors now. Each capture was read after its pool's last share
// (pools.json, on the miner's own clock; 2026-04-17 17:0x-17:2x UTC) and
// bosminer had been up 7039, 20359 and 69685 s: every entry of the history
// (newest 2026-04-08 and 04-10) is from an earlier run, and a miner at 98%
// of nominal reports no error. Had it been read a minute after its newest
// entry, that entry (a pool host that does not resolve) would be its one
// error, however often it was logged.
func TestParseRESTCapturedErrorsOfThisRun(t *testing.T) {
	for _, tc := range []struct {
		dir             string
		lastShare       int64 // pools[0].stats.last_share_time.seconds
		newest, message string
	}{
		{"S21Pro_bos-26.04_rest", 1776445677, "2026-04-08T08:16:48.007413Z", `Failed to resolve ("a830bcc3.bos.braiins.com", 3336)`},
		{"S19XP_bos-25.11_rest", 1776446537, "2026-04-10T08:09:55.661376Z", `Failed to resolve ("mine.ocean.xyz", 3334)`},
		{"S19XP_bos-25.07_rest", 1776446524, "2026-04-08T08:03:18.155033Z", `Failed to resolve ("a830bcc3.bos.braiins.com", 3336)`},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			d := ParseREST(&RESTReplies{Bodies: loadCapturedREST(t, tc.dir), At: time.Unix(tc.lastShare, 0)})
			require.Empty(t, d.Errors)
			require.NotNil(t, d.Errors, "GetErrors answered: no errors, not unknown")

			newest, err := time.Parse(time.RFC3339Nano, tc.newest)
			require.NoError(t, err)
			d = ParseREST(&RESTReplies{Bodies: loadCapturedREST(t, tc.dir), At: newest.Add(time.Minute)})
			require.Equal(t, []drivers.MinerError{{Message: tc.message}}, d.Errors)
		})
	}
}

// Each captured folder served as its firmware by capserve (its own REST
// login, the token bare in Authorization; gRPC and 4028 refused, as the
// golden runner serves it): the driver falls from gRPC to REST and reads
// what ParseREST reads off the files, every page found.
func TestRESTGatherCaptured(t *testing.T) {
	for _, tc := range []struct {
		dir, model string
		hashrate   float64
	}{
		{"S21Pro_bos-26.04_rest", "S21 Pro", 247.3507543407177},
		{"S19XP_bos-25.11_rest", "S19 XP", 119.99500778523809},
		{"S19XP_bos-25.07_rest", "S19 XP", 144.00907569446343},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			c := capserve.Load(t, filepath.Join(capturedRESTRoot, tc.dir))
			spec := capserve.FullSpec(Name, c)
			require.False(t, spec.GRPC || spec.RPC, "only the REST API was captured")
			m := capserve.Start(t, c, spec)
			drv := &Driver{}
			d, err := gatherWith(t, drv, m.Target)
			require.NoError(t, err)
			require.Equal(t, pathREST, drv.path(m.Target.Host, fmt.Sprintf("%s|%d|%d|%d", m.Target.Host, m.Target.Ports.GRPC, m.Target.Ports.Web, m.Target.Ports.RPC)))
			require.Empty(t, d.Problems, "every page the driver asks is served or not in this firmware (404)")
			require.Equal(t, tc.model, d.Model)
			inDelta(t, f(tc.hashrate), d.Hashrate, "hashrate TH/s")
			require.Len(t, d.Boards, 3)
			require.Len(t, d.Fans, 4)
			require.Len(t, d.Pools, 2)
			require.NotNil(t, d.PowerLimitWatts)
			require.Empty(t, d.Errors, "read now, every entry of the history is older than this bosminer run")
			require.NotNil(t, d.Errors)
		})
	}
}
