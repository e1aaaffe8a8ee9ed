package antminer

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
)

const (
	s23Dir    = captures + "/S23Hyd_AML_20260626"
	s19Dir    = captures + "/S19Pro_49.0.1.3"
	s19WebDir = "testdata/handmade_web_S19Pro"
)

// The S23 Hyd. from its web pages alone (4028 disabled).
func TestParseWebOnlyS23(t *testing.T) {
	w := httpapi.RepliesFromRaw(httpapitest.LoadWebDir(t, s23Dir))
	d := ParseWithWeb(nil, w)
	require.Empty(t, d.Problems)
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, "S23 Hyd.", d.Model, "INFO.type \"Antminer S23 Hyd.\"")
	require.Equal(t, "stock", d.Firmware)
	require.Equal(t, "sha256", d.Algorithm)
	require.Equal(t, "Fri Jun 26 09:24:23 CST 2026", d.FirmwareVersion, "INFO.CompileTime")
	require.Equal(t, "1.0.0", d.APIVersion, "STATUS.api_version")
	// summary rate_5s 572845.56 GH/s / 1e3 = 572.84556 TH/s
	require.InDelta(t, 572.84556, *d.Hashrate, 1e-9, "TH/s")
	// rate_ideal 581972.7 GH/s = 581.9727 TH/s
	require.InDelta(t, 581.9727, *d.ExpectedHashrate, 1e-9, "expected TH/s")
	require.InDelta(t, 5525, *d.PowerWatts, 1e-9, "stats watt, W")
	require.Equal(t, int64(167431), *d.UptimeSeconds, "summary elapsed, s")
	require.Len(t, d.Boards, 3)
	for i, want := range []struct{ ths, exp, pcb, chip float64 }{
		{188.8961, 194.0991, 52, 56},  // rate_real 188896.1 GH/s; temp_pcb max 52; temp_chip max 56
		{192.19463, 193.9748, 52, 55}, // 192194.63 GH/s; chip [43,43,55,55]
		{191.75483, 193.8988, 52, 56}, // 191754.83 GH/s
	} {
		b := d.Boards[i]
		require.Equal(t, i, b.Index)
		require.InDelta(t, want.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
		require.InDelta(t, want.exp, *b.ExpectedHashrate, 1e-9, "board %d expected TH/s", i)
		require.Equal(t, want.pcb, *b.Temperature, "board %d PCB °C", i)
		require.Equal(t, want.chip, *b.ChipTemperature, "board %d chip °C", i)
		require.Equal(t, int64(84), *b.Chips, "board %d chips", i)
		require.Equal(t, "REDACTED-SERIAL", b.SerialNumber)
	}
	// Board sum 188896.1 + 192194.63 + 191754.83 = 572845.56 GH/s.
	require.Empty(t, d.Fans, "fan [] and fan_num 0 on the hydro unit")
	require.NotNil(t, d.Errors, "the summary has a status list")
	require.Empty(t, d.Errors, `all "s", and fans "" is no verdict`)
	require.True(t, *d.IsMining)
}

// A stock S21 from its web pages alone; the pages come from two polls
// (summary.cgi elapsed 3817, stats.cgi elapsed 8152), as captured.
func TestParseWebOnlyS21(t *testing.T) {
	w := httpapi.RepliesFromRaw(httpapitest.LoadWebDir(t, captures+"/S21_20240711_web"))
	d := ParseWithWeb(nil, w)
	require.Empty(t, d.Problems)
	require.Equal(t, "S21", d.Model, "INFO.type / minertype \"Antminer S21\"")
	require.Equal(t, "stock", d.Firmware)
	require.Equal(t, "sha256", d.Algorithm)
	require.Equal(t, "Thu Jul 11 16:38:25 CST 2024", d.FirmwareVersion, "INFO.CompileTime")
	require.Equal(t, "1.0.0", d.APIVersion, "STATUS.api_version")
	require.Equal(t, "02:50:53:09:DA:D9", d.MAC, "get_system_info macaddr")
	require.Equal(t, "Antminer", d.Hostname)
	require.Equal(t, "SMTTATUBDJAAI00A5", d.SerialNumber, "serinum")
	// summary rate_5s 206238.69 GH/s / 1e3; rate_ideal 200000 GH/s
	require.InDelta(t, 206.23869, *d.Hashrate, 1e-9, "TH/s")
	require.InDelta(t, 200.0, *d.ExpectedHashrate, 1e-9, "expected TH/s")
	require.Nil(t, d.PowerWatts, "no watt on this model's stats.cgi")
	require.Equal(t, int64(3817), *d.UptimeSeconds, "summary elapsed, s")
	require.Len(t, d.Boards, 3)
	for i, want := range []struct {
		ths, pcb, chip float64
		sn             string
	}{
		{67.29341, 68, 73, "SMTTYRHBDJAAI019D"}, // rate_real 67293.41 GH/s; temp_pcb [54,54,68,68]; temp_chip [59,59,73,73]
		{68.91675, 67, 72, "SMTTYRHBDJAAI019N"},
		{70.69163, 68, 73, "SMTTYRHBDJAAI019S"},
	} {
		b := d.Boards[i]
		require.Equal(t, i, b.Index)
		require.InDelta(t, want.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
		require.InDelta(t, 67.525, *b.ExpectedHashrate, 1e-9, "board %d rate_ideal 67525 GH/s", i)
		require.Equal(t, want.pcb, *b.Temperature, "board %d PCB °C", i)
		require.Equal(t, want.chip, *b.ChipTemperature, "board %d chip °C", i)
		require.Equal(t, int64(108), *b.Chips, "board %d asic_num", i)
		require.InDelta(t, 490.0, *b.FrequencyMHz, 1e-9, "board %d freq_avg", i)
		require.Equal(t, want.sn, b.SerialNumber)
	}
	require.Len(t, d.Fans, 4)
	for i := range d.Fans {
		require.Equal(t, int64(7000), *d.Fans[i].RPM, "fan %d", i)
	}
	require.NotNil(t, d.Errors, "the summary has a status list")
	require.Empty(t, d.Errors, `rate, network, fans, temp all "s"`)
	require.True(t, *d.IsMining)
}

// 4028 capture plus web pages: the web adds identity, light, errors; the
// 4028 values stay.
func TestParseWithWebMerge(t *testing.T) {
	b := cgminer.BatchFromRaw("test", fakeminer.MustLoadDir(t, s19Dir))
	w := httpapi.RepliesFromRaw(httpapitest.LoadWebDir(t, s19WebDir))
	d := ParseWithWeb(b, w)
	checkS19Merged(t, d)
}

func checkS19Merged(t *testing.T, d *drivers.MinerData) {
	t.Helper()
	require.Empty(t, d.Problems, "missing stats/pools pages are not problems")
	require.Equal(t, "S19 Pro", d.Model)
	require.Equal(t, "3.1", d.APIVersion, "4028 version API, not the web's 1.0.0")
	require.InDelta(t, 110.56689, *d.Hashrate, 1e-9, "4028 summary GHS 5s 110566.89 GH/s = 110.56689 TH/s")
	require.Equal(t, int64(50474), *d.UptimeSeconds, "s")
	require.Len(t, d.Boards, 3)
	require.InDelta(t, 37.6033, *d.Boards[0].Hashrate, 1e-9, "chain_rate1 37603.30 GH/s")
	require.Len(t, d.Fans, 4)
	require.Len(t, d.Pools, 3)
	require.NotNil(t, d.Pools[0].GetFailures, "4028 pools kept (the web page has no get failures)")
	require.Equal(t, "02:1A:2B:3C:4D:5E", d.MAC, "macaddr 02:1a:2b:3c:4d:5e normalised")
	require.Equal(t, "rack7-s19pro", d.Hostname)
	require.Equal(t, "HTM3X0123456789", d.SerialNumber, "serinum")
	require.True(t, *d.FaultLight, "blink true")
	require.True(t, *d.IsMining, "work mode 0 and hashing")
	require.Equal(t, []drivers.MinerError{{Code: "2", Message: "fan 3 speed too low"}}, d.Errors)
}

func TestWebWorkModeSleep(t *testing.T) {
	raw := httpapitest.LoadWebDir(t, s19WebDir)
	raw["get_miner_conf"] = []byte(`{"bitmain-work-mode":"1"}`)
	b := cgminer.BatchFromRaw("test", fakeminer.MustLoadDir(t, s19Dir))
	d := ParseWithWeb(b, httpapi.RepliesFromRaw(raw))
	require.False(t, *d.IsMining, "bitmain-work-mode 1 = sleep, whatever the 5 s rate says")

	raw["get_miner_conf"] = []byte(`{"bitmain-work-mode":"fast"}`)
	d = ParseWithWeb(b, httpapi.RepliesFromRaw(raw))
	require.True(t, *d.IsMining, "from the hashrate")
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), `"bitmain-work-mode"`)
}

// A broken page loses only itself; a broken 4028 command likewise.
func TestWebBrokenSectionKeepsTheRest(t *testing.T) {
	raw := httpapitest.LoadWebDir(t, s23Dir)
	raw["summary"] = []byte(`<html><body>Internal Server Error</body></html>`)
	d := ParseWithWeb(nil, httpapi.RepliesFromRaw(raw))
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), "summary.cgi")
	require.Nil(t, d.Errors, "no status list")
	require.Len(t, d.Boards, 3, "stats kept")
	require.InDelta(t, 572.84556, *d.TotalHashrate(), 1e-6, "stats rate_5s 572845.56 GH/s")
	require.Equal(t, int64(167430), *d.UptimeSeconds, "stats elapsed")
}

func startWeb(t *testing.T, dir, user, pass string) *httpapitest.Server {
	return httpapitest.Start(t, httpapitest.LoadWebDir(t, dir), user, pass)
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestGatherWebAndRPC(t *testing.T) {
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, multi := range []bool{true, false} {
		m, target := startFake(t, s19Dir, multi)
		web := startWeb(t, s19WebDir, "root", "root")
		target.Ports.Web = web.Port()
		d, err := drv.Gather(ctx, target)
		require.NoError(t, err)
		checkS19Merged(t, d)
		if multi {
			require.Equal(t, []string{"version+summary+stats+pools"}, m.Commands())
		}
		require.Equal(t, int32(1), web.Conns.Load(), "one keep-alive connection for all pages")
		require.ElementsMatch(t, []string{"/cgi-bin/get_system_info.cgi", "/cgi-bin/summary.cgi",
			"/cgi-bin/get_blink_status.cgi", "/cgi-bin/get_miner_conf.cgi"}, web.Paths())
	}
}

func TestGatherCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	drv := Driver{Web: httpapi.NewTransport(httpapi.Options{})}

	// Miner with its own password; the target names it.
	_, target := startFake(t, s19Dir, true)
	web := startWeb(t, s19WebDir, "root", "farm-Secret-42")
	target.Ports.Web = web.Port()
	target.Password = "farm-Secret-42"
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, "HTM3X0123456789", d.SerialNumber)

	// Wrong password: 4028 data kept, one auth problem, no retry storm.
	target.Password = "wrong-Secret"
	web.Unauth.Store(0)
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.InDelta(t, 110.56689, *d.Hashrate, 1e-9)
	require.Empty(t, d.MAC)
	require.Len(t, d.Problems, 1)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(d.Problems[0]))
	require.NotContains(t, d.Problems[0].Error(), "wrong-Secret")
	require.NotContains(t, d.Problems[0].Error(), "farm-Secret-42")
	require.LessOrEqual(t, web.Unauth.Load(), int32(2), "one failed login per gather")

	// Missing credentials: the default root/root is refused by this miner.
	target.Password = ""
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(d.Problems[0]))

	// 4028 disabled and the web password wrong: auth_failed, not refused.
	target.Ports.RPC = closedPort(t)
	target.Password = "wrong-Secret"
	d, err = drv.Gather(ctx, target)
	require.Nil(t, d)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "%v", err)
	require.NotContains(t, err.Error(), "wrong-Secret")
}

// 4028 disabled: the web alone monitors the miner, without a problem.
func TestGatherWebOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	web := startWeb(t, s23Dir, "root", "root")
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closedPort(t), Web: web.Port()}}
	d, err := Driver{}.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Equal(t, "S23 Hyd.", d.Model)
	require.InDelta(t, 572.84556, *d.Hashrate, 1e-9, "TH/s")
	require.Len(t, d.Boards, 3)

	// Web down too: the 4028 error, classified.
	web.Close()
	d, err = Driver{}.Gather(ctx, target)
	require.Nil(t, d)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

// 4028 answers, the web hangs: the 4028 data arrives with a timeout problem.
func TestGatherWebTimeoutKeepsRPC(t *testing.T) {
	_, target := startFake(t, filepath.Join(captures, "S19Pro_49.0.1.3"), true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept and say nothing
		}
	}()
	target.Ports.Web = ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	d, err := Driver{}.Gather(ctx, target)
	require.NoError(t, err)
	require.InDelta(t, 110.56689, *d.Hashrate, 1e-9)
	require.Len(t, d.Problems, 1)
	require.Equal(t, drivers.ResultTimeout, drivers.Result(d.Problems[0]), "%v", d.Problems[0])
}

// The S23 Hyd. with both APIs answering (both captured from the same
// unit): 4028 stats has no power; stats.cgi's "watt" is kept, the 4028
// values stand where both carry one.
func TestParseBothAPIsS23KeepsWebPower(t *testing.T) {
	rpc := fakeminer.MustLoadDir(t, s23Dir)
	b := cgminer.BatchFromRaw("test", map[string][]byte{"stats": rpc["stats"]})
	w := httpapi.RepliesFromRaw(httpapitest.LoadWebDir(t, s23Dir))
	d := ParseWithWeb(b, w)
	for _, p := range d.Problems {
		require.ErrorIs(t, p, cgminer.ErrNotRequested, "only the commands this capture lacks: %v", p)
	}
	require.Len(t, d.Problems, 3) // version, summary, pools
	require.InDelta(t, 5525, *d.PowerWatts, 1e-9, "stats.cgi watt, W: 4028 stats has none")
	require.InDelta(t, 581.9727, *d.ExpectedHashrate, 1e-9, "4028 total_rateideal 581972.7 GH")
	require.Equal(t, int64(167431), *d.UptimeSeconds, "4028 stats Elapsed, not stats.cgi's 167430")
	require.Len(t, d.Boards, 3)
	require.Equal(t, 52.0, *d.Boards[0].Temperature)
	require.Equal(t, 56.0, *d.Boards[0].ChipTemperature)
	require.Equal(t, int64(84), *d.Boards[2].Chips)

	// Without the page, no power: nothing is made up.
	raw := httpapitest.LoadWebDir(t, s23Dir)
	delete(raw, "stats")
	d = ParseWithWeb(b, httpapi.RepliesFromRaw(raw))
	require.Nil(t, d.PowerWatts)
}

// End to end, two gathers: the driver's memory keeps asking stats.cgi of a
// miner whose 4028 API answers, because the page carries the power.
func TestGatherBothAPIsS23KeepsWebPower(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	_, target := startFake(t, s23Dir, true)
	web := startWeb(t, s23Dir, "root", "root")
	target.Ports.Web = web.Port()
	for i := 0; i < 2; i++ {
		d, err := drv.Gather(ctx, target)
		require.NoError(t, err)
		require.InDelta(t, 5525, *d.PowerWatts, 1e-9, "gather %d", i)
		require.InDelta(t, 572.84556, *d.Hashrate, 1e-9, "gather %d: summary.cgi rate_5s (no 4028 summary)", i)
	}
	require.Equal(t, 2, count(web.Paths(), "/cgi-bin/stats.cgi"), "asked on both gathers")
	require.Equal(t, 2, count(web.Paths(), "/cgi-bin/summary.cgi"))

}

func count(l []string, s string) int {
	n := 0
	for _, x := range l {
		if x == s {
			n++
		}
	}
	return n
}

// drivers.Merge on the two APIs of one S23 Hyd., each parsed on its own:
// what one API alone carries is kept whichever comes first; where both
// carry a value, the first one's stands.
func TestMergeS23BothAPIs(t *testing.T) {
	rpc := cgminer.BatchFromRaw("test", map[string][]byte{"stats": fakeminer.MustLoadDir(t, s23Dir)["stats"]})
	web := httpapi.RepliesFromRaw(httpapitest.LoadWebDir(t, s23Dir))
	parse := func(s jsonval.Obj, err error) *drivers.MinerData {
		require.NoError(t, err)
		d := &drivers.MinerData{Make: "Antminer", Model: "S23 Hyd.", Algorithm: "sha256"}
		ParseStats(d, s, Options{})
		require.Empty(t, d.Problems)
		return d
	}
	for _, order := range []string{"rpc first", "web first"} {
		r, w := parse(rpc.Reply("stats")), parse(web.Reply("stats"))
		require.Nil(t, r.PowerWatts, "4028 stats has no wall power")
		require.Equal(t, int64(167431), *r.UptimeSeconds)
		require.Equal(t, int64(167430), *w.UptimeSeconds)
		d, o := r, w
		if order == "web first" {
			d, o = w, r
		}
		require.True(t, drivers.Merge(d, o) || order == "web first", order)
		require.InDelta(t, 5525, *d.PowerWatts, 1e-9, "%s: stats.cgi watt, W, kept either way", order)
		require.Len(t, d.Boards, 3, order)
		require.Equal(t, int64(84), *d.Boards[2].Chips, order)
		if order == "rpc first" {
			require.Equal(t, int64(167431), *d.UptimeSeconds, "both carry it: the first's")
		} else {
			require.Equal(t, int64(167430), *d.UptimeSeconds, "both carry it: the first's")
		}
	}
}
