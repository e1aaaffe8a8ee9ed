package whatsminer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

const captures = "../../../testdata/whatsminer"

// loadDir reads <command>.json / <command>.raw files. Files that are not the
// reply to a command of that name (error_reply_to_*) are left out.
func loadDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || (ext != ".json" && ext != ".raw") || strings.HasPrefix(name, "error_reply") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		out[strings.TrimSuffix(name, ext)] = b
	}
	require.NotEmpty(t, out, dir)
	return out
}

type wantBoard struct {
	index      int
	ths        float64 // TH/s
	boardC     float64 // °C, PCB
	chipC      *float64
	chips      int64
	mhz        float64
	hashUnkown bool
}

type wantMiner struct {
	ths, expectedTHs *float64 // TH/s
	watts, limitW    *float64
	envC             *float64
	uptime           int64 // s
	mac, fw, api     string
	fans             []int64 // RPM, index = position
	psuFanRPM        int64   // summary "Power Fanspeed"; 0 = not reported
	errors           []string
	pools            int
	boards           []wantBoard
}

func f(v float64) *float64 { return &v }

// Every capture folder, with values worked out by hand from its JSON.
var captureTable = map[string]wantMiner{
	"M20SV10_20210322.22.REL": {
		ths:         f(67.43935249), // SUMMARY "MHS 1m" 67439352.49 MH/s / 1e6
		expectedTHs: f(68.796),      // "Factory GHS" 68796 GH/s / 1e3
		watts:       f(3417), limitW: f(3500),
		uptime: 10154, mac: "C4:08:28:00:A4:19",
		fw: "20210322.22.REL", api: "1.4.0", // get_version fw_ver, api_ver "whatsminer v1.4.0"
		fans:      []int64{6450, 6480},
		psuFanRPM: 9060,       // "Power Fanspeed"
		errors:    []string{}, // "Error Code Count": 0
		pools:     3,
		boards: []wantBoard{ // devs (no edevs): MHS 1m / 1e6, Temperature, Chip Temp Max, Effective Chips, Chip Frequency
			{0, 22.10378984, 70.0, f(90.0), 105, 650, false},
			{1, 22.71979979, 69.5, f(90.11), 105, 652, false},
			{2, 22.55473792, 71.5, f(92.5), 105, 643, false},
		},
	},
	"M20S_20200917.22.REL": { // summary.raw: \'...\' around the firmware version
		ths:         f(67.26644769), // 67266447.69 MH/s
		expectedTHs: f(67.051),      // 67051 GH/s
		watts:       f(3491), limitW: f(3500), envC: f(28.5),
		uptime: 66295, mac: "C4:11:04:01:3C:75", fw: "20200917.22.REL",
		fans:      []int64{4950, 4920},
		psuFanRPM: 8880, // "Power Fanspeed"
		errors:    []string{},
		boards: []wantBoard{
			{0, 22.07966563, 71.5, f(87.70), 111, 617, false}, // 22079665.63 MH/s
			{1, 23.47092744, 68.5, f(84.50), 111, 632, false}, // 23470927.44
			{2, 21.71030501, 72.0, f(87.20), 111, 619, false}, // 21710305.01
		},
	},
	"M20S_cgminer4.9.2_2019": { // no devs: boards from STATS SMn
		ths:       f(65.46382208), // 65463822.08 MH/s
		uptime:    97139,
		fans:      []int64{4590, 4560},
		psuFanRPM: 8160, // "Power Fanspeed"
		errors:    []string{},
		pools:     2,
		boards: []wantBoard{ // temp_1 (temp_2 = 0 is no sensor), chip_num, freqs_avg
			{0, 0, 75.0, nil, 105, 656, true},
			{1, 0, 73.0, nil, 105, 636, true},
			{2, 0, 72.5, nil, 105, 616, true},
		},
	},
	"M3_cgminer4.9.2_2018": {
		ths:    f(12.23907972), // 12239079.72 MH/s
		uptime: 43685,
		fans:   []int64{5730, 5880},
		pools:  3,
		boards: []wantBoard{ // temp_1; temp_2..temp_8 are 0
			{0, 0, 85.5, nil, 63, 635, true},
			{1, 0, 75.0, nil, 63, 636, true},
			{2, 0, 75.5, nil, 63, 635, true},
		},
	},
	"M31S_20200512.13.REL": {
		ths:         f(85.16347324), // 85163473.24 MH/s
		expectedTHs: f(86.472),      // 86472 GH/s
		watts:       f(3230), limitW: f(3600), envC: f(11),
		uptime: 29600, mac: "C6:02:14:00:1F:B3", fw: "20200512.13.REL",
		fans:      []int64{2370, 2430},
		psuFanRPM: 7576,            // "Power Fanspeed"
		errors:    []string{"205"}, // Error Code Count 1; the Factory Error Codes 202, 2310 are not current
		pools:     3,
		boards: []wantBoard{
			{0, 29.64887376, 80.0, f(99.79), 156, 546, false}, // 29648873.76
			{1, 27.74021377, 72.0, f(89.14), 156, 519, false}, // 27740213.77
			{2, 27.62287512, 72.5, f(90.64), 156, 518, false}, // 27622875.12
		},
	},
	"M31S_20201202.22.REL": {
		ths:         f(77.9094486), // 77909448.60 MH/s (5 s says 92.77: why 1 m is used)
		expectedTHs: f(75.697),     // 75697 GH/s
		watts:       f(3553), limitW: f(3600), envC: f(7),
		uptime: 33102, mac: "C6:06:12:00:2D:63", fw: "20201202.22.REL",
		fans:      []int64{5700, 0}, // exhaust fan stopped: reported, with codes 111/131
		psuFanRPM: 7608,             // "Power Fanspeed"
		errors:    []string{"110", "111", "131"},
		pools:     3,
		boards: []wantBoard{
			{0, 24.72071863, 57.5, f(77.44), 105, 686, false}, // 24720718.63
			{1, 26.02662149, 72.0, f(93.00), 105, 726, false}, // 26026621.49
			{2, 25.86280506, 68.0, f(89.17), 105, 718, false}, // 25862805.06
		},
	},
	"M31S_20210109.22.REL": {
		ths:         f(97.87872592), // 97878725.92 MH/s
		expectedTHs: f(100.999),     // 100999 GH/s
		watts:       f(3496), limitW: f(3600),
		uptime: 1216997, mac: "C4:05:09:00:02:9B", fw: "20210109.22.REL",
		fans:      []int64{3870, 3930},
		psuFanRPM: 8784, // "Power Fanspeed"
		errors:    []string{"206", "2320"},
		pools:     1,
		boards: []wantBoard{
			{0, 30.32274305, 79.5, f(94.95), 215, 414, false}, // 30322743.05
			{1, 32.63916866, 80.0, f(94.9), 215, 444, false},  // 32639168.66
			{2, 33.44075388, 79.5, f(92.9), 215, 455, false},  // 33440753.88
		},
	},
}

func TestParseCaptures(t *testing.T) {
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	seen := 0
	for _, dir := range dirs {
		if !dir.IsDir() || isV3Capture(dir.Name()) {
			continue // API v3 folders: v3_test.go
		}
		seen++
		t.Run(dir.Name(), func(t *testing.T) {
			want, ok := captureTable[dir.Name()]
			require.True(t, ok, "capture folder %s has no expectations in captureTable", dir.Name())
			d := ParseRaw(loadDir(t, filepath.Join(captures, dir.Name())))
			require.Empty(t, d.Problems)

			require.Equal(t, "Whatsminer", d.Make)
			require.Equal(t, "stock", d.Firmware)
			require.Equal(t, "sha256", d.Algorithm)
			require.Equal(t, want.mac, d.MAC)
			require.Equal(t, want.fw, d.FirmwareVersion)
			require.Equal(t, want.api, d.APIVersion)

			requireFloat(t, "hashrate TH/s", want.ths, d.Hashrate)
			requireFloat(t, "expected hashrate TH/s", want.expectedTHs, d.ExpectedHashrate)
			requireFloat(t, "power W", want.watts, d.PowerWatts)
			requireFloat(t, "power limit W", want.limitW, d.PowerLimitWatts)
			requireFloat(t, "env temperature °C", want.envC, d.EnvTemperature)
			require.NotNil(t, d.UptimeSeconds)
			require.Equal(t, want.uptime, *d.UptimeSeconds, "uptime s")
			require.NotNil(t, d.IsMining)
			require.True(t, *d.IsMining, "hashing miner")

			require.Len(t, d.Fans, len(want.fans))
			for i, rpm := range want.fans {
				require.Equal(t, i, d.Fans[i].Index)
				require.NotNil(t, d.Fans[i].RPM)
				require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
			}

			if want.psuFanRPM == 0 {
				require.Nil(t, d.PSUFanRPM, "PSU fan RPM")
			} else {
				require.NotNil(t, d.PSUFanRPM, "PSU fan RPM")
				require.Equal(t, want.psuFanRPM, *d.PSUFanRPM, "PSU fan RPM")
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
				if wb.hashUnkown {
					require.Nil(t, b.Hashrate, "board %d hashrate", i)
				} else {
					require.NotNil(t, b.Hashrate)
					require.InDelta(t, wb.ths, *b.Hashrate, 1e-6, "board %d TH/s", i)
				}
				requireFloat(t, "board °C", &wb.boardC, b.Temperature)
				requireFloat(t, "chip °C", wb.chipC, b.ChipTemperature)
				require.NotNil(t, b.Chips)
				require.Equal(t, wb.chips, *b.Chips, "board %d chips", i)
				requireFloat(t, "board MHz", &wb.mhz, b.FrequencyMHz)
			}
		})
	}
	require.Equal(t, len(captureTable), seen, "a capture folder was removed")
}

func requireFloat(t *testing.T, what string, want, got *float64) {
	t.Helper()
	if want == nil {
		require.Nil(t, got, what)
		return
	}
	require.NotNil(t, got, what)
	require.InDelta(t, *want, *got, 1e-6, what)
}

// Every pool field of the one capture where all counters are non-zero.
func TestParsePoolsAllFields(t *testing.T) {
	d := ParseRaw(loadDir(t, filepath.Join(captures, "M31S_20210109.22.REL")))
	require.Len(t, d.Pools, 1)
	p := d.Pools[0]
	require.Equal(t, 0, p.Index, `"POOL":1 but "Priority":0: the index is 0-based`)
	require.Equal(t, "stratum+tcp://btc.luxor.tech:700", p.URL.Raw)
	require.Equal(t, "stratum+tcp", p.URL.Scheme)
	require.Equal(t, "btc.luxor.tech", p.URL.Host)
	require.Equal(t, 700, p.URL.Port)
	require.Equal(t, "xxx", p.User)
	require.Equal(t, int64(457459), *p.Accepted)
	require.Equal(t, int64(518), *p.Rejected)
	require.Equal(t, int64(95), *p.Stale)
	require.Equal(t, int64(7), *p.GetFailures)
	require.Equal(t, int64(1), *p.RemoteFailures)
	require.True(t, *p.Active)
	require.True(t, *p.Alive)

	// 2018 firmware numbers from 0 and has a dead pool.
	d = ParseRaw(loadDir(t, filepath.Join(captures, "M3_cgminer4.9.2_2018")))
	require.Equal(t, []int{0, 1, 2}, []int{d.Pools[0].Index, d.Pools[1].Index, d.Pools[2].Index})
	require.False(t, *d.Pools[0].Alive, `"Status":"Dead"`)
	require.Equal(t, int64(942), *d.Pools[1].GetFailures)
	require.Equal(t, int64(2), *d.Pools[1].Stale)
}

// The \' in summary.raw is not JSON; the transport's repair keeps the
// summary.
func TestSummaryRawIsRepaired(t *testing.T) {
	raw := loadDir(t, filepath.Join(captures, "M20S_20200917.22.REL"))
	require.Contains(t, string(raw["summary"]), `\'20200917.22.REL\'`)
	require.Equal(t, "20200917.22.REL", ParseRaw(raw).FirmwareVersion)
}

func hybrid(t testing.TB) map[string][]byte {
	raw := loadDir(t, filepath.Join(captures, "M31S_20201202.22.REL"))
	for k, v := range loadDir(t, "testdata/handmade_api2.0.4") {
		raw[k] = v
	}
	return raw
}

// The get_* commands, on hand-made replies around a real summary.
func TestParseWhatsminerStyleCommands(t *testing.T) {
	raw := hybrid(t)
	d := ParseRaw(raw)
	require.Empty(t, d.Problems)
	require.Equal(t, "M31S V20", d.Model, `devdetails "M31S_V21"`)
	require.Equal(t, "C6:06:12:00:2D:63", d.MAC, "get_miner_info mac, upper-cased")
	require.Equal(t, "WhatsMiner-rack7", d.Hostname)
	require.Equal(t, "HMS31S20120201", d.SerialNumber)
	require.True(t, *d.FaultLight, `ledstat "red"`)
	require.True(t, *d.IsMining, `mineroff "false"`)
	require.Equal(t, "2.0.4", d.APIVersion)
	require.Equal(t, "20201202.22.REL", d.FirmwareVersion)
	require.Equal(t, 3553.0, *d.PowerWatts, "summary Power wins over get_psu pin")
	// get_error_code (2.0.4 object-in-a-list form) replaces the summary list.
	require.Equal(t, []drivers.MinerError{
		{Code: "110", Message: "Intake fan speed cannot be detected"},
		{Code: "111", Message: "Exhaust fan speed cannot be detected"},
		{Code: "5234", Message: "Slot 3 chip 4 nonce error"},
		{Code: "9999", Message: "unknown error"},
	}, d.Errors)

	// Power -1 means unknown; get_psu pin 3570 W fills it.
	raw["summary"] = bytes.Replace(raw["summary"], []byte(`"Power":3553`), []byte(`"Power":-1`), 1)
	d = ParseRaw(raw)
	require.Equal(t, 3570.0, *d.PowerWatts, "get_psu pin W")

	// mineroff "true" is a sleeping miner even though it still reports a hashrate.
	raw["status"] = []byte(`{"STATUS":"S","When":1,"Code":131,"Msg":{"mineroff":"true"}}`)
	require.False(t, *ParseRaw(raw).IsMining)
}

func TestErrorCodeShapes(t *testing.T) {
	wrap := func(list string) map[string][]byte {
		return map[string][]byte{"get_error_code": []byte(`{"STATUS":"S","When":1,"Code":131,"Msg":{"error_code":` + list + `}}`)}
	}
	codes := func(d *drivers.MinerData) []string {
		out := []string{}
		for _, e := range d.Errors {
			out = append(out, e.Code)
		}
		return out
	}
	require.Equal(t, []string{"530", "2010"}, codes(ParseRaw(wrap(`[530,"2010",530]`))))
	require.Equal(t, []string{"350", "2021"}, codes(ParseRaw(wrap(`[{"350":"2021-01-01 00:00:00"},{"2021":"2021-01-01 00:00:01"}]`))))
	require.Equal(t, []string{"600", "8410"}, codes(ParseRaw(wrap(`["600":"t","8410":"t"]`))))
	d := ParseRaw(wrap(`[]`))
	require.NotNil(t, d.Errors, "an empty list is known: no errors")
	require.Empty(t, d.Errors)
	d = ParseRaw(wrap(`"btminer process is down err"`))
	require.Nil(t, d.Errors)
	require.Len(t, d.Problems, 1)
}

func TestErrorMessage(t *testing.T) {
	for code, want := range map[int64]string{
		110:    "Intake fan speed cannot be detected",
		140:    "Fan speed too high",
		205:    "Power supply current error",
		218:    "Input voltage below 230 V in high power mode",
		302:    "Slot 2 temperature sensor not detected",
		351:    "Slot 1 temperature protection",
		411:    "Slot 1 EEPROM not detected",
		530:    "Slot 0 not found",
		532:    "Slot 2 not found",
		561:    "Slot 1 loss of balance",
		600:    "Environment temperature too high",
		710:    "Control board rebooted after an exception",
		2010:   "All pools are disabled",
		2021:   "Pool 1 connection failed",
		2310:   "Hashrate too low",
		5072:   "Slot 2 water flow abnormal",
		5111:   "Slot 1 frequency up timeout",
		5234:   "Slot 3 chip 4 nonce error",
		5301:   "Slot 0 chip 1 too few nonces",
		541012: "Slot 1 chip 12 temperature protection", // 6-digit: TT n ccc
		552105: "Slot 2 chip 105 has been reset",
		100002: "Firmware signature check failed (/antiv/dig/initd.dig)",
		8410:   "Firmware does not match the miner generation",
		// Unknown codes keep their number (the caller) and say so.
		12:     "unknown error",
		304:    "unknown error", // slot families stop at SM3
		4242:   "unknown error",
		999999: "unknown error",
		-5:     "unknown error",
	} {
		require.Equal(t, want, ErrorMessage(code), "code %d", code)
	}
	c, m := minerError(" 0530 ")
	require.Equal(t, "530", c)
	require.Equal(t, "Slot 0 not found", m)
	c, m = minerError("E-17")
	require.Equal(t, "E-17", c)
	require.Equal(t, "unknown error", m)
}

func TestNormalizeModel(t *testing.T) {
	for in, want := range map[string]string{
		"M30S+_VE41":            "M30S+ VE40",
		"M20S_V10":              "M20S V10",
		"M31S_V21":              "M31S V20",
		"M60SVK40":              "M60S VK40",
		"M30S++_VH111":          "M30S++ VH110",
		"WhatsMiner M50S_VH30 ": "M50S VH30",
		"m21s_v62":              "M21S V60",
		"M50":                   "M50",
		"":                      "",
	} {
		require.Equal(t, want, NormalizeModel(in), in)
	}
}

// One broken section never loses the rest.
func TestBrokenSectionKeepsTheRest(t *testing.T) {
	raw := loadDir(t, filepath.Join(captures, "M31S_20210109.22.REL"))
	// The real error reply of 2020 btminer in place of edevs (STATUS E,
	// Code 24): a failure to report, not a command this firmware lacks.
	errReply, err := os.ReadFile(filepath.Join(captures, "M31S_20200512.13.REL", "error_reply_to_cmd_key_pools+summary+edevs.json"))
	require.NoError(t, err)
	raw["edevs"] = errReply
	raw["summary"] = bytes.Replace(raw["summary"], []byte(`"Power": 3496`), []byte(`"Power": "n/a"`), 1)
	d := ParseRaw(raw)

	require.Len(t, d.Problems, 2)
	msgs := d.Problems[0].Error() + "\n" + d.Problems[1].Error()
	require.Contains(t, msgs, `"edevs"`)
	require.Contains(t, msgs, `"summary": field "Power"`)
	var api *drivers.APIError
	require.True(t, errors.As(errors.Join(d.Problems...), &api))
	require.Equal(t, int64(24), api.Code)

	require.Nil(t, d.PowerWatts, "unparseable power is dropped, not 0")
	require.Empty(t, d.Boards)
	require.InDelta(t, 97.87872592, *d.Hashrate, 1e-6, "summary TH/s kept")
	require.Equal(t, 3600.0, *d.PowerLimitWatts, "summary power limit W kept")
	require.Len(t, d.Pools, 1)

	// A command the firmware lacks ("invalid cmd") is silent.
	raw["edevs"] = []byte(`{"STATUS":"E","When":1,"Code":14,"Msg":"invalid cmd","Description":""}`)
	raw["summary"] = []byte(`{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"MHS 1m":`) // truncated
	d = ParseRaw(raw)
	require.Len(t, d.Problems, 1)
	require.ErrorIs(t, d.Problems[0], drivers.ErrBadResponse)
	require.Contains(t, d.Problems[0].Error(), `"summary"`)
	require.Nil(t, d.Hashrate)
	require.Len(t, d.Pools, 1)
}

func gather(t *testing.T, m *fakeminer.Miner) (*drivers.MinerData, error) {
	t.Helper()
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	// Nothing answers API v3: the driver falls back to v2 at once.
	drv := &Driver{V3Port: closedPort(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}})
}

func TestGatherMulti(t *testing.T) {
	reps, err := fakeminer.LoadDir(filepath.Join(captures, "M20SV10_20210322.22.REL"))
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
	d, err := gather(t, m)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	cmds := m.Commands()
	require.Equal(t, []string{
		"summary+edevs+pools+devdetails", // one connection for the cgminer-style commands
		"devs",                           // this firmware has no edevs
	}, cmds[:2])
	// Then the commands btminer cannot join, all at once (any order); the
	// one this firmware lacks (get_miner_info) is silent. No get_psu:
	// summary has Power; no get_error_code: summary has its error list; no
	// status: summary shows the miner hashing.
	require.ElementsMatch(t, []string{"get_version", "get_miner_info"}, cmds[2:])
	require.InDelta(t, 67.43935249, *d.Hashrate, 1e-6, "TH/s")
	require.Len(t, d.Boards, 3)
	require.InDelta(t, 22.10378984, *d.Boards[0].Hashrate, 1e-6, "board 0 TH/s")
	require.Len(t, d.Pools, 3)
	require.Equal(t, "1.4.0", d.APIVersion)
	require.Equal(t, "20210322.22.REL", d.FirmwareVersion)
}

// Firmware that rejects "+", serving the \' summary: the connection filter
// repairs it on the wire.
func TestGatherNoMulti(t *testing.T) {
	reps, err := fakeminer.LoadDir(filepath.Join(captures, "M20S_20200917.22.REL"))
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: false, NUL: true}
	d, err := gather(t, m)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	cmds := m.Commands()
	require.Equal(t, []string{
		"summary+edevs+pools+devdetails",
		"summary", "edevs", "pools", "devdetails",
		"devs",
	}, cmds[:6])
	require.ElementsMatch(t, []string{"get_version", "get_miner_info"}, cmds[6:])
	require.Equal(t, "20200917.22.REL", d.FirmwareVersion)
	require.InDelta(t, 67.26644769, *d.Hashrate, 1e-6, "TH/s")
	require.Equal(t, 28.5, *d.EnvTemperature, "°C")
	require.Len(t, d.Boards, 3)
	require.Equal(t, int64(111), *d.Boards[2].Chips)
}

// API 2.0.4: get_error_code is asked when the summary has no error list,
// and its invalid-JSON list repaired.
func TestGatherWhatsminerStyle(t *testing.T) {
	raw := hybrid(t)
	raw["summary"] = regexp.MustCompile(`"Error Code [^"]*":\d+,?`).ReplaceAll(raw["summary"], nil)
	require.NotContains(t, string(raw["summary"]), `"Error Code Count"`)
	m := &fakeminer.Miner{Replies: raw, Multi: true, NUL: true}
	d, err := gather(t, m)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Contains(t, m.Commands(), "get_error_code")
	require.Equal(t, "M31S V20", d.Model)
	require.Equal(t, "WhatsMiner-rack7", d.Hostname)
	require.Len(t, d.Errors, 4)
	require.Equal(t, "Slot 3 chip 4 nonce error", d.Errors[2].Message)
}

// A summary that lists the errors (M31S 20201202: 110, 111, 131) is read
// for them and get_error_code is not asked.
func TestGatherErrorsFromSummary(t *testing.T) {
	m := &fakeminer.Miner{Replies: hybrid(t), Multi: true, NUL: true}
	d, err := gather(t, m)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.NotContains(t, m.Commands(), "get_error_code")
	codes := []string{}
	for _, e := range d.Errors {
		codes = append(codes, e.Code)
	}
	require.Equal(t, []string{"110", "111", "131"}, codes)
}

func TestGatherDown(t *testing.T) {
	m := &fakeminer.Miner{Mode: fakeminer.Reset}
	_, err := gather(t, m)
	require.Error(t, err)
	require.NotEqual(t, drivers.ResultSuccess, drivers.Result(err))

	m = &fakeminer.Miner{Mode: fakeminer.Garbage}
	d, err := gather(t, m)
	require.Nil(t, d)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))

	// Nothing listens: refused.
	drv := &Driver{V3Port: closedPort(t)}
	_, err = drv.Gather(context.Background(), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closedPort(t)}})
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))

	m = &fakeminer.Miner{Mode: fakeminer.Silent}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}})
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err))
}

func closedPort(t *testing.T) int {
	m := &fakeminer.Miner{}
	require.NoError(t, m.Start("127.0.0.1:0"))
	p := m.Port()
	m.Close()
	return p
}

// get_version (firmware and API version) is asked once per versionTTL, not
// every gather; the joined cgminer-style commands every time.
func TestVersionAskedOncePerTTL(t *testing.T) {
	reps, err := fakeminer.LoadDir(filepath.Join(captures, "M20SV10_20210322.22.REL"))
	require.NoError(t, err)
	m, drv, target := startV2(t, reps)
	for range 3 {
		d := gatherOK(t, drv, target)
		require.Equal(t, "20210322.22.REL", d.FirmwareVersion, "the cached version still fills the field")
	}
	count := map[string]int{}
	for _, c := range m.Commands() {
		count[c]++
	}
	require.Equal(t, 1, count["get_version"])
	require.Equal(t, 1, count["summary+edevs+pools+devdetails"])
	require.Equal(t, 2, count["summary+devs+pools+devdetails"], "devs joined once the build is known to lack edevs")
}

func startV2(t *testing.T, reps map[string][]byte) (*fakeminer.Miner, *Driver, drivers.Target) {
	t.Helper()
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m, &Driver{V3Port: closedPort(t)}, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}}
}

func gatherOK(t *testing.T, drv *Driver, target drivers.Target) *drivers.MinerData {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	return d
}

// requestsOf gathers once and returns the requests the miner received in
// that gather. The fake miner reads one request per connection, so their
// number is the gather's connections on 4028.
func requestsOf(t *testing.T, m *fakeminer.Miner, drv *Driver, target drivers.Target) ([]string, *drivers.MinerData) {
	t.Helper()
	before := len(m.Commands())
	d := gatherOK(t, drv, target)
	return m.Commands()[before:], d
}

// The steady state of an API v2 miner is one connection per gather
// wherever the summary answers what get_* and status would: the first
// gather learns the board command and what the build lacks.
func TestSteadyGatherConnections(t *testing.T) {
	for _, tc := range []struct {
		folder string
		first  []string
		// ordered: how many of first go one after the other (the joined
		// request and the board fallbacks); the rest go at once.
		ordered int
		steady  string
	}{
		// No edevs, no get_miner_info: devs is joined from the second gather.
		{"M20SV10_20210322.22.REL", []string{"summary+edevs+pools+devdetails", "devs", "get_version", "get_miner_info"},
			2, "summary+devs+pools+devdetails"},
		// edevs, errors in the summary.
		{"M31S_20201202.22.REL", []string{"summary+edevs+pools+devdetails", "get_version", "get_miner_info"},
			1, "summary+edevs+pools+devdetails"},
		// 2018 cgminer build: neither edevs nor devs (stats), no Power, no
		// error list, no get_* at all: each lacking command asked once.
		{"M3_cgminer4.9.2_2018", []string{"summary+edevs+pools+devdetails", "devs", "stats",
			"get_version", "get_miner_info", "get_error_code", "status", "get_psu"},
			3, "summary+stats+pools+devdetails"},
	} {
		t.Run(tc.folder, func(t *testing.T) {
			reps, err := fakeminer.LoadDir(filepath.Join(captures, tc.folder))
			require.NoError(t, err)
			m, drv, target := startV2(t, reps)
			got, first := requestsOf(t, m, drv, target)
			require.Equal(t, tc.first[:tc.ordered], got[:tc.ordered], "the joined request, then the board fallbacks in order")
			require.ElementsMatch(t, tc.first, got)
			for range 3 {
				got, d := requestsOf(t, m, drv, target)
				require.Equal(t, []string{tc.steady}, got)
				require.Equal(t, first, d, "a steady gather reads what the first did")
			}
		})
	}
}

// A firmware that answers get_miner_info has it asked once per
// minerInfoTTL; hostname, serial and fault light stay in every gather. A
// miner not hashing has status asked every gather.
func TestMinerInfoCachedStatusWhenIdle(t *testing.T) {
	raw := hybrid(t)
	m, drv, target := startV2(t, raw)
	got, _ := requestsOf(t, m, drv, target)
	require.Contains(t, got, "get_miner_info")
	for range 2 {
		got, d := requestsOf(t, m, drv, target)
		require.Equal(t, []string{"summary+edevs+pools+devdetails"}, got)
		require.Equal(t, "WhatsMiner-rack7", d.Hostname)
		require.Equal(t, "HMS31S20120201", d.SerialNumber)
		require.True(t, *d.FaultLight)
	}
	drv.mem.update(target.RPCAddr(), func(s *minerState) { s.infoAt = s.infoAt.Add(-minerInfoTTL - time.Second) })
	got, _ = requestsOf(t, m, drv, target)
	require.Equal(t, []string{"summary+edevs+pools+devdetails", "get_miner_info"}, got, "asked again after its TTL")

	// A miner that stopped hashing (5 s rate 0): status tells whether it
	// was switched off.
	raw = hybrid(t)
	raw["summary"] = bytes.Replace(raw["summary"], []byte(`"MHS 5s":92768288.94`), []byte(`"MHS 5s":0`), 1)
	raw["status"] = []byte(`{"STATUS":"S","When":1,"Code":131,"Msg":{"mineroff":"true"}}`)
	m, drv, target = startV2(t, raw)
	for range 2 {
		got, d := requestsOf(t, m, drv, target)
		require.Contains(t, got, "status")
		require.False(t, *d.IsMining, "mineroff true")
	}
}
