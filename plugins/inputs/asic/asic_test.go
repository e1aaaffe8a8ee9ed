package asic

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/metric"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// testDriver returns fixed data, so metric building is tested apart from
// any firmware's parsing.
type testDriver struct {
	data  func(t drivers.Target) (*drivers.MinerData, error)
	calls atomic.Int64
}

func (*testDriver) Name() string { return "test" }
func (d *testDriver) Gather(_ context.Context, t drivers.Target) (*drivers.MinerData, error) {
	d.calls.Add(1)
	return d.data(t)
}

var fixedDriver = &testDriver{data: func(drivers.Target) (*drivers.MinerData, error) { return fixedData(), nil }}

type panicDriver struct{}

func (panicDriver) Name() string { return "test-panic" }
func (panicDriver) Gather(context.Context, drivers.Target) (*drivers.MinerData, error) {
	var m map[string]int
	m["boom"]++ //nolint:staticcheck // a driver bug: must cost only this miner
	return nil, nil
}

func init() {
	drivers.Register("test", func() drivers.Driver { return fixedDriver })
	drivers.Register("test-panic", func() drivers.Driver { return panicDriver{} })
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }
func bl(v bool) *bool        { return &v }

func fixedData() *drivers.MinerData {
	return &drivers.MinerData{
		Make: "Antminer", Model: "S19 Pro", Firmware: "stock", Algorithm: "sha256", MAC: "AA:BB:CC:DD:EE:FF",
		FirmwareVersion: "49.0.1.3", APIVersion: "3.1",
		ExpectedHashrate: f64(110), PowerWatts: f64(3250), UptimeSeconds: i64(50474), IsMining: bl(true),
		Boards: []drivers.Board{
			{Index: 0, Hashrate: f64(37.6), Temperature: f64(73), ChipTemperature: f64(78), Chips: i64(114), FrequencyMHz: f64(525), Active: bl(true)},
			{Index: 1, Hashrate: f64(35.4), Temperature: f64(66), ChipTemperature: f64(71), Chips: i64(114), Active: bl(true)},
		},
		Fans: []drivers.Fan{{Index: 0, RPM: i64(6000)}, {Index: 1, RPM: i64(5880), Percent: f64(80)}},
		Pools: []poolmetrics.Pool{{
			Index: 0, URL: poolmetrics.ParseURL("stratum+tcp://btc.global.luxor.tech:700"), User: "satokierepair.H04YK",
			Accepted: i64(4057), Rejected: i64(11), Stale: i64(1), GetFailures: i64(1), RemoteFailures: i64(0),
			Active: bl(true), Alive: bl(true),
		}, {
			Index: 1, URL: poolmetrics.ParseURL("weird://"), // unparseable: kept raw, nothing else lost
			Accepted: i64(0), Rejected: i64(0), Stale: i64(0), Active: bl(false), Alive: bl(false),
		}},
		Errors: []drivers.MinerError{{Code: "2320", Message: "Hashrate too low"}},
	}
}

func TestMetricsFromDriverData(t *testing.T) {
	p := New()
	p.Miners = []string{"127.0.0.5"}
	p.Driver = "test"
	p.Log = testutil.Logger{}
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	require.Empty(t, acc.Errors)

	tags := map[string]string{
		"source": "127.0.0.5", "mac": "AA:BB:CC:DD:EE:FF", "make": "Antminer", "model": "S19 Pro",
		"firmware": "stock", "algorithm": "sha256",
	}
	with := func(kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range tags {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	now := time.Unix(0, 0)
	expected := []telegraf.Metric{
		metric.New("asic", tags, map[string]any{
			"hashrate_ths":                 73.0, // 37.6 + 35.4 TH/s: no total from the driver, so the board sum
			"expected_hashrate_ths":        110.0,
			"hashrate_percent":             73.0 / 110.0 * 100,
			"power_watts":                  3250.0,
			"efficiency_j_per_th":          3250.0 / 73.0, // W / (TH/s) = J/TH
			"temperature_celsius":          69.5,          // mean of 73 and 66 °C
			"temperature_max_celsius":      73.0,
			"chip_temperature_max_celsius": 78.0,
			"boards":                       int64(2),
			"chips":                        int64(228),
			"fans":                         int64(2),
			// From the model table (S19 Pro: 3 boards × 114 chips, 4 fans).
			"expected_boards":  int64(3),
			"expected_chips":   int64(342),
			"expected_fans":    int64(4),
			"uptime_seconds":   int64(50474),
			"is_mining":        true,
			"errors":           int64(1),
			"firmware_version": "49.0.1.3",
			"api_version":      "3.1",
		}, now),
		metric.New("asic_hashboard", with("board", "0"), map[string]any{
			"hashrate_ths": 37.6, "temperature_celsius": 73.0, "chip_temperature_celsius": 78.0,
			"chips": int64(114), "expected_chips": int64(114), "frequency_mhz": 525.0, "active": true,
		}, now),
		metric.New("asic_hashboard", with("board", "1"), map[string]any{
			"hashrate_ths": 35.4, "temperature_celsius": 66.0, "chip_temperature_celsius": 71.0,
			"chips": int64(114), "expected_chips": int64(114), "active": true,
		}, now),
		metric.New("asic_fan", with("fan", "0"), map[string]any{"speed_rpm": int64(6000)}, now),
		metric.New("asic_fan", with("fan", "1"), map[string]any{"speed_rpm": int64(5880), "speed_percent": 80.0}, now),
		metric.New("asic_pool", with("index", "0", "host", "btc.global.luxor.tech", "scheme", "stratum+tcp", "user", "satokierepair.H04YK"),
			map[string]any{
				"url": "stratum+tcp://btc.global.luxor.tech:700", "port": int64(700),
				"accepted": int64(4057), "rejected": int64(11), "stale": int64(1),
				"get_failures": int64(1), "remote_failures": int64(0), "active": true, "alive": true,
				"rejected_percent": 11.0 / (4057 + 11) * 100,
				"stale_percent":    1.0 / (4057 + 11 + 1) * 100,
			}, now),
		metric.New("asic_pool", with("index", "1"), map[string]any{
			"url": "weird://", "accepted": int64(0), "rejected": int64(0), "stale": int64(0), "active": false, "alive": false,
		}, now),
		metric.New("asic_error", with("code", "2320"), map[string]any{"message": "Hashrate too low"}, now),
		metric.New("asic_status", with("result", "success"), map[string]any{"up": true, "response_time_seconds": 0.0}, now),
	}
	testutil.RequireMetricsEqual(t, expected, acc.GetTelegrafMetrics(), testutil.IgnoreTime(), testutil.SortMetrics(),
		testutil.IgnoreFields("response_time_seconds"), cmpopts.EquateApprox(0, 1e-9))
}

func TestInitErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Asic)
		key  string
	}{
		{"no miners", func(a *Asic) { a.Miners = nil }, `"miners"`},
		{"bad entry", func(a *Asic) { a.Miners = []string{"10.0.0.300"} }, `"miners"`},
		{"bad cidr", func(a *Asic) { a.Miners = []string{"10.0.0.0/33"} }, `"miners"`},
		{"huge cidr", func(a *Asic) { a.Miners = []string{"10.0.0.0/8"} }, `"miners"`},
		{"range backwards", func(a *Asic) { a.Miners = []string{"10.0.0.50-10"} }, `"miners"`},
		{"bad port", func(a *Asic) { a.Miners = []string{"10.0.0.5:0"} }, `"miners"`},
		{"unknown driver", func(a *Asic) { a.Driver = "cgminer9000" }, `"driver"`},
		{"negative timeout", func(a *Asic) { a.Timeout = config.Duration(-time.Second) }, `"timeout"`},
		{"negative concurrency", func(a *Asic) { a.Concurrency = -1 }, `"concurrency"`},
		{"port out of range", func(a *Asic) { a.Ports.RPC = 70000 }, `"ports.rpc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New()
			p.Miners = []string{"10.0.0.5"}
			tt.set(p)
			err := p.Init()
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.key)
		})
	}
}

func TestExpandMiners(t *testing.T) {
	got, err := expandMiners([]string{"10.0.0.0/30", "10.0.1.10-12", "10.0.2.254-10.0.3.1", "miner-7.farm", "10.0.0.1", "[::1]:4029"})
	require.NoError(t, err)
	var hosts []string
	for _, tg := range got {
		hosts = append(hosts, fmt.Sprintf("%s:%d:%v", tg.host, tg.rpcPort, tg.listed))
	}
	require.Equal(t, []string{
		"10.0.0.1:0:false", "10.0.0.2:0:false", // /30 without network and broadcast
		"10.0.1.10:0:false", "10.0.1.11:0:false", "10.0.1.12:0:false",
		"10.0.2.254:0:false", "10.0.2.255:0:false", "10.0.3.0:0:false", "10.0.3.1:0:false",
		"miner-7.farm:0:true",
		// 10.0.0.1 again: already listed through the CIDR block
		"::1:4029:true",
	}, hosts)

	got, err = expandMiners([]string{"10.0.0.0/16"})
	require.NoError(t, err)
	require.Len(t, got, 65534)
}

// startCapture serves a real capture folder on loopback.
func startCapture(t *testing.T, dir string, mode fakeminer.Mode) *fakeminer.Miner {
	t.Helper()
	reps, err := fakeminer.LoadDir(dir)
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true, Mode: mode}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m
}

func statusOf(t *testing.T, acc *testutil.Accumulator, source string) (string, map[string]any) {
	t.Helper()
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() == "asic_status" && m.Tags()["source"] == source {
			return m.Tags()["result"], m.Fields()
		}
	}
	t.Fatalf("no asic_status for %s", source)
	return "", nil
}

func count(acc *testutil.Accumulator, name, source string) int {
	n := 0
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() == name && m.Tags()["source"] == source {
			n++
		}
	}
	return n
}

// One good Antminer among misbehaving miners: the good one's data arrives
// complete, each bad one gets its own status, and nothing waits past the
// deadline.
func TestBadMinersDoNotHurtOthers(t *testing.T) {
	good := startCapture(t, "../../../testdata/antminer/S19Pro_49.0.1.3", fakeminer.Normal)
	const dir = "../../../testdata/antminer/S19Pro_49.0.1.3"
	silent := startCapture(t, dir, fakeminer.Silent)
	garbage := startCapture(t, dir, fakeminer.Garbage)
	half := startCapture(t, dir, fakeminer.Half)
	stream := startCapture(t, dir, fakeminer.Stream)
	html := startCapture(t, dir, fakeminer.HTML)
	reset := startCapture(t, dir, fakeminer.Reset)
	slow := startCapture(t, dir, fakeminer.Slow)
	refused := startCapture(t, "../../../testdata/antminer/S19Pro_49.0.1.3", fakeminer.Normal)
	refusedAddr := refused.Addr()
	refused.Close() // nothing listens there now

	p := New()
	p.Miners = []string{good.Addr(), silent.Addr(), garbage.Addr(), half.Addr(), stream.Addr(), html.Addr(),
		reset.Addr(), slow.Addr(), refusedAddr}
	p.Timeout = config.Duration(time.Second)
	p.Log = testutil.Logger{Quiet: true}
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	began := time.Now()
	require.NoError(t, p.Gather(&acc))
	require.Less(t, time.Since(began), 4*time.Second, "a hung miner costs its own deadline only")

	res, f := statusOf(t, &acc, good.Addr())
	require.Equal(t, "success", res)
	require.Equal(t, true, f["up"])
	// S19 Pro capture (asic-rs): chain_rate1..3 = 37603.30 + 35536.22 + 37427.38 GH/s.
	hr, ok := acc.FloatField("asic", "hashrate_ths")
	require.True(t, ok)
	require.InDelta(t, 110.567, hr, 0.01) // TH/s, SUMMARY "GHS 5s" 110566.89 GH/s
	require.Equal(t, 3, count(&acc, "asic_hashboard", good.Addr()))
	require.Equal(t, 4, count(&acc, "asic_fan", good.Addr()))
	require.Equal(t, 3, count(&acc, "asic_pool", good.Addr()))

	for addr, want := range map[string]string{
		// driver = "auto": a port that answers, but as no known firmware,
		// is unsupported (docs/schema.md's result rules).
		silent.Addr(): "timeout", slow.Addr(): "timeout", garbage.Addr(): "unsupported", half.Addr(): "unsupported",
		stream.Addr(): "unsupported", html.Addr(): "unsupported", reset.Addr(): "unsupported",
		refusedAddr: "connection_refused",
	} {
		res, f := statusOf(t, &acc, addr)
		require.Equal(t, want, res, "miner %s: %v", addr, f["error"])
		require.Equal(t, false, f["up"])
		require.Contains(t, f["error"], addr, "the error names the miner")
		require.Equal(t, 0, count(&acc, "asic", addr), "no stale or partial values from a failed miner")
	}
	require.Len(t, acc.Errors, 8)
}

func TestDriverPanicIsContained(t *testing.T) {
	p := New()
	p.Miners = []string{"127.0.0.5", "127.0.0.6"}
	p.Driver = "test-panic"
	p.Log = testutil.Logger{Quiet: true}
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	for _, src := range []string{"127.0.0.5", "127.0.0.6"} {
		res, f := statusOf(t, &acc, src)
		require.Equal(t, "bad_response", res)
		require.Contains(t, f["error"], "failed internally")
	}
}

func TestConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int64
	d := &testDriver{data: func(drivers.Target) (*drivers.MinerData, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		return &drivers.MinerData{Make: "Antminer", UptimeSeconds: i64(1)}, nil
	}}
	p := New()
	for i := 1; i <= 254; i++ {
		p.Miners = append(p.Miners, fmt.Sprintf("127.1.0.%d", i))
	}
	p.Concurrency = 7
	p.Log = testutil.Logger{}
	require.NoError(t, p.Init())
	p.fixed = d
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	require.Equal(t, int64(254), d.calls.Load())
	require.LessOrEqual(t, peak.Load(), int64(7))
	require.Equal(t, 254, len(acc.GetTelegrafMetrics())/2, "one asic and one asic_status per miner")
}

func TestSampleConfigLoads(t *testing.T) {
	c := config.NewConfig()
	require.NoError(t, c.LoadConfigData(testutil.DefaultSampleConfig(New().SampleConfig()), config.EmptySourcePath))
	require.Len(t, c.Inputs, 1)
}

// The README's configuration block is the embedded sample.conf, verbatim.
func TestReadmeCarriesSampleConfig(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "```toml @sample.conf\n"+sampleConfig+"```")
}

// The miners list is parsed from user text: no entry may panic, and what
// it expands to stays within the bound.
func FuzzExpandMiners(f *testing.F) {
	for _, s := range []string{"10.0.0.5", "10.0.0.0/30", "10.0.1.10-12", "10.0.2.254-10.0.3.1", "miner-7.farm",
		"[::1]:4029", "10.0.0.5:0", "10.0.0.300", "10.0.0.50-10", "::/120", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		got, err := expandMiners([]string{entry})
		if err == nil && len(got) > maxTargets {
			t.Fatalf("%q expanded to %d targets", entry, len(got))
		}
		for _, tg := range got {
			if tg.host == "" || tg.rpcPort < 0 || tg.rpcPort > 65535 {
				t.Fatalf("%q gave target %+v", entry, tg)
			}
		}
	})
}

// A long error of multi-byte text is cut on a character boundary.
func TestStatusErrorTruncatedOnRune(t *testing.T) {
	var acc testutil.Accumulator
	long := strings.Repeat("风扇故障", 200) // 2,400 bytes of 3-byte characters
	addStatus(&acc, "127.0.0.9", nil, fmt.Errorf("miner said %s: %w", long, drivers.ErrBadResponse), nil, 0, time.Now())
	msg, ok := acc.StringField("asic_status", "error")
	require.True(t, ok)
	require.True(t, utf8.ValidString(msg))
	require.LessOrEqual(t, len(msg), maxStatusError+3)
}
