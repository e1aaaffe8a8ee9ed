package whatsminer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3/btminerv3test"
)

// isV3Capture tells API v3 capture folders (testdata/whatsminer/<model>_v3_<fw>).
func isV3Capture(name string) bool { return strings.Contains(name, "_v3_") }

func loadV3(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	raw, err := btminerv3test.LoadDir(dir)
	require.NoError(t, err)
	return raw
}

type wantV3Board struct {
	index        int
	ths          float64  // TH/s, edevs hash-average
	expectedTHs  *float64 // TH/s, edevs factory-hash
	boardC       *float64 // °C, summary board-temperature[slot]
	chipC        *float64 // °C, edevs chip-temp-max
	chips        int64
	mhz          *float64
	active       bool
	serialNumber string
}

type wantV3 struct {
	model, mac, hostname, fw, api, serial string
	ths, expectedTHs                      float64 // TH/s
	watts, limitW, envC                   float64 // W, W, °C
	uptime                                int64   // s
	fans                                  []int64 // RPM
	expectedBoards                        int64
	faultLight, mining                    bool
	errors                                []string // nil: no error report
	pools                                 int
	boards                                []wantV3Board
}

// Values worked out by hand from each folder's JSON.
var v3CaptureTable = map[string]wantV3{
	"M60S_v3_20251209.16.Rel2": {
		model: "M60S VK40", // miner.type "M60S_VK40"
		mac:   "CE:02:01:00:8C:36", hostname: "WhatsMiner",
		fw: "20251209.16.Rel2", api: "3.0.2", serial: "BTM3CS40HD24083100000000000000000",
		ths:         171.2,   // summary hash-1min (hash-realtime 171.259 is the 5 s value)
		expectedTHs: 181.051, // summary factory-hash
		watts:       3156,    // power-realtime
		limitW:      3600,    // power-limit
		envC:        28.5,    // environment-temperature
		uptime:      50000,   // elapsed
		fans:        []int64{5400, 5280},
		// board-num "3"; ledstatus "auto"; working "true"
		expectedBoards: 3, faultLight: false, mining: true,
		errors: nil, // no error-code key in this reply
		pools:  3,
		boards: []wantV3Board{
			{0, 57.1, f(60.35), f(41.1), f(80), 75, f(625), true, "BKM3CSE1404807K42757"},
			{1, 56.8, f(60.35), f(40.1), f(82), 75, f(625), true, "BKM3CSE1404812K43675"},
			{2, 56.9, f(60.35), f(41.5), f(81), 75, f(625), true, "BKM3CSE1404807K42762"},
		},
	},
}

func TestParseV3Captures(t *testing.T) {
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	seen := 0
	for _, dir := range dirs {
		if !dir.IsDir() || !isV3Capture(dir.Name()) {
			continue
		}
		seen++
		t.Run(dir.Name(), func(t *testing.T) {
			want, ok := v3CaptureTable[dir.Name()]
			require.True(t, ok, "capture folder %s has no expectations in v3CaptureTable", dir.Name())
			d := ParseRawV3(loadV3(t, filepath.Join(captures, dir.Name())))
			requireV3(t, want, d)
		})
	}
	require.Equal(t, len(v3CaptureTable), seen, "a v3 capture folder was removed")
}

func requireV3(t *testing.T, want wantV3, d *drivers.MinerData) {
	t.Helper()
	require.Empty(t, d.Problems)
	require.Equal(t, "Whatsminer", d.Make)
	require.Equal(t, "stock", d.Firmware)
	require.Equal(t, "sha256", d.Algorithm)
	require.Equal(t, want.model, d.Model)
	require.Equal(t, want.mac, d.MAC)
	require.Equal(t, want.hostname, d.Hostname)
	require.Equal(t, want.fw, d.FirmwareVersion)
	require.Equal(t, want.api, d.APIVersion)
	require.Equal(t, want.serial, d.SerialNumber)

	requireFloat(t, "hashrate TH/s", &want.ths, d.Hashrate)
	requireFloat(t, "expected hashrate TH/s", &want.expectedTHs, d.ExpectedHashrate)
	requireFloat(t, "power W", &want.watts, d.PowerWatts)
	requireFloat(t, "power limit W", &want.limitW, d.PowerLimitWatts)
	requireFloat(t, "env temperature °C", &want.envC, d.EnvTemperature)
	require.NotNil(t, d.UptimeSeconds)
	require.Equal(t, want.uptime, *d.UptimeSeconds, "uptime s")
	require.NotNil(t, d.ExpectedBoards)
	require.Equal(t, want.expectedBoards, *d.ExpectedBoards, "expected boards")
	require.NotNil(t, d.FaultLight)
	require.Equal(t, want.faultLight, *d.FaultLight, "fault light")
	require.NotNil(t, d.IsMining)
	require.Equal(t, want.mining, *d.IsMining, "is mining")

	require.Len(t, d.Fans, len(want.fans))
	for i, rpm := range want.fans {
		require.Equal(t, i, d.Fans[i].Index)
		require.NotNil(t, d.Fans[i].RPM)
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
	}
	if want.errors == nil {
		require.Nil(t, d.Errors)
	} else {
		codes := []string{}
		for _, e := range d.Errors {
			codes = append(codes, e.Code)
			require.NotEmpty(t, e.Message)
		}
		require.Equal(t, want.errors, codes)
	}
	require.Len(t, d.Pools, want.pools)

	require.Len(t, d.Boards, len(want.boards))
	for i, wb := range want.boards {
		b := d.Boards[i]
		require.Equal(t, wb.index, b.Index)
		require.NotNil(t, b.Hashrate)
		require.InDelta(t, wb.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
		requireFloat(t, "board expected TH/s", wb.expectedTHs, b.ExpectedHashrate)
		requireFloat(t, "board PCB °C", wb.boardC, b.Temperature)
		requireFloat(t, "board chip °C", wb.chipC, b.ChipTemperature)
		require.NotNil(t, b.Chips)
		require.Equal(t, wb.chips, *b.Chips, "board %d chips", i)
		requireFloat(t, "board MHz", wb.mhz, b.FrequencyMHz)
		require.NotNil(t, b.Active)
		require.Equal(t, wb.active, *b.Active, "board %d active", i)
		require.Equal(t, wb.serialNumber, b.SerialNumber)
	}
}

// Every pool field the v3 API has, on the capture.
func TestParseV3PoolsAllFields(t *testing.T) {
	d := ParseRawV3(loadV3(t, filepath.Join(captures, "M60S_v3_20251209.16.Rel2")))
	require.Len(t, d.Pools, 3)
	for i, p := range d.Pools {
		require.Equal(t, i, p.Index, `"pool-priority": %d`, i)
		require.Equal(t, "stratum+tcp", p.URL.Scheme)
		require.Equal(t, 3333, p.URL.Port)
		require.Equal(t, "asic-rs.test", p.User, "account")
		require.True(t, *p.Alive, `"status":"alive"`)
		require.Equal(t, i == 0, *p.Active, "stratum-active")
		// API v3 has no share counters: absent, not 0.
		require.Nil(t, p.Accepted)
		require.Nil(t, p.Rejected)
		require.Nil(t, p.Stale)
		require.Nil(t, p.GetFailures)
		require.Nil(t, p.RemoteFailures)
	}
	require.Equal(t, "stratum+tcp://btc.example.pool:3333", d.Pools[0].URL.Raw)
	require.Equal(t, "btc.example.pool", d.Pools[0].URL.Host)
	require.Equal(t, "btc2.example.pool", d.Pools[1].URL.Host)
	require.Equal(t, "btc3.example.pool", d.Pools[2].URL.Host)
}

// The same capture with an error-code list of {"<code>":"<time>","reason":..}.
func TestParseV3ErrorList(t *testing.T) {
	dir := filepath.Join(captures, "M60S_v3_20251209.16.Rel2")
	raw := loadV3(t, dir)
	var err error
	raw[V3DeviceInfo], err = os.ReadFile(filepath.Join(dir, "variant_get.device.info_with_errors.json"))
	require.NoError(t, err)
	d := ParseRawV3(raw)
	require.Empty(t, d.Problems)
	require.Equal(t, []drivers.MinerError{
		{Code: "264", Message: "Power supply communication error"},
		// Not in the table: the firmware's own reason is kept.
		{Code: "265", Message: "Power Unknow error. code: 0xffffffffc0000000"},
		{Code: "266", Message: "Power Unknow error. code: 0xffffffffc0000000"},
		{Code: "267", Message: "Power supply watchdog protection"},
		{Code: "270", Message: "Power supply input over-voltage protection"},
	}, d.Errors)
}

// Hand-written replies in the documented format: a dead board, padding,
// every error-code shape, 1-based pool ids.
func TestParseV3Handmade(t *testing.T) {
	d := ParseRawV3(loadV3(t, "testdata/handmade_v3"))
	requireV3(t, wantV3{
		model: "M30S++ VH70", mac: "CA:01:14:00:04:EB", hostname: "WhatsMiner-r12",
		fw: "20240722.07.51.REL", api: "3.0.0", serial: "HMS30PPVH70X0001",
		ths: 102.072, expectedTHs: 101.366, // hash-1min, factory-hash
		watts: 3268, limitW: 3500, envC: 34.8, // summary wins over power.pin 3264 and power-limit-set 3600
		uptime: 1074, fans: []int64{4980, 5070},
		expectedBoards: 3, faultLight: true, mining: true, // ledstatus "manual"
		// 531 twice, "junk", [1] and -5 dropped; sorted numerically
		errors: []string{"350", "531", "999", "2010", "2021"},
		pools:  3,
		boards: []wantV3Board{
			{0, 51.21, f(50.7), f(69.6), f(100.3), 111, f(788), true, "HHM1EK46702216K00001"},
			// Dead: reported with 0 TH/s and 0 chips; its 0 °C sensors are missing values.
			{1, 0, nil, nil, nil, 0, nil, false, "HHM1EK46702216K00002"},
			{2, 50.637, f(50.666), f(72.3), f(99.8), 111, f(786), true, "HHM1EK46702216K00003"},
			// slot 3: all zero beyond board-num 3: padding, not emitted
		},
	}, d)
	require.Equal(t, "Slot 0 temperature protection", d.Errors[0].Message)
	require.Equal(t, "Slot 1 not found", d.Errors[1].Message)
	require.Equal(t, "Vendor says something new", d.Errors[2].Message, "unknown code: firmware reason")
	require.Equal(t, "Pool 1 connection failed", d.Errors[4].Message)

	p := d.Pools
	require.Equal(t, []int{0, 1, 2}, []int{p[0].Index, p[1].Index, p[2].Index}, `"id" 1..3`)
	require.Equal(t, "stratum+ssl", p[1].URL.Scheme)
	require.Equal(t, "btc-eu.f2pool.com", p[1].URL.Host)
	require.Equal(t, 1315, p[1].URL.Port)
	require.False(t, *p[1].Alive, `"status":"dead"`)
	require.False(t, *p[1].Active)
	require.Equal(t, "btc.example.org", p[2].URL.Host, "URL without scheme")
	require.Equal(t, 25, p[2].URL.Port)

	// Summary without power: get.device.info power.pin (W) fills it.
	raw := loadV3(t, "testdata/handmade_v3")
	raw[V3Summary] = bytes.Replace(raw[V3Summary], []byte(`"power-realtime":3268,`), nil, 1)
	d = ParseRawV3(raw)
	require.Equal(t, 3264.0, *d.PowerWatts, "power.pin W")
}

func TestV3ErrorCodeShapes(t *testing.T) {
	wrap := func(list string) map[string][]byte {
		return map[string][]byte{V3DeviceInfo: []byte(`{"code":0,"msg":{"error-code":` + list + `}}`)}
	}
	d := ParseRawV3(wrap(`[]`))
	require.NotNil(t, d.Errors, "an empty list is known: no errors")
	require.Empty(t, d.Errors)
	d = ParseRawV3(wrap(`"btminer process is down err"`))
	require.Nil(t, d.Errors)
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), `"error-code"`)
	d = ParseRawV3(wrap(`[2010, "2010", {"code":"2010"}, 530, null, true, {"reason":"only a reason"}]`))
	require.Equal(t, []drivers.MinerError{
		{Code: "530", Message: "Slot 0 not found"},
		{Code: "2010", Message: "All pools are disabled"},
	}, d.Errors)
}

// One broken section never loses the rest.
func TestParseV3BrokenSection(t *testing.T) {
	raw := loadV3(t, filepath.Join(captures, "M60S_v3_20251209.16.Rel2"))
	raw[V3Edevs] = []byte(`{"code":0,"msg":{"edevs":`) // cut short
	raw[V3Summary] = bytes.Replace(raw[V3Summary], []byte(`"power-realtime": 3156.0`), []byte(`"power-realtime": "n/a"`), 1)
	d := ParseRawV3(raw)
	require.Len(t, d.Problems, 2)
	msgs := d.Problems[0].Error() + "\n" + d.Problems[1].Error()
	require.Contains(t, msgs, `"get.miner.status": field "power-realtime"`)
	require.ErrorIs(t, errors.Join(d.Problems...), drivers.ErrBadResponse)
	require.Empty(t, d.Boards)
	require.Nil(t, d.PowerWatts, "unparseable power is dropped, not 0 (power.pin is absent on this PSU)")
	require.InDelta(t, 171.2, *d.Hashrate, 1e-9, "summary TH/s kept")
	require.Equal(t, "M60S VK40", d.Model)
	require.Len(t, d.Pools, 3)

	// A section this firmware lacks (code -2) is silent; a refusal is not.
	raw = loadV3(t, filepath.Join(captures, "M60S_v3_20251209.16.Rel2"))
	raw[V3Edevs] = []byte(`{"code":-2,"msg":"invalid command"}`)
	raw[V3Pools] = []byte(`{"code":-1,"msg":"fail"}`)
	d = ParseRawV3(raw)
	require.Len(t, d.Problems, 1)
	var api *drivers.APIError
	require.True(t, errors.As(d.Problems[0], &api))
	require.Equal(t, int64(-1), api.Code)
	require.Empty(t, d.Boards)
	require.Empty(t, d.Pools)
	require.InDelta(t, 171.2, *d.Hashrate, 1e-9)
}

func startV3(t *testing.T, s *btminerv3test.Server) {
	t.Helper()
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
}

func gatherWith(t *testing.T, drv *Driver, rpcPort int, timeout time.Duration) (*drivers.MinerData, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: rpcPort}})
}

// End to end over the real framing: the probe's get.device.info is reused,
// the three status sections come in one request, and the second gather
// goes straight to v3.
func TestGatherV3(t *testing.T) {
	s := &btminerv3test.Server{Replies: loadV3(t, filepath.Join(captures, "M60S_v3_20251209.16.Rel2")), Join: true}
	startV3(t, s)
	drv := &Driver{V3Port: s.Port()}
	rpc := closedPort(t) // 4028 closed: a v3-only miner

	d, err := gatherWith(t, drv, rpc, 5*time.Second)
	require.NoError(t, err)
	requireV3(t, v3CaptureTable["M60S_v3_20251209.16.Rel2"], d)
	require.Equal(t, []string{"get.device.info", "get.miner.status.summary+edevs+pools"}, s.Requests())

	d, err = gatherWith(t, drv, rpc, 5*time.Second)
	require.NoError(t, err)
	require.InDelta(t, 171.2, *d.Hashrate, 1e-9, "TH/s")
	require.Len(t, s.Requests(), 4, "remembered v3: no probe, two connections")
}

// Firmware that does not join sections: one per connection, remembered.
func TestGatherV3NoJoin(t *testing.T) {
	s := &btminerv3test.Server{Replies: loadV3(t, "testdata/handmade_v3")}
	startV3(t, s)
	drv := &Driver{V3Port: s.Port()}
	rpc := closedPort(t)

	d, err := gatherWith(t, drv, rpc, 5*time.Second)
	require.NoError(t, err)
	require.Empty(t, d.Problems, "the refused join is not a problem")
	require.Len(t, d.Boards, 2+1)
	require.InDelta(t, 51.21, *d.Boards[0].Hashrate, 1e-9, "board 0 TH/s")
	require.Equal(t, []string{
		"get.device.info",
		"get.miner.status.summary+edevs+pools", // code -3
		"get.miner.status.summary", "get.miner.status.edevs", "get.miner.status.pools",
	}, s.Requests())

	_, err = gatherWith(t, drv, rpc, 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{
		"get.device.info", "get.miner.status.summary", "get.miner.status.edevs", "get.miner.status.pools",
	}, s.Requests()[5:], "the split is remembered")
}

// A v2 miner: the v3 probe fails, v2 answers, and v2 is remembered.
func TestGatherChoosesV2(t *testing.T) {
	s := &btminerv3test.Server{Mode: btminerv3test.Garbage} // something on 4433, not API v3
	startV3(t, s)
	m := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, filepath.Join(captures, "M20SV10_20210322.22.REL")), Multi: true, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	drv := &Driver{V3Port: s.Port()}

	d, err := gatherWith(t, drv, m.Port(), 5*time.Second)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.InDelta(t, 67.43935249, *d.Hashrate, 1e-6, "v2 TH/s")
	require.Equal(t, []string{"get.device.info"}, s.Requests())

	_, err = gatherWith(t, drv, m.Port(), 5*time.Second)
	require.NoError(t, err)
	require.Len(t, s.Requests(), 1, "remembered v2: no second probe")
}

// A remembered v3 miner that goes bad: the right result, no big buffer.
func TestGatherV3Bad(t *testing.T) {
	s := &btminerv3test.Server{Replies: loadV3(t, filepath.Join(captures, "M60S_v3_20251209.16.Rel2")), Join: true}
	startV3(t, s)
	drv := &Driver{V3Port: s.Port()}
	rpc := closedPort(t)
	_, err := gatherWith(t, drv, rpc, 5*time.Second)
	require.NoError(t, err)

	for mode, want := range map[btminerv3test.Mode]string{
		btminerv3test.HugeLen: drivers.ResultBadResponse,
		btminerv3test.HighBit: drivers.ResultBadResponse,
		btminerv3test.ZeroLen: drivers.ResultBadResponse,
		btminerv3test.Short:   drivers.ResultBadResponse,
		btminerv3test.Garbage: drivers.ResultBadResponse,
		btminerv3test.BadJSON: drivers.ResultBadResponse,
		btminerv3test.Silent:  drivers.ResultTimeout,
	} {
		s.SetMode(mode)
		d, err := gatherWith(t, drv, rpc, 300*time.Millisecond)
		require.Nil(t, d)
		require.Equal(t, want, drivers.Result(err), "mode %d: %v", mode, err)
	}
}

// Neither API answers.
func TestGatherNothingAnswers(t *testing.T) {
	drv := &Driver{V3Port: closedPort(t)}
	_, err := gatherWith(t, drv, closedPort(t), time.Second)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
	require.Contains(t, err.Error(), "API v3")
}
