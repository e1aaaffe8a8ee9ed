package braiins

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

const captures = "../../../testdata/braiins"

func parseFolder(t testing.TB, dir string) *drivers.MinerData {
	t.Helper()
	return Parse(cgminer.BatchFromRaw("test:4028", fakeminer.MustLoadDir(t, dir)))
}

type boardWant struct {
	hashrate, expected, temp, chipTemp, freqMHz *float64 // TH/s, TH/s, °C, °C, MHz
	chips                                       *int64
	active                                      *bool
}

type fanWant struct {
	rpm     int64
	percent float64
}

type captureWant struct {
	make, model, fwVersion, apiVersion string
	hashrate                           *float64 // TH/s, the miner's own total
	totalHashrate                      *float64 // TH/s, own total or board sum
	expectedHashrate                   *float64 // TH/s
	uptime                             *int64   // s
	power, powerLimit                  *float64 // W
	isMining                           *bool
	boards                             []boardWant
	fans                               []fanWant
	pools                              int
	errors                             *int // MinerErrors; nil: no error report (no tunerstatus)
}

var (
	f = drivers.Ptr[float64]
	i = drivers.Ptr[int64]
	b = drivers.Ptr[bool]
)

// Expected values are read off the JSON by hand; the arithmetic is in the
// comments.
var captureTable = map[string]captureWant{
	// Old cgminer-based bOS (bmminer): only version was captured.
	"S9_bOS_am1-s9-20181127-0_c34516b0": {
		make: "Antminer", model: "S9", // Type "braiins-am1-s9"
		fwVersion: "bOS_am1-s9-20181127-0_c34516b0", apiVersion: "3.1",
	},
	"S9_bosminer-0.2.0-d360818": {
		make: "Antminer", model: "", // no devdetails, no platform in the version: unknown
		fwVersion: "0.2.0-d360818", apiVersion: "3.7",
		hashrate:      f(14.194945838709138), // MHS 1m 14194945.838709138 / 1e6
		totalHashrate: f(14.194945838709138),
		uptime:        i(92),   // Elapsed
		isMining:      b(true), // no devs: summary 14.19 TH/s > 0
		boards: []boardWant{ // temps IDs 6,7,8 -> slots 0,1,2; Chip 0.0 = no sensor
			{temp: f(53)}, {temp: f(46)}, {temp: f(52)},
		},
		fans:  []fanWant{{1560, 1}, {1560, 1}}, // fans 2,3 at 0 RPM are unfitted S9 slots
		pools: 2,
	},
	"S9_bosminer-plus-0.2.0-36c56a9363": {
		make: "Antminer", model: "",
		fwVersion: "0.2.0-36c56a9363", apiVersion: "3.7", // key "BOSminer+"
		hashrate:      f(13.96727698800245), // 13967276.98800245 MH/s / 1e6
		totalHashrate: f(13.96727698800245),
		uptime:        i(3680),
		isMining:      b(true),
		boards:        []boardWant{{temp: f(75)}, {temp: f(63)}, {temp: f(70)}},
		fans:          []fanWant{{2820, 40}, {3780, 40}},
		pools:         3,
	},
	// The examples of Braiins' own API documentation.
	"S9_bosminer-plus-0.2.0-ea64aec8e_docs": {
		make: "Antminer", model: "S9", // "Bitmain Antminer S9"
		fwVersion: "0.2.0-ea64aec8e", // no version reply: STATUS Description "BOSminer+ 0.2.0-ea64aec8e"
		power:     f(1419), powerLimit: f(1420),
		errors: drivers.Ptr(0), // tunerstatus present, every chain normal: a clean report
		boards: []boardWant{ // ID 6,7,8; Frequency Hz / 1e6 = MHz; all "Tuning individual chips" (normal)
			{chips: i(63), freqMHz: f(799.682118), temp: f(81.875), chipTemp: f(104.625)},
			{chips: i(63), freqMHz: f(809.812285), temp: f(85.875), chipTemp: f(108.9375)},
			{chips: i(63), freqMHz: f(770.406487), temp: f(84.4375), chipTemp: f(105.4375)},
		},
		fans: []fanWant{{5340, 100}, {4620, 100}},
	},
	"S9_bosminer-plus-0.4.0-908ca41d": {
		make: "Antminer", model: "S9", // platform am1-s9 in "BOSminer bosminer-plus-am1-s9 0.4.0-908ca41d"
		fwVersion: "bosminer-plus-am1-s9 0.4.0-908ca41d",
		// 3.5917379840682694 + 3.752083429785603 + 3.623807073211736 = 10.967628487065608
		totalHashrate:    f(10.967628487065608),
		expectedHashrate: f(14.0049), // 3 x Nominal MHS 4668300 / 1e6 = 3 x 4.6683
		isMining:         b(true),
		boards: []boardWant{ // MHS 1m / 1e6
			{hashrate: f(3.5917379840682694), expected: f(4.6683), active: b(true)},
			{hashrate: f(3.752083429785603), expected: f(4.6683), active: b(true)},
			{hashrate: f(3.623807073211736), expected: f(4.6683), active: b(true)},
		},
	},
}

func TestCapturesAllCovered(t *testing.T) {
	entries, err := os.ReadDir(captures)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() {
			_, ok := captureTable[e.Name()]
			ok = ok || slices.Contains(capturedRESTDirs, e.Name())
			require.True(t, ok, "capture folder %s has no expectations in captureTable or capturedRESTDirs", e.Name())
		}
	}
}

func TestParseCaptures(t *testing.T) {
	for name, w := range captureTable {
		t.Run(name, func(t *testing.T) {
			d := parseFolder(t, filepath.Join(captures, name))
			require.Empty(t, d.Problems, "no problems expected")
			require.Equal(t, w.make, d.Make, "make")
			require.Equal(t, w.model, d.Model, "model")
			require.Equal(t, "braiins", d.Firmware, "firmware tag")
			require.Equal(t, "sha256", d.Algorithm, "algorithm")
			require.Equal(t, w.fwVersion, d.FirmwareVersion, "firmware version")
			require.Equal(t, w.apiVersion, d.APIVersion, "API version")
			require.Empty(t, d.MAC, "the 4028 API carries no MAC")
			inDelta(t, w.hashrate, d.Hashrate, "hashrate TH/s")
			inDelta(t, w.totalHashrate, d.TotalHashrate(), "total hashrate TH/s")
			inDelta(t, w.expectedHashrate, d.ExpectedHashrate, "expected hashrate TH/s")
			require.Equal(t, w.uptime, d.UptimeSeconds, "uptime s")
			inDelta(t, w.power, d.PowerWatts, "power W")
			inDelta(t, w.powerLimit, d.PowerLimitWatts, "power limit W")
			require.Equal(t, w.isMining, d.IsMining, "is mining")

			require.Len(t, d.Boards, len(w.boards), "boards")
			for n, wb := range w.boards {
				gb := d.Boards[n]
				require.Equal(t, n, gb.Index, "board %d slot", n)
				inDelta(t, wb.hashrate, gb.Hashrate, "board %d hashrate TH/s", n)
				inDelta(t, wb.expected, gb.ExpectedHashrate, "board %d expected hashrate TH/s", n)
				inDelta(t, wb.temp, gb.Temperature, "board %d temperature °C", n)
				inDelta(t, wb.chipTemp, gb.ChipTemperature, "board %d chip temperature °C", n)
				inDelta(t, wb.freqMHz, gb.FrequencyMHz, "board %d frequency MHz", n)
				require.Equal(t, wb.chips, gb.Chips, "board %d chips", n)
				require.Equal(t, wb.active, gb.Active, "board %d active", n)
			}
			require.Len(t, d.Fans, len(w.fans), "fans")
			for n, wf := range w.fans {
				require.Equal(t, n, d.Fans[n].Index, "fan %d index", n)
				require.NotNil(t, d.Fans[n].RPM, "fan %d RPM", n)
				require.Equal(t, wf.rpm, *d.Fans[n].RPM, "fan %d RPM", n)
				inDelta(t, &wf.percent, d.Fans[n].Percent, "fan %d speed %%", n)
			}
			require.Len(t, d.Pools, w.pools, "pools")
			if w.errors == nil {
				require.Nil(t, d.Errors, "no error report")
			} else {
				require.NotNil(t, d.Errors, "an error report, maybe clean")
				require.Len(t, d.Errors, *w.errors, "miner errors")
			}
		})
	}
}

func inDelta(t *testing.T, want, got *float64, msg string, args ...any) {
	t.Helper()
	ma := append([]any{msg}, args...)
	if want == nil {
		require.Nil(t, got, ma...)
		return
	}
	require.NotNil(t, got, ma...)
	require.InDelta(t, *want, *got, 1e-9, ma...)
}

// Every pool field, from S9_bosminer-0.2.0-d360818/pools.json.
func TestParsePoolsAllFields(t *testing.T) {
	d := parseFolder(t, filepath.Join(captures, "S9_bosminer-0.2.0-d360818"))
	require.Len(t, d.Pools, 2)

	p := d.Pools[0]
	require.Equal(t, 0, p.Index, "POOL 0")
	require.Equal(t, "stratum+tcp://stratum.antpool.com:3333", p.URL.Raw)
	require.Equal(t, "stratum+tcp", p.URL.Scheme)
	require.Equal(t, "stratum.antpool.com", p.URL.Host)
	require.Equal(t, 3333, p.URL.Port)
	require.Equal(t, "antminer_1", p.User)
	require.Equal(t, i(68), p.Accepted)
	require.Equal(t, i(2), p.Rejected)
	require.Equal(t, i(0), p.Stale)
	require.Equal(t, i(0), p.GetFailures)
	require.Equal(t, i(0), p.RemoteFailures)
	require.Equal(t, b(true), p.Active, "Stratum Active true")
	require.Equal(t, b(true), p.Alive, `Status "Alive"`)
	rej, ok := p.RejectedPercent()
	require.True(t, ok)
	require.InDelta(t, 2.0/70.0*100, rej, 1e-9, "rejected %% = 2 / (68 + 2) * 100")

	p = d.Pools[1]
	require.Equal(t, 1, p.Index, "POOL 1")
	require.Equal(t, "stratum.slushpool.com", p.URL.Host)
	require.Equal(t, 3333, p.URL.Port)
	require.Equal(t, "!non-existent-user!", p.User)
	require.Equal(t, i(0), p.Accepted)
	require.Equal(t, b(false), p.Active, "Stratum Active false")
	require.Equal(t, b(false), p.Alive, `Status "Dead"`)
}

// The hand-made BOSer-style folder: 1-based chains, a dead board, a failed
// tuner chain.
func TestParseHandmadeTunerFailed(t *testing.T) {
	d := parseFolder(t, "testdata/handmade_S19XP_boser_tuner_failed")
	require.Empty(t, d.Problems)
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, "S19 XP", d.Model, `"Bitmain Antminer S19XP"`)
	require.Equal(t, "boser-buildroot 0.1.0-0ce150e9", d.FirmwareVersion)
	require.Equal(t, "3.7", d.APIVersion)
	inDelta(t, f(3050), d.PowerWatts, "power W")
	inDelta(t, f(3100), d.PowerLimitWatts, "power limit W")
	// 3 x 46666666 MH/s / 1e6 = 139.999998 TH/s
	inDelta(t, f(139.999998), d.ExpectedHashrate, "expected hashrate TH/s")
	// 45 + 44 + 0 TH/s
	inDelta(t, f(89), d.TotalHashrate(), "total hashrate TH/s")
	require.Equal(t, b(true), d.IsMining)

	require.Len(t, d.Boards, 3, "the dead board is emitted")
	dead := d.Boards[2]
	require.Equal(t, 2, dead.Index, "chain ID 3 -> slot 2")
	inDelta(t, f(0), dead.Hashrate, "dead board hashrate TH/s")
	require.Equal(t, i(0), dead.Chips, "dead board chips")
	require.Equal(t, b(false), dead.Active, `Status "Dead"`)
	require.Nil(t, dead.Temperature, "0.0 = no sensor")
	inDelta(t, f(525), d.Boards[0].FrequencyMHz, "525000000 Hz")
	inDelta(t, f(13.2), d.Boards[0].VoltageVolts, "V")
	inDelta(t, f(70.25), d.Boards[0].ChipTemperature, "°C")

	require.Len(t, d.Errors, 1, "Stable and Testing performance profile are normal")
	require.Equal(t, "", d.Errors[0].Code)
	require.Contains(t, d.Errors[0].Message, "hashboard 2")
	require.Contains(t, d.Errors[0].Message, "Failed")
}

// One broken section (an unparseable field, an unparseable reply, a miner
// error) loses only itself.
func TestParseBrokenSectionKeepsRest(t *testing.T) {
	raw := fakeminer.MustLoadDir(t, filepath.Join(captures, "S9_bosminer-plus-0.2.0-36c56a9363"))
	raw["summary"] = []byte(`{"STATUS":[{"STATUS":"S","Code":11}],"SUMMARY":[{"MHS 1m":"fast","Elapsed":3680}],"id":1}`)
	raw["temps"] = []byte(`{"STATUS":[{"STATUS":"S"`)
	raw["devs"] = []byte(`{"STATUS":[{"STATUS":"E","Code":45,"Msg":"Access denied"}],"id":1}`)
	raw["devdetails"] = []byte(`{"STATUS":[{"STATUS":"E","Code":14,"Msg":"Invalid command"}],"id":1}`)
	d := Parse(cgminer.BatchFromRaw("test:4028", raw))

	require.Nil(t, d.Hashrate, "unreadable MHS 1m dropped")
	require.Equal(t, i(3680), d.UptimeSeconds, "rest of summary kept")
	require.Empty(t, d.Boards, "temps lost")
	require.Len(t, d.Fans, 2, "fans kept")
	require.Len(t, d.Pools, 3, "pools kept")
	require.Equal(t, "0.2.0-36c56a9363", d.FirmwareVersion, "version kept")

	msgs := make([]string, 0, len(d.Problems))
	for _, p := range d.Problems {
		msgs = append(msgs, p.Error())
	}
	joined := strings.Join(msgs, "\n")
	require.Len(t, d.Problems, 3, joined)
	require.Contains(t, joined, `command "summary": field "MHS 1m"`)
	require.Contains(t, joined, `command "temps"`)
	require.Contains(t, joined, `command "devs"`)
	require.NotContains(t, joined, "devdetails", "a command the firmware lacks is skipped silently")
}

func TestCleanModel(t *testing.T) {
	for in, want := range map[string]string{
		"Bitmain Antminer S9":            "S9",
		"Bitmain Antminer S19XP":         "S19 XP",
		"Bitmain Antminer S19jPro ":      "S19j Pro",
		"Antminer S19 Pro (Braiins OS)":  "S19 Pro",
		"Bitmain  Antminer   S21+  ":     "S21+",
		"Antminer S19k Pro":              "S19k Pro",
		"Bitmain Antminer S19 XP Hydro ": "S19 XP Hydro",
	} {
		require.Equal(t, want, cleanModel(in), in)
	}
}

func serve(t *testing.T, dir string, multi bool) *fakeminer.Miner {
	t.Helper()
	m := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, dir), Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m
}

func gather(t *testing.T, m *fakeminer.Miner) (*drivers.MinerData, error) {
	t.Helper()
	drv, err := drivers.New("braiins")
	require.NoError(t, err)
	require.Equal(t, "braiins", drv.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return drv.Gather(ctx, rpcOnly(t, m.Port()))
}

// closedPort is a loopback port nobody listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// rpcOnly is a target whose gRPC and web ports are closed, as on firmware
// that has only the 4028 API.
func rpcOnly(t *testing.T, rpc int) drivers.Target {
	return drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: rpc, GRPC: closedPort(t), Web: closedPort(t)}}
}

func TestGatherEndToEnd(t *testing.T) {
	for _, multi := range []bool{true, false} {
		name := "multi"
		if !multi {
			name = "one_per_connection"
		}
		t.Run(name, func(t *testing.T) {
			m := serve(t, filepath.Join(captures, "S9_bosminer-plus-0.2.0-36c56a9363"), multi)
			d, err := gather(t, m)
			require.NoError(t, err)
			// devs, devdetails and tunerstatus answer "Invalid command": skipped.
			require.Empty(t, d.Problems)
			require.Equal(t, "0.2.0-36c56a9363", d.FirmwareVersion)
			inDelta(t, f(13.96727698800245), d.Hashrate, "hashrate TH/s")
			require.Equal(t, i(3680), d.UptimeSeconds)
			require.Len(t, d.Boards, 3)
			inDelta(t, f(75), d.Boards[0].Temperature, "board 0 °C")
			require.Len(t, d.Fans, 2)
			require.Len(t, d.Pools, 3)

			cmds := m.Commands()
			if multi {
				require.Equal(t, []string{strings.Join(Commands, "+")}, cmds, "one joined request")
			} else {
				// The joined request is rejected, then one per command.
				require.Len(t, cmds, 1+len(Commands))
			}
		})
	}
}

func TestGatherUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d, err := (&Driver{}).Gather(ctx, rpcOnly(t, closedPort(t)))
	require.Nil(t, d)
	require.Error(t, err)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

func TestGatherSilentMinerTimesOut(t *testing.T) {
	m := &fakeminer.Miner{Mode: fakeminer.Silent}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	d, err := (&Driver{}).Gather(ctx, rpcOnly(t, m.Port()))
	require.Nil(t, d)
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err))
}
