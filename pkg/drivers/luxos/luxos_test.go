package luxos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

const (
	captures = "../../../testdata/luxos"
	s19kPro  = captures + "/S19kPro_2025.4.8.220305"
	events   = captures + "/unknown_2025.9.8.152528-e04420b4b"
)

// invalidReply is the cgminer-standard answer (code 14) of a firmware that
// does not know a command; LUXminer versions without e.g. "events" send it.
func invalidReply(cmd string) []byte {
	return []byte(fmt.Sprintf(`{"STATUS":[{"Code":14,"Description":"LUXminer test","Msg":"Invalid command","STATUS":"E","When":1760242394}],"id":1,"cmd":%q}`, cmd))
}

// loadReplies reads a capture folder; commands it has no file for get the
// "invalid command" reply, as from a firmware that lacks them.
func loadReplies(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	reps, err := fakeminer.LoadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, cmd := range Commands {
		if r, ok := reps[cmd]; ok {
			out[cmd] = r
		} else {
			out[cmd] = invalidReply(cmd)
		}
	}
	return out
}

func parseDir(t testing.TB, dir string) *drivers.MinerData {
	return Parse(cgminer.BatchFromRaw("test", loadReplies(t, dir)))
}

// problemsText joins Problems for assertion messages.
func problemsText(d *drivers.MinerData) string {
	var b strings.Builder
	for _, p := range d.Problems {
		b.WriteString(p.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

type boardWant struct {
	hashTHs, expTHs float64 // TH/s
	temp, chip      float64 // °C
	inlet, outlet   float64 // °C
	chips           int64
	freqMHz         float64
	serial          string
}

// checkS19kPro asserts the values of the S19k Pro capture; the e2e tests
// reuse it so the network path is held to the same numbers.
func checkS19kPro(t *testing.T, d *drivers.MinerData) {
	t.Helper()
	require.Empty(t, d.Problems, problemsText(d))

	// Identity: version Type "Antminer S19k Pro", LUXminer, API; config MACAddr.
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, "S19k Pro", d.Model)
	require.Equal(t, "luxos", d.Firmware)
	require.Equal(t, "sha256", d.Algorithm)
	require.Equal(t, "2025.4.8.220305-57b389c7", d.FirmwareVersion)
	require.Equal(t, "3.7", d.APIVersion)
	require.Equal(t, "62:F7:5E:B7:10:46", d.MAC) // config "62:f7:5e:b7:10:46"
	require.Equal(t, "UrlacherS19k", d.Hostname)
	require.Equal(t, "JYZZB0UBDJABF06RB", d.SerialNumber)

	// summary "GHS 1m" 60829.48 GH/s / 1000 = 60.82948 TH/s.
	require.NotNil(t, d.Hashrate)
	require.InDelta(t, 60.82948, *d.Hashrate, 1e-9, "hashrate TH/s")
	// stats total_rateideal 61954.2 with rate_unit "GH" / 1000 = 61.9542 TH/s.
	require.NotNil(t, d.ExpectedHashrate)
	require.InDelta(t, 61.9542, *d.ExpectedHashrate, 1e-9, "expected hashrate TH/s")
	// summary Elapsed 3453 s.
	require.NotNil(t, d.UptimeSeconds)
	require.Equal(t, int64(3453), *d.UptimeSeconds, "uptime s")
	// power POWER[0].Watts 1051 W.
	require.NotNil(t, d.PowerWatts)
	require.InDelta(t, 1051.0, *d.PowerWatts, 1e-9, "power W")
	// config Profile "290MHz" -> profiles "290MHz" Watts 1188 W.
	require.NotNil(t, d.PowerLimitWatts)
	require.InDelta(t, 1188.0, *d.PowerLimitWatts, 1e-9, "power limit W")
	// config RedLed "auto": firmware-driven, not lit by an operator.
	require.NotNil(t, d.FaultLight)
	require.False(t, *d.FaultLight)
	// config CurtailMode "None".
	require.NotNil(t, d.IsMining)
	require.True(t, *d.IsMining)
	require.Nil(t, d.EnvTemperature, "LuxOS reports no ambient sensor")
	require.Nil(t, d.Errors, "no events reply: no error report")

	// Boards: devs ID 0..2 (chain 4 of stats is all-zero padding).
	// hashrate = devs "MHS 1m" / 1e6; expected = "Nominal MHS" 20651400 / 1e6;
	// temps: TopLeft/BottomLeft are exhaust, TopRight/BottomRight intake;
	// chip = max of stats temp_chipN "47-3x-3x-47"; chips = chain_acnN 77;
	// freq = freqN 300.0 MHz.
	want := []boardWant{
		{hashTHs: 20.076541533197526, expTHs: 20.6514, temp: 47, chip: 47, inlet: 34, outlet: 47, chips: 77, freqMHz: 300, serial: "JYZZYRSBDJEBI06Z5"},
		{hashTHs: 20.1178832979288, expTHs: 20.6514, temp: 47, chip: 47, inlet: 33, outlet: 47, chips: 77, freqMHz: 300, serial: "JYZZYRSBDJEBI06ZM"},
		{hashTHs: 20.635064434732575, expTHs: 20.6514, temp: 47, chip: 47, inlet: 34, outlet: 47, chips: 77, freqMHz: 300, serial: "JYZZYRSBDJEBI06ZR"},
	}
	require.Len(t, d.Boards, len(want))
	for i, w := range want {
		b := d.Boards[i]
		name := fmt.Sprintf("board %d", i)
		require.Equal(t, i, b.Index, name)
		require.NotNil(t, b.Hashrate, name)
		require.InDelta(t, w.hashTHs, *b.Hashrate, 1e-9, name+" hashrate TH/s")
		require.NotNil(t, b.ExpectedHashrate, name)
		require.InDelta(t, w.expTHs, *b.ExpectedHashrate, 1e-9, name+" expected TH/s")
		require.NotNil(t, b.Temperature, name)
		require.InDelta(t, w.temp, *b.Temperature, 1e-9, name+" board °C")
		require.NotNil(t, b.ChipTemperature, name)
		require.InDelta(t, w.chip, *b.ChipTemperature, 1e-9, name+" chip °C")
		require.NotNil(t, b.InletTemperature, name)
		require.InDelta(t, w.inlet, *b.InletTemperature, 1e-9, name+" inlet °C")
		require.NotNil(t, b.OutletTemperature, name)
		require.InDelta(t, w.outlet, *b.OutletTemperature, 1e-9, name+" outlet °C")
		require.NotNil(t, b.Chips, name)
		require.Equal(t, w.chips, *b.Chips, name+" chips")
		require.NotNil(t, b.FrequencyMHz, name)
		require.InDelta(t, w.freqMHz, *b.FrequencyMHz, 1e-9, name+" MHz")
		require.Equal(t, w.serial, b.SerialNumber, name)
		require.NotNil(t, b.Active, name)
		require.True(t, *b.Active, name+" Status Alive")
		require.Nil(t, b.VoltageVolts, name)
	}
	// Sum of the board 1m rates: 20.0765 + 20.1179 + 20.6351 = 60.8295 TH/s,
	// the summary total within rounding.
	require.InDelta(t, 60.82948, 20.076541533197526+20.1178832979288+20.635064434732575, 1e-3)
	// 3 x 77 chips.
	require.Equal(t, int64(231), *d.TotalChips())

	// fans FANS[]: ID 0..3, RPM 1920, 1920, 2340, 2340, Speed 20 %.
	require.Len(t, d.Fans, 4)
	for i, rpm := range []int64{1920, 1920, 2340, 2340} {
		require.Equal(t, i, d.Fans[i].Index)
		require.NotNil(t, d.Fans[i].RPM)
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
		require.NotNil(t, d.Fans[i].Percent)
		require.InDelta(t, 20.0, *d.Fans[i].Percent, 1e-9, "fan %d %%", i)
	}

	// Pools: two groups of two; every field of each.
	type poolWant struct {
		host               string
		user               string
		accepted, rejected int64
		active, alive      bool
	}
	pw := []poolWant{
		{"ca.stratum.braiins.com", "asic-rs.user1", 724, 0, true, true},
		{"stratum.braiins.com", "asic-rs.user1", 0, 0, false, false},
		{"ca.stratum.braiins.com", "asic-rs.user2", 759, 1, true, true},
		{"stratum.braiins.com", "asic-rs.user2", 0, 0, false, false},
	}
	require.Len(t, d.Pools, len(pw))
	for i, w := range pw {
		p := d.Pools[i]
		name := fmt.Sprintf("pool %d", i)
		require.Equal(t, i, p.Index, name)
		require.Equal(t, poolmetrics.SchemeV1, p.URL.Scheme, name)
		require.Equal(t, w.host, p.URL.Host, name)
		require.Equal(t, 3333, p.URL.Port, name)
		require.Equal(t, "stratum+tcp://"+w.host+":3333", p.URL.Raw, name)
		require.Equal(t, w.user, p.User, name)
		require.Equal(t, w.accepted, *p.Accepted, name+" accepted")
		require.Equal(t, w.rejected, *p.Rejected, name+" rejected")
		require.Equal(t, int64(0), *p.Stale, name+" stale")
		require.Equal(t, int64(0), *p.GetFailures, name+" get failures")
		require.Equal(t, int64(0), *p.RemoteFailures, name+" remote failures")
		require.Equal(t, w.active, *p.Active, name+" active")
		require.Equal(t, w.alive, *p.Alive, name+" alive")
	}
}

func TestParseCaptures(t *testing.T) {
	tests := []struct {
		dir   string
		check func(t *testing.T, d *drivers.MinerData)
	}{
		{dir: s19kPro, check: checkS19kPro},
		{dir: events, check: func(t *testing.T, d *drivers.MinerData) {
			// Only events was captured on this 2025.9.8 miner.
			require.Equal(t, []drivers.MinerError{
				{Code: "NOPIC_PROTECTION", Message: "Miner shutdown due to NOPIC protection."},
				{Code: "REBOOT_NOT_HASHING", Message: "board 0: Board reboot due to it not hashing."},
			}, d.Errors)
			// NOPIC_PROTECTION shuts the miner down.
			require.NotNil(t, d.IsMining)
			require.False(t, *d.IsMining)
			require.Equal(t, "Antminer", d.Make)
			require.Equal(t, "luxos", d.Firmware)
			require.Empty(t, d.Model)
			require.Nil(t, d.Hashrate)
			require.Empty(t, d.Boards)
			require.Empty(t, d.Fans)
			// The six required commands are problems; the optional ones
			// (power, fans, temps, profiles) are silently absent.
			require.Len(t, d.Problems, 6, problemsText(d))
			for _, cmd := range []string{"version", "config", "summary", "stats", "devs", "pools"} {
				require.Contains(t, problemsText(d), fmt.Sprintf("%q", cmd))
			}
		}},
	}
	entries, err := os.ReadDir(captures)
	require.NoError(t, err)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(captures, e.Name()))
		}
	}
	require.Len(t, dirs, len(tests), "every capture folder needs a case")
	for _, tc := range tests {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			require.Contains(t, dirs, filepath.Clean(tc.dir))
			tc.check(t, parseDir(t, tc.dir))
		})
	}
}

func startFake(t *testing.T, multi bool, reps map[string][]byte) (*fakeminer.Miner, drivers.Target) {
	t.Helper()
	m := &fakeminer.Miner{Replies: reps, Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}}
}

func gather(t *testing.T, tg drivers.Target) (*drivers.MinerData, error) {
	t.Helper()
	drv, err := drivers.New("luxos")
	require.NoError(t, err)
	require.Equal(t, "luxos", drv.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return drv.Gather(ctx, tg)
}

func TestGatherMulti(t *testing.T) {
	reps, err := fakeminer.LoadDir(s19kPro) // no events.json: the fake says "Invalid command"
	require.NoError(t, err)
	m, tg := startFake(t, true, reps)
	d, err := gather(t, tg)
	require.NoError(t, err)
	checkS19kPro(t, d)
	// One connection, one joined request.
	require.Equal(t, []string{strings.Join(Commands, "+")}, m.Commands())
}

func TestGatherNoMulti(t *testing.T) {
	reps, err := fakeminer.LoadDir(s19kPro)
	require.NoError(t, err)
	m, tg := startFake(t, false, reps)
	d, err := gather(t, tg)
	require.NoError(t, err)
	checkS19kPro(t, d)
	// The joined request is rejected, then each command on its own.
	require.Equal(t, append([]string{strings.Join(Commands, "+")}, Commands...), m.Commands())
}

func TestGatherUnreachable(t *testing.T) {
	// A closed port: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	d, err := gather(t, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port}})
	require.Nil(t, d)
	require.Error(t, err)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))

	// A miner that never answers: timeout within our deadline.
	m := &fakeminer.Miner{Mode: fakeminer.Silent}
	require.NoError(t, m.Start("127.0.0.1:0"))
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	d, err = Driver{}.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}})
	require.Nil(t, d)
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err))

	// Garbage on the wire: bad response.
	g := &fakeminer.Miner{Mode: fakeminer.Garbage}
	require.NoError(t, g.Start("127.0.0.1:0"))
	defer g.Close()
	d, err = gather(t, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: g.Port()}})
	require.Nil(t, d)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	reps := loadReplies(t, s19kPro)
	reps["stats"] = []byte(`{"STATS":[{"Type":"Antminer S19k Pro"},{"Elapsed":"soon", "chain_acn1": 77, "temp_pcb1":"47-x-1"`) // cut off
	reps["config"] = invalidReply("config")                                                                                    // a required command the miner refused
	reps["devs"] = bytes.Replace(reps["devs"], []byte(`"MHS 1m": 20076541.533197526`), []byte(`"MHS 1m": "fast"`), 1)
	require.Contains(t, string(reps["devs"]), `"fast"`)

	d := Parse(cgminer.BatchFromRaw("test", reps))
	text := problemsText(d)
	require.Contains(t, text, `command "stats"`)
	require.Contains(t, text, `command "config"`)
	require.Contains(t, text, `command "devs": field "MHS 1m"`)
	require.Len(t, d.Problems, 3, text)
	var apiErr *drivers.APIError
	require.True(t, errors.As(d.Problems[0], &apiErr) || errors.As(d.Problems[1], &apiErr) || errors.As(d.Problems[2], &apiErr))

	// The rest is kept: summary 60.82948 TH/s, pools, fans, temps, devs.
	require.InDelta(t, 60.82948, *d.Hashrate, 1e-9)
	require.Len(t, d.Pools, 4)
	require.Len(t, d.Fans, 4)
	require.Len(t, d.Boards, 3)
	// Board 0 falls back to "MHS 5s" 19773825.71692016 MH/s = 19.7738 TH/s.
	require.InDelta(t, 19.77382571692016, *d.Boards[0].Hashrate, 1e-9)
	require.InDelta(t, 20.1178832979288, *d.Boards[1].Hashrate, 1e-9)
	// Without stats: no chips, no expected total; board temps from temps still.
	require.Nil(t, d.Boards[0].Chips)
	require.Nil(t, d.ExpectedHashrate)
	require.InDelta(t, 47.0, *d.Boards[0].Temperature, 1e-9)
	// Without config: no MAC from it, but stats is broken too, so none; no
	// power limit (profile unknown); uptime from summary.
	require.Empty(t, d.MAC)
	require.Nil(t, d.PowerLimitWatts)
	require.Equal(t, int64(3453), *d.UptimeSeconds)
	require.Equal(t, "S19k Pro", d.Model)
}

// Fallbacks used when LuxOS-specific commands are missing: board hashrate
// from stats chain_rateN, fans from stats fanN, MAC from stats miner_id.
func TestStatsFallbacks(t *testing.T) {
	reps := loadReplies(t, s19kPro)
	for _, cmd := range []string{"devs", "fans", "temps", "config"} {
		reps[cmd] = invalidReply(cmd)
	}
	d := Parse(cgminer.BatchFromRaw("test", reps))
	// devs and config are required: two problems.
	require.Len(t, d.Problems, 2, problemsText(d))
	require.Equal(t, "62:F7:5E:B7:10:46", d.MAC) // stats miner_id "62f75eb71046"
	require.Len(t, d.Boards, 3)                  // chain 4 is all zero: padding
	// chain_rate1..3 "18910.28", "18939.95", "19067.67" GH/s / 1000.
	for i, ths := range []float64{18.91028, 18.93995, 19.06767} {
		require.InDelta(t, ths, *d.Boards[i].Hashrate, 1e-9, "board %d TH/s", i)
		// temp_pcbN "47-3x-3x-47" -> 47 °C.
		require.InDelta(t, 47.0, *d.Boards[i].Temperature, 1e-9)
		require.Nil(t, d.Boards[i].InletTemperature)
		require.Equal(t, int64(77), *d.Boards[i].Chips)
	}
	// fan_num 4, fan1..fan4 1920, 1920, 2340, 2340 RPM.
	require.Len(t, d.Fans, 4)
	for i, rpm := range []int64{1920, 1920, 2340, 2340} {
		require.Equal(t, rpm, *d.Fans[i].RPM)
		require.Nil(t, d.Fans[i].Percent)
	}
	require.Nil(t, d.FaultLight)
}

// Hand-made edge input: a board with missing sensors and a dead board.
func TestSensorsAndDeadBoard(t *testing.T) {
	reps := loadReplies(t, s19kPro)
	reps["temps"] = invalidReply("temps")
	reps["stats"] = []byte(`{"STATUS":[{"STATUS":"S"}],"STATS":[{"Type":"x"},{"Elapsed":10,"rate_unit":"TH",` +
		`"total_rateideal":61.9542,"chain_acn1":77,"chain_acn2":0,"chain_acn3":77,"chain_acn4":0,` +
		`"chain_rate1":"18.5","chain_rate2":"0","chain_rate3":"19","chain_rate4":"0",` +
		`"temp_pcb1":"0-0-62-64","temp_chip1":"0-0-80-71","temp_pcb2":"0-0-0-0","temp_chip2":"0-0-0-0",` +
		`"temp_pcb3":"50-51-0-0","temp_chip3":"60-0-0-0","temp_pcb4":"0-0-0-0","temp_chip4":"0-0-0-0"}]}`)
	reps["devs"] = invalidReply("devs")
	d := Parse(cgminer.BatchFromRaw("test", reps))
	// rate_unit TH: 61.9542 TH/s as sent.
	require.InDelta(t, 61.9542, *d.ExpectedHashrate, 1e-9)
	// Board 2 (chain 2) is absent from stats data: all zero, like padding.
	// Boards 1 and 3 -> index 0 and 2.
	require.Len(t, d.Boards, 2)
	require.Equal(t, 0, d.Boards[0].Index)
	require.InDelta(t, 64.0, *d.Boards[0].Temperature, 1e-9)     // max(62, 64), zeros dropped
	require.InDelta(t, 80.0, *d.Boards[0].ChipTemperature, 1e-9) // max(80, 71)
	require.InDelta(t, 18.5, *d.Boards[0].Hashrate, 1e-9)        // TH as sent
	require.Equal(t, 2, d.Boards[1].Index)
	require.InDelta(t, 51.0, *d.Boards[1].Temperature, 1e-9)
	require.InDelta(t, 60.0, *d.Boards[1].ChipTemperature, 1e-9)

	// A board devs lists as present but dead (0 chips, 0 hashrate) is kept.
	reps["devs"] = []byte(`{"STATUS":[{"STATUS":"S"}],"DEVS":[{"ID":1,"MHS 1m":0,"Status":"Dead","Enabled":"Y","Temperature":0}]}`)
	d = Parse(cgminer.BatchFromRaw("test", reps))
	require.Len(t, d.Boards, 3)
	dead := d.Boards[1]
	require.Equal(t, 1, dead.Index)
	require.InDelta(t, 0.0, *dead.Hashrate, 1e-9)
	require.Equal(t, int64(0), *dead.Chips)
	require.False(t, *dead.Active)
	require.Nil(t, dead.Temperature) // 0 °C on a dead board is no reading
}

func TestCleanModel(t *testing.T) {
	for in, want := range map[string]string{
		"Antminer S19k Pro":        "S19k Pro",
		"AntMiner S19 XP (LuxOS) ": "S19 XP",
		" Antminer  S21 ":          "S21",
		"Antminer L7":              "L7",
		"S9":                       "S9",
	} {
		require.Equal(t, want, cleanModel(in), in)
	}
	require.True(t, isScrypt("L7"))
	require.True(t, isScrypt("L3+"))
	require.False(t, isScrypt("S19k Pro"))
}

func TestFaultLightAndCurtail(t *testing.T) {
	reps := loadReplies(t, s19kPro)
	for _, tc := range []struct {
		led, curtail  string
		light, mining bool
	}{
		{"blink", "None", true, true},
		{"on", "Sleep", true, false},
		{"off", "None", false, true},
	} {
		cfg := bytes.Replace(reps["config"], []byte(`"RedLed": "auto"`), []byte(fmt.Sprintf(`"RedLed": %q`, tc.led)), 1)
		cfg = bytes.Replace(cfg, []byte(`"CurtailMode": "None"`), []byte(fmt.Sprintf(`"CurtailMode": %q`, tc.curtail)), 1)
		r := map[string][]byte{}
		for k, v := range reps {
			r[k] = v
		}
		r["config"] = cfg
		d := Parse(cgminer.BatchFromRaw("test", r))
		require.Equal(t, tc.light, *d.FaultLight, tc.led)
		require.Equal(t, tc.mining, *d.IsMining, tc.curtail)
	}
}

func TestEventsClean(t *testing.T) {
	reps := loadReplies(t, s19kPro)
	// LUXminer with nothing happening: an empty list (hand-made from the
	// 2025.9.8 capture's shape).
	reps["events"] = []byte(`{"EVENTS":[],"STATUS":[{"Code":357,"Msg":"Miner Events","STATUS":"S","When":1775756069}],"id":1}`)
	d := Parse(cgminer.BatchFromRaw("test", reps))
	require.Empty(t, d.Problems, problemsText(d))
	require.NotNil(t, d.Errors, "a clean report is an empty, non-nil list")
	require.Empty(t, d.Errors)
	require.True(t, *d.IsMining)
}
