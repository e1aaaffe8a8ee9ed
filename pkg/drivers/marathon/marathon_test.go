package marathon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
)

const captures = "../../../testdata/marathon"

// handmade loads the hand-made pages (no capture of them exists).
func handmade(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range []string{"pools", "network_config", "locate_miner", "miner_config"} {
		b, err := os.ReadFile(filepath.Join("testdata", "handmade_"+p+".json"))
		require.NoError(t, err)
		out[p] = b
	}
	return out
}

type boardWant struct {
	active               bool
	chips                int64
	ths, expTHs          float64
	pcbC, chipC, freqMHz float64 // 0 = absent
}

type want struct {
	ths, expTHs, watts, boardSumTHs float64
	uptime                          int64
	mining                          bool
	errors                          []drivers.MinerError
	boards                          []boardWant
	fans                            []int64
	fanPct                          float64
}

func TestParseCaptures(t *testing.T) {
	cases := map[string]want{
		"KS5Pro_rel3.14_584": {
			ths:    12.724099,  // brief hashrate_realtime 12724.099 GH/s / 1e3
			expTHs: 13.9033125, // hashrate_ideal 13903.3125 GH/s
			watts:  1946,       // power_consumption_estimated, W
			// boards' hashrate_realtime_10m 0 + 6429.394 + 6294.704 = 12724.098 GH/s
			boardSumTHs: 12.724098,
			uptime:      661101, // elapsed, s
			mining:      true,   // status "Mining"
			errors:      []drivers.MinerError{{Message: "Degraded: Hash board error"}},
			boards: []boardWant{
				// slot 0 present false, asic_num 0: a missing board, kept; 0 temperatures = no sensor
				{active: false, chips: 0, ths: 0, expTHs: 0},
				// temperature_pcb [57.25, 68.25] -> 68.25 °C; temperature_chip [62.25, 73.25] -> 73.25 °C
				{active: true, chips: 92, ths: 6.429394, expTHs: 6.9512627, pcbC: 68.25, chipC: 73.25, freqMHz: 599.66034},
				{active: true, chips: 92, ths: 6.294704, expTHs: 6.95205, pcbC: 70.511185, chipC: 75.511185, freqMHz: 599.7283},
			},
			fans:   []int64{3240, 3240, 3240, 3300}, // current_speed RPM
			fanPct: 43,
		},
		"KS5Pro_rel3.14_584_sleep": {
			ths: 0, expTHs: 0, watts: 25, boardSumTHs: 0, uptime: 264,
			mining: false,                  // status "Sleep"
			errors: []drivers.MinerError{}, // indicator "Fully functional": a clean report
			boards: []boardWant{
				// hashrate_ideal 579.6 GH/s = 0.5796 TH/s; frequency_average 50 MHz
				{active: true, chips: 92, ths: 0, expTHs: 0.5796, pcbC: 37.125, chipC: 42.125, freqMHz: 50},
				{active: true, chips: 92, ths: 0, expTHs: 0.5796, pcbC: 36.998985, chipC: 41.998985, freqMHz: 50},
				{active: true, chips: 92, ths: 0, expTHs: 0.5796, pcbC: 37, chipC: 42, freqMHz: 50},
			},
			fans: []int64{0, 0, 0, 0}, fanPct: 0,
		},
	}
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		w, ok := cases[e.Name()]
		require.True(t, ok, "capture folder %s has no test case", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			d := Parse(RepliesFromRaw(httpapitest.LoadWebDir(t, filepath.Join(captures, e.Name()))))
			check(t, d, w)
		})
	}
}

func check(t *testing.T, d *drivers.MinerData, w want) {
	t.Helper()
	require.Empty(t, d.Problems)
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, "marathon", d.Firmware)
	require.Equal(t, "KS5 Pro", d.Model, `overview model "Antminer KS5 Pro"`)
	require.Equal(t, "kheavyhash", d.Algorithm)
	require.Equal(t, "3.14_584", d.FirmwareVersion, `"MaraFW rel 3.14_584"`)
	require.Empty(t, d.MAC, "omitted from the capture")
	require.InDelta(t, w.ths, *d.Hashrate, 1e-9, "hashrate TH/s")
	require.InDelta(t, w.expTHs, *d.ExpectedHashrate, 1e-9, "expected TH/s")
	require.InDelta(t, w.watts, *d.PowerWatts, 1e-9, "power W")
	require.Equal(t, w.uptime, *d.UptimeSeconds, "uptime s")
	require.Equal(t, w.mining, *d.IsMining)
	require.NotNil(t, d.Errors)
	require.Equal(t, w.errors, d.Errors)
	require.Equal(t, int64(3), *d.ExpectedBoards, "hashboard_num_ideal")
	require.Equal(t, int64(3*92), *d.ExpectedChips, "asic_num_ideal 92 x 3")
	require.Len(t, d.Boards, len(w.boards))
	var sum float64
	for i, wb := range w.boards {
		b := d.Boards[i]
		require.Equal(t, i, b.Index)
		require.Equal(t, wb.active, *b.Active, "board %d present", i)
		require.Equal(t, wb.chips, *b.Chips, "board %d chips", i)
		require.Equal(t, int64(92), *b.ExpectedChips)
		require.InDelta(t, wb.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
		require.InDelta(t, wb.expTHs, *b.ExpectedHashrate, 1e-9, "board %d expected TH/s", i)
		opt(t, wb.pcbC, b.Temperature, "board %d PCB °C", i)
		opt(t, wb.chipC, b.ChipTemperature, "board %d chip °C", i)
		opt(t, wb.freqMHz, b.FrequencyMHz, "board %d MHz", i)
		sum += *b.Hashrate
	}
	require.InDelta(t, w.boardSumTHs, sum, 1e-9, "board sum TH/s")
	require.Len(t, d.Fans, len(w.fans))
	for i, rpm := range w.fans {
		require.Equal(t, i, d.Fans[i].Index)
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
		require.InDelta(t, w.fanPct, *d.Fans[i].Percent, 1e-9, "fan %d duty %%", i)
	}
	require.Nil(t, d.Pools, "no pools page in the capture")
	require.Nil(t, d.FaultLight)
}

func opt(t *testing.T, want float64, got *float64, msg string, args ...any) {
	t.Helper()
	m := fmt.Sprintf(msg, args...)
	if want == 0 {
		require.Nil(t, got, m)
		return
	}
	require.NotNil(t, got, m)
	require.InDelta(t, want, *got, 1e-9, m)
}

// The pools, network_config, locate_miner and miner_config pages are
// hand-made (no capture exists), in the documented format.
func TestHandmadePagesAllPoolFields(t *testing.T) {
	raw := httpapitest.LoadWebDir(t, filepath.Join(captures, "KS5Pro_rel3.14_584"))
	for k, v := range handmade(t) {
		raw[k] = v
	}
	d := Parse(RepliesFromRaw(raw))
	require.Empty(t, d.Problems)
	require.Equal(t, "mara-ks5pro-01", d.Hostname)
	require.True(t, *d.FaultLight, "blinking true")
	require.Equal(t, 3000.0, *d.PowerLimitWatts, "concorde power-target W")
	require.Len(t, d.Pools, 3)
	for i, w := range []struct {
		scheme, host    string
		port            int
		acc, rej, stale int64
		alive, active   bool
	}{
		{"stratum+tcp", "btc.example-pool.com", 3333, 1520, 12, 3, false, false}, // "Dead"
		{"stratum+ssl", "backup.example-pool.com", 443, 880, 4, 1, true, true},   // alive, lowest priority (1)
		{"stratum+tcp", "btc2.example-pool.com", 25, 0, 0, 0, true, false},       // no scheme = stratum+tcp
	} {
		p := d.Pools[i]
		require.Equal(t, i, p.Index)
		require.Equal(t, w.scheme, p.URL.Scheme)
		require.Equal(t, w.host, p.URL.Host)
		require.Equal(t, w.port, p.URL.Port)
		require.Equal(t, "acct.worker1", p.User)
		require.Equal(t, w.acc, *p.Accepted, "accepted")
		require.Equal(t, w.rej, *p.Rejected, "rejected")
		require.Equal(t, w.stale, *p.Stale, "stale")
		require.Nil(t, p.GetFailures, "not on this page (pyasic's stale->get_failures is not copied)")
		require.Nil(t, p.RemoteFailures, "discarded shares are not remote failures")
		require.Equal(t, w.alive, *p.Alive, "alive")
		require.Equal(t, w.active, *p.Active, "active")
	}
}

func TestUnitsAndPadding(t *testing.T) {
	raw := map[string][]byte{
		"brief":    []byte(`{"hashrate_unit":"TH/s","hashrate_realtime":"200.5","hashrate_ideal":210,"status":"Mining"}`),
		"overview": []byte(`{"model":"","model_extended":"Antminer L9 (16G)","version_firmware":"1.2.3","mac":"aa-bb-cc-dd-ee-ff"}`),
		"hashboards": []byte(`{"hashboard_num_ideal":2,"hashboards":[
			{"index":0,"present":true,"asic_num":110,"hashrate_average":100.25,"hashrate_average_unit":"TH/s","temperature_pcb":[0,0,61,64],"temperature_chip":70},
			{"index":1,"present":true,"asic_num":0,"hashrate_average":0},
			{"index":2,"present":false,"asic_num":0,"hashrate_average":0}]}`),
	}
	d := Parse(RepliesFromRaw(raw))
	require.Empty(t, d.Problems)
	require.Equal(t, "L9", d.Model)
	require.Equal(t, "scrypt", d.Algorithm)
	require.Equal(t, "1.2.3", d.FirmwareVersion)
	require.Equal(t, "AA:BB:CC:DD:EE:FF", d.MAC)
	require.InDelta(t, 200.5, *d.Hashrate, 1e-9, "TH/s unit honoured")
	require.Len(t, d.Boards, 2, "the dead board stays, the padding slot beyond hashboard_num_ideal goes")
	require.InDelta(t, 100.25, *d.Boards[0].Hashrate, 1e-9)
	require.Equal(t, 64.0, *d.Boards[0].Temperature, "0 readings dropped")
	require.Equal(t, 70.0, *d.Boards[0].ChipTemperature)
	require.Equal(t, int64(0), *d.Boards[1].Chips, "dead board: 0 chips")
	require.Equal(t, 0.0, *d.Boards[1].Hashrate)

	bad := Parse(RepliesFromRaw(map[string][]byte{"brief": []byte(`{"hashrate_unit":"furlongs","hashrate_realtime":5,"elapsed":10}`)}))
	require.Len(t, bad.Problems, 1)
	require.Nil(t, bad.Hashrate)
	require.Equal(t, int64(10), *bad.UptimeSeconds)
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	raw := httpapitest.LoadWebDir(t, filepath.Join(captures, "KS5Pro_rel3.14_584"))
	raw["hashboards"] = []byte(`{"hashboards":[{"index":1,"hashrate_average":`)
	raw["fans"] = []byte(`<html><title>Login</title></html>`)
	d := Parse(RepliesFromRaw(raw))
	require.Len(t, d.Problems, 2, "%v", d.Problems)
	msgs := fmt.Sprint(d.Problems)
	require.Contains(t, msgs, "/kaonsu/v1/hashboards")
	require.Contains(t, msgs, "/kaonsu/v1/fans")
	require.Empty(t, d.Boards)
	require.Empty(t, d.Fans)
	require.InDelta(t, 12.724099, *d.Hashrate, 1e-9, "brief kept")
	require.Equal(t, "KS5 Pro", d.Model, "overview kept")
}

// startUI is MaraFW's web UI: httpapitest's Digest server (its own code,
// not the client's) with realm "MaraFW" and the pages at /kaonsu/v1/<name>.
func startUI(t *testing.T, pages map[string][]byte, user, pass string) *httpapitest.Server {
	return httpapitest.Start(t, pages, user, pass).As("MaraFW", "/kaonsu/v1/", "")
}

func TestGatherDigest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pages := httpapitest.LoadWebDir(t, filepath.Join(captures, "KS5Pro_rel3.14_584"))
	for k, v := range handmade(t) {
		pages[k] = v
	}
	drv, err := drivers.New(Name)
	require.NoError(t, err)

	ui := startUI(t, pages, "root", "root")
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: ui.Port()}}
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err, "default root/root")
	require.Empty(t, d.Problems)
	require.InDelta(t, 12.724099, *d.Hashrate, 1e-9, "12724.099 GH/s in TH/s")
	require.Len(t, d.Pools, 3)
	require.Equal(t, "mara-ks5pro-01", d.Hostname)
	require.Equal(t, int32(1), ui.Conns.Load(), "one connection")
	require.Len(t, ui.Paths(), len(Pages))
	require.Equal(t, int32(1), ui.Unauth.Load(), "one challenge, then the cached one is reused")

	// Expired nonces: answered with stale=true, retried without failing.
	ui.Rotate(3)
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Positive(t, ui.Stale.Load())

	// A firmware without some pages (404): skipped silently.
	ui.DeletePage("miner_config")
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Nil(t, d.PowerLimitWatts)

	// Wrong and missing credentials: auth_failed, no secret in the error.
	ui2 := startUI(t, pages, "root", "Mara-Secret")
	target.Ports.Web = ui2.Port()
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "default refused: %v", err)
	target.Password = "bad-Guess"
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.NotContains(t, err.Error(), "bad-Guess")
	require.LessOrEqual(t, ui2.Unauth.Load(), int32(4), "two gathers, at most two 401s each")
	target.Password = "Mara-Secret"
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, "KS5 Pro", d.Model)

	// Nothing listening: connection_refused (a fresh driver: no idle
	// keep-alive connection to reuse).
	ui.Close()
	target.Ports.Web = ui.Port()
	_, err = Driver{Web: httpapi.NewTransport(httpapi.Options{})}.Gather(ctx, target)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
}

func FuzzParseMarathon(f *testing.F) {
	var bases []map[string][]byte
	dirs, err := os.ReadDir(captures)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		b := httpapitest.LoadWebDir(f, filepath.Join(captures, e.Name()))
		for k, v := range handmade(f) {
			b[k] = v
		}
		bases = append(bases, b)
	}
	for bi, base := range bases {
		for name, b := range base {
			f.Add(uint8(bi), uint8(slices.Index(Pages, name)), b)
		}
	}
	f.Fuzz(func(t *testing.T, bi, page uint8, data []byte) {
		base := bases[int(bi)%len(bases)]
		raw := make(map[string][]byte, len(base))
		for k, v := range base {
			raw[k] = v
		}
		raw[Pages[int(page)%len(Pages)]] = data
		if Parse(RepliesFromRaw(raw)) == nil {
			t.Fatal("nil")
		}
	})
}
