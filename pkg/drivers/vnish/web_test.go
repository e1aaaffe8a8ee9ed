package vnish

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// split separates a capture folder into 4028 replies and web pages, as
// internal/capserve serves it.
func split(t testing.TB, dir string) (rpc, web map[string][]byte) {
	c := capserve.Load(t, dir)
	return c.RPC, c.Web
}

// Web-only: the S21 Pro's web pages without 4028 (port refused).
func TestParseWebOnlyS21Pro(t *testing.T) {
	_, web := split(t, filepath.Join(captures, "S21Pro_1.2.7"))
	require.Contains(t, web, "summary")
	d := ParseWithWeb(nil, httpapi.RepliesFromRaw(web))
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, "vnish", d.Firmware)
	require.Equal(t, "S21 Pro", d.Model)         // info.miner "Antminer S21 Pro"
	require.Equal(t, "1.2.7", d.FirmwareVersion) // miner_type "(Vnish 1.2.7)"
	require.Equal(t, "sha256", d.Algorithm)      // info.algorithm "sha256d"
	require.Equal(t, "02:95:23:B3:E0:79", d.MAC) // info.system.network_status.mac
	require.Equal(t, "Antminer", d.Hostname)     // network_status.hostname
	require.Empty(t, d.SerialNumber, `serial "N/A"`)
	// hr_realtime 173870.94 GH/s (info.hr_measure "GH/s") / 1e3
	require.InDelta(t, 173.87094, *d.Hashrate, 1e-9, "hashrate TH/s")
	require.InDelta(t, 196.51717, *d.ExpectedHashrate, 1e-9, "hr_nominal 196517.17 GH/s -> TH/s")
	require.InDelta(t, 2583.0, *d.PowerWatts, 1e-9, "power_consumption W")
	require.InDelta(t, 2800.0, *d.PowerLimitWatts, 1e-9, `current_preset "2800" ("2800 watt ~ 188 TH")`)
	require.True(t, *d.IsMining, "miner_state auto-tuning")
	require.Nil(t, d.UptimeSeconds, "the web pages carry no uptime in seconds")
	require.NotNil(t, d.Errors)
	require.Empty(t, d.Errors, "all chains mining: a clean report")
	type bw struct {
		ths, expTHs, pcbC, chipC float64
		chips                    int64
	}
	want := []bw{
		// hashrate_rt 60797.19 GH/s; pcb_temp.max 50; chip_temp.max 65; chip_statuses 0+6+59 = 65
		{60.79719, 65.505727, 50, 65, 65},
		{57.766645, 65.505727, 49, 64, 65}, // 0+6+59
		{55.3071, 65.505727, 49, 64, 65},   // 0+9+56
	}
	require.Len(t, d.Boards, 3)
	for i, w := range want {
		b := d.Boards[i]
		require.Equal(t, i, b.Index, "chain id %d -> slot %d", i+1, i)
		require.InDelta(t, w.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
		require.InDelta(t, w.expTHs, *b.ExpectedHashrate, 1e-9, "board %d expected TH/s", i)
		require.InDelta(t, w.pcbC, *b.Temperature, 1e-9, "board %d PCB °C", i)
		require.InDelta(t, w.chipC, *b.ChipTemperature, 1e-9, "board %d chip °C", i)
		require.Equal(t, w.chips, *b.Chips, "board %d chips", i)
		require.InDelta(t, 495.0, *b.FrequencyMHz, 1e-9, "board %d MHz", i)
		require.InDelta(t, 13.0, *b.VoltageVolts, 1e-9, "board %d: 13000 mV = 13 V", i)
		require.True(t, *b.Active)
	}
	require.Len(t, d.Fans, 4)
	for i, rpm := range []int64{5880, 5880, 5940, 5940} {
		require.Equal(t, i, d.Fans[i].Index)
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
	}
	require.Len(t, d.Pools, 3)
	p := d.Pools[0]
	require.Equal(t, 0, p.Index)
	require.Equal(t, "stratum+tcp", p.URL.Scheme)
	require.Equal(t, "stratum.braiins.com", p.URL.Host)
	require.Equal(t, 3333, p.URL.Port)
	require.Equal(t, "proto_mining_sw_test_s21pro-12g", p.User)
	require.Equal(t, int64(1599), *p.Accepted)
	require.Equal(t, int64(9), *p.Rejected)
	require.Equal(t, int64(0), *p.Stale)
	require.Nil(t, p.GetFailures)
	require.Nil(t, p.RemoteFailures)
	require.True(t, *p.Active, `status "active"`)
	require.True(t, *p.Alive)
	require.False(t, *d.Pools[1].Active, `status "working": alive standby`)
	require.True(t, *d.Pools[1].Alive)
	require.Equal(t, "DevFee", d.Pools[2].User)
}

// Both APIs: 4028 values win, the web adds MAC, hostname and power limit.
func TestParseMergedS21Pro(t *testing.T) {
	rpc, web := split(t, filepath.Join(captures, "S21Pro_1.2.7"))
	d := ParseWithWeb(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "02:95:23:B3:E0:79", d.MAC)
	require.Equal(t, "Antminer", d.Hostname)
	require.InDelta(t, 2800.0, *d.PowerLimitWatts, 1e-9)
	require.InDelta(t, 173.87094, *d.Hashrate, 1e-9, "4028 GHS 5s 173870.94 GH/s")
	require.InDelta(t, 2583.0, *d.PowerWatts, 1e-9, "4028 chain_consumption 861 W x 3")
	require.Len(t, d.Boards, 3)
	require.Len(t, d.Fans, 4)
	require.Equal(t, int64(5850), *d.Fans[0].RPM, "4028 stats fan1 5850 RPM, not the web's later 5880")
	require.Len(t, d.Pools, 3)
	require.NotNil(t, d.Errors)
	require.Empty(t, d.Errors)
}

func TestWebFailuresAndBrokenPage(t *testing.T) {
	rpc, web := split(t, filepath.Join(captures, "S21Pro_1.2.7"))
	// A broken summary keeps info and perf-summary.
	web["summary"] = []byte(`<html><body>login</body></html>`)
	web["status"] = []byte(`{"miner_state":"failure","failure_code":12,"description":"chain 2 lost","find_miner":true,"unlocked":true}`)
	d := ParseWithWeb(nil, httpapi.RepliesFromRaw(web))
	require.Equal(t, "02:95:23:B3:E0:79", d.MAC)
	require.Equal(t, "S21 Pro", d.Model)
	require.InDelta(t, 2800.0, *d.PowerLimitWatts, 1e-9)
	require.Nil(t, d.Hashrate)
	require.False(t, *d.IsMining, "status miner_state failure")
	require.True(t, *d.FaultLight, "find_miner true")
	require.Equal(t, []drivers.MinerError{{Code: "12", Message: "chain 2 lost"}}, d.Errors)
	require.Len(t, d.Problems, 1, "%v", d.Problems)
	require.Contains(t, d.Problems[0].Error(), "/api/v1/summary")
	require.Contains(t, d.Problems[0].Error(), "HTML")

	// A failed chain in summary becomes an error; a wrong-typed field is a
	// problem naming page and field, the rest stays.
	_, web = split(t, filepath.Join(captures, "S21Pro_1.2.7"))
	s := strings.Replace(string(web["summary"]), `"status":{"state":"mining"}}]`, `"status":{"state":"failure","description":"no chips"}}]`, 1)
	s = strings.Replace(s, `"power_consumption":2583`, `"power_consumption":"lots"`, 1)
	web["summary"] = []byte(s)
	d = ParseWithWeb(nil, httpapi.RepliesFromRaw(web))
	require.Len(t, d.Boards, 3)
	require.False(t, *d.Boards[2].Active)
	require.Equal(t, []drivers.MinerError{{Message: "chain 3 (board 2): no chips"}}, d.Errors)
	require.InDelta(t, 2583.0, *d.PowerWatts, 1e-9, "falls back to the deprecated power_usage 2583 W")
	require.Len(t, d.Problems, 1, "%v", d.Problems)
	require.Contains(t, d.Problems[0].Error(), `web /api/v1/summary: field "power_consumption"`)

	// The 4028 replies with summary broken keep the web pages' data.
	rpc["summary"] = []byte(`{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"Elapsed":"soon"}]}`)
	d = ParseWithWeb(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Equal(t, "02:95:23:B3:E0:79", d.MAC)
	require.Equal(t, int64(4423), *d.UptimeSeconds, "stats Elapsed")
}

// startWeb serves pages as Vnish's web API (internal/capserve: POST
// /api/v1/unlock {"pw":"admin"} -> a token sent bare in Authorization).
func startWeb(t *testing.T, pages map[string][]byte) (*capserve.Login, int) {
	f := capserve.NewLogin("vnish", pages)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.Listener.Addr().(*net.TCPAddr).Port
}

func TestGatherWithWebEndToEnd(t *testing.T) {
	rpc, web := split(t, filepath.Join(captures, "S21Pro_1.2.7"))
	for _, multi := range []bool{true, false} {
		fw, webPort := startWeb(t, web)
		m := &fakeminer.Miner{Replies: rpc, Multi: multi, NUL: true}
		require.NoError(t, m.Start("127.0.0.1:0"))
		tr := httpapi.NewTransport(httpapi.Options{})
		drv := Driver{Web: tr}
		target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: webPort}}
		gather := func() *drivers.MinerData {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			d, err := drv.Gather(ctx, target)
			require.NoError(t, err)
			return d
		}
		d := gather()
		require.Empty(t, d.Problems, "%v", d.Problems)
		require.Equal(t, "02:95:23:B3:E0:79", d.MAC)
		require.InDelta(t, 173.87094, *d.Hashrate, 1e-9)
		require.InDelta(t, 2800.0, *d.PowerLimitWatts, 1e-9)
		require.Equal(t, 1, fw.Logins())

		// Token cached across gathers; an expired one is renewed once.
		gather()
		require.Equal(t, 1, fw.Logins())
		fw.Expire()
		d = gather()
		require.Empty(t, d.Problems, "%v", d.Problems)
		require.Equal(t, 2, fw.Logins())
		m.Close()
		tr.CloseIdle()
	}
}

func TestGatherWrongPassword(t *testing.T) {
	rpc, web := split(t, filepath.Join(captures, "S21Pro_1.2.7"))
	fw, webPort := startWeb(t, web)
	m := &fakeminer.Miner{Replies: rpc, Multi: true, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	defer m.Close()
	drv := Driver{Web: httpapi.NewTransport(httpapi.Options{})}
	target := drivers.Target{Host: "127.0.0.1", Password: "s3cret-wrong", Ports: drivers.Ports{RPC: m.Port(), Web: webPort}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err, "4028 answered")
	require.Equal(t, 1, fw.Logins(), "one login attempt per gather, no loop")
	require.InDelta(t, 173.87094, *d.Hashrate, 1e-9)
	require.Empty(t, d.MAC)
	require.Len(t, d.Problems, 1, "%v", d.Problems)
	require.ErrorIs(t, d.Problems[0], drivers.ErrAuth)
	require.NotContains(t, d.Problems[0].Error(), "s3cret-wrong")

	// Web alone with a wrong password: auth_failed.
	m.Close()
	_, err = drv.Gather(ctx, target)
	require.Error(t, err)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.NotContains(t, err.Error(), "s3cret-wrong")
}

func TestGatherNothingAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = Driver{Web: httpapi.NewTransport(httpapi.Options{})}.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port, Web: port}})
	require.Error(t, err)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

// FuzzParseVnishWeb replaces one web page of a capture folder with the
// fuzzed bytes and merges it with the 4028 replies; nothing may panic.
func FuzzParseVnishWeb(f *testing.F) {
	entries, err := os.ReadDir(captures)
	if err != nil {
		f.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	type folder struct{ rpc, web map[string][]byte }
	var folders []folder
	for i, n := range names {
		rpc, web := split(f, filepath.Join(captures, n))
		folders = append(folders, folder{rpc, web})
		for p, b := range web {
			for j, ep := range WebEndpoints {
				if ep == p {
					f.Add(uint8(i), uint8(j), false, b)
					f.Add(uint8(i), uint8(j), true, b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, fi, page uint8, withRPC bool, data []byte) {
		base := folders[int(fi)%len(folders)]
		web := make(map[string][]byte, len(base.web)+1)
		for k, v := range base.web {
			web[k] = v
		}
		web[WebEndpoints[int(page)%len(WebEndpoints)]] = data
		var b *cgminer.Batch
		if withRPC {
			b = cgminer.BatchFromRaw("fuzz", base.rpc)
		}
		if ParseWithWeb(b, httpapi.RepliesFromRaw(web)) == nil {
			t.Fatal("nil MinerData")
		}
	})
}

// A web port that refuses while 4028 answers is dialled once, then not for
// drivers.PortOffTTL: later gathers read the same from 4028 alone. Forget, or a
// failed 4028, starts over.
func TestRefusedWebPortRemembered(t *testing.T) {
	rpc, _ := split(t, filepath.Join(captures, "S21Pro_1.2.7"))
	m := &fakeminer.Miner{Replies: rpc, Multi: true, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	defer m.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	webPort := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	var mu sync.Mutex
	var dials []string
	var d net.Dialer
	tr := httpapi.NewTransport(httpapi.Options{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dials = append(dials, addr)
		mu.Unlock()
		return d.DialContext(ctx, network, addr)
	}})
	drv := Driver{Web: tr, WebOff: &drivers.PortOff{}}
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: webPort}}
	dialed := func() int { mu.Lock(); defer mu.Unlock(); return len(dials) }
	gather := func() (*drivers.MinerData, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return drv.Gather(ctx, target)
	}

	first, err := gather()
	require.NoError(t, err)
	require.Equal(t, 1, dialed(), "the login's dial, refused")
	require.Empty(t, first.Problems, "a refused web API is no problem when 4028 answers")
	require.InDelta(t, 173.87094, *first.Hashrate, 1e-9)
	for range 3 {
		again, err := gather()
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	require.Equal(t, 1, dialed(), "not dialled again")
	require.Len(t, m.Commands(), 4, "4028 asked every gather")

	drv.Forget(target.Host)
	_, err = gather()
	require.NoError(t, err)
	require.Equal(t, 2, dialed(), "dialled again after Forget")

	// 4028 gone within the remembered time: its error, and both asked next.
	m.Close()
	_, err = gather()
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
	require.Contains(t, err.Error(), "not asked")
	require.Equal(t, 2, dialed())
	_, err = gather()
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
	require.Equal(t, 3, dialed())
	require.Equal(t, []string{"127.0.0.1:" + strconv.Itoa(webPort)}, slices.Compact(dials))
}
