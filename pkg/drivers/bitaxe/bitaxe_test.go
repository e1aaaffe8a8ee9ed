package bitaxe

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

const captures = "../../../testdata/bitaxe"

// load reads a capture folder's web pages (web_system_info.json ->
// "system/info").
func load(t testing.TB, dir string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range capserve.Load(t, dir).Web {
		out[strings.Replace(k, "_", "/", 1)] = v
	}
	return out
}

func TestParseCaptures(t *testing.T) {
	cases := map[string]func(t *testing.T, d *drivers.MinerData){
		"Supra401_v2.4.5": func(t *testing.T, d *drivers.MinerData) {
			require.Equal(t, "Bitaxe", d.Make)
			require.Equal(t, "Supra", d.Model, "ASICModel BM1368, no deviceModel")
			require.Equal(t, "v2.4.5-3-gb5d1e36-dirty", d.FirmwareVersion)
			require.Equal(t, "AA:BB:CC:DD:EE:FF", d.MAC)
			require.Equal(t, "bitaxe", d.Hostname)
			require.InDelta(t, 1.0, *d.Hashrate, 1e-12, "hashRate 1000 GH/s = 1 TH/s")
			// smallCoreCount 1276 x asicCount 1 x frequency 490 MHz = 625240 MH/s = 0.62524 TH/s
			require.InDelta(t, 0.62524, *d.ExpectedHashrate, 1e-12, "expected TH/s")
			require.InDelta(t, 2.65000009536743, *d.PowerWatts, 1e-12, "power W")
			require.Equal(t, int64(4), *d.UptimeSeconds)
			require.Len(t, d.Boards, 1)
			b := d.Boards[0]
			require.Equal(t, 0, b.Index)
			require.InDelta(t, 1.0, *b.Hashrate, 1e-12, "board TH/s")
			require.InDelta(t, 78.0, *b.Temperature, 1e-12, "vrTemp °C")
			require.InDelta(t, 59.875, *b.ChipTemperature, 1e-12, "temp (chip) °C")
			require.Equal(t, int64(1), *b.Chips, "asicCount")
			require.InDelta(t, 490.0, *b.FrequencyMHz, 1e-12, "MHz")
			require.InDelta(t, 5.175, *b.VoltageVolts, 1e-12, "voltage 5175 mV = 5.175 V")
			require.Len(t, d.Fans, 1)
			require.Equal(t, int64(3517), *d.Fans[0].RPM, "fanrpm")
			require.InDelta(t, 35.0, *d.Fans[0].Percent, 1e-12, "fanspeed %")
			require.Nil(t, d.Errors, "no power_fault field: no error report")
			require.Len(t, d.Pools, 2)
			p := d.Pools[0]
			require.Equal(t, 0, p.Index)
			require.Equal(t, "stratum+tcp", p.URL.Scheme)
			require.Equal(t, "btc.example.pool", p.URL.Host)
			require.Equal(t, 3333, p.URL.Port, "stratumPort")
			require.Equal(t, "stratum+tcp://btc.example.pool:3333", p.URL.Raw, "stratumURL + stratumPort, whole")
			require.Equal(t, "asic-rs.test", p.User)
			require.Equal(t, int64(0), *p.Accepted, "sharesAccepted")
			require.Equal(t, int64(0), *p.Rejected, "sharesRejected")
			require.Nil(t, p.Stale)
			require.Nil(t, p.GetFailures)
			require.Nil(t, p.RemoteFailures)
			require.True(t, *p.Active, "isUsingFallbackStratum 0")
			require.Nil(t, p.Alive, "ESP-Miner 2.4 does not say whether the pool answers")
			fb := d.Pools[1]
			require.Equal(t, 1, fb.Index)
			require.Equal(t, "btc2.example.pool", fb.URL.Host)
			require.Equal(t, 3333, fb.URL.Port)
			require.Equal(t, "stratum+tcp://btc2.example.pool:3333", fb.URL.Raw)
			require.False(t, *fb.Active)
			require.Nil(t, fb.Accepted)
		},
		// A real LuckyMiner LV07 (its own AxeOS fork 1.1.0): minerModel,
		// fan RPM as "fanSpeed" beside "fanspeed" %, no asicCount, no MAC.
		"LuckyMinerLV07_1.1.0": func(t *testing.T, d *drivers.MinerData) {
			require.Equal(t, "LuckyMiner", d.Make)
			require.Equal(t, "LV07", d.Model, "minerModel")
			require.Equal(t, "1.1.0", d.FirmwareVersion)
			require.Empty(t, d.MAC)
			require.InDelta(t, 0.85699754798369372, *d.Hashrate, 1e-12, "hashRate 856.99754798369372 GH/s")
			require.Nil(t, d.ExpectedHashrate, "no smallCoreCount or asicCount")
			require.InDelta(t, 26.46142578125, *d.PowerWatts, 1e-12, "power W")
			require.Equal(t, int64(91383), *d.UptimeSeconds)
			require.Len(t, d.Boards, 1)
			b := d.Boards[0]
			require.InDelta(t, 64.0, *b.ChipTemperature, 1e-12, "temp °C")
			require.Nil(t, b.Temperature, "no vrTemp")
			require.InDelta(t, 575.0, *b.FrequencyMHz, 1e-12, "MHz")
			require.Nil(t, b.Chips, "no asicCount")
			require.Nil(t, b.VoltageVolts, `only "voltagei" (sic)`)
			require.Len(t, d.Fans, 1)
			require.Equal(t, int64(4458), *d.Fans[0].RPM, "fanSpeed RPM")
			require.InDelta(t, 100.0, *d.Fans[0].Percent, 1e-12, "fanspeed %")
			require.Len(t, d.Pools, 1, "no fallback pool on this firmware")
			p := d.Pools[0]
			require.Equal(t, "eusolo.ckpool.org", p.URL.Host)
			require.Equal(t, 3333, p.URL.Port)
			require.Equal(t, "stratum+tcp://eusolo.ckpool.org:3333", p.URL.Raw)
			require.Equal(t, "Wallet", p.User)
			require.Equal(t, int64(26610), *p.Accepted)
			require.Equal(t, int64(182), *p.Rejected)
		},
		// A real NerdQAxe++ on NerdOS v1.1.0-beta1: four BM1370, two fans
		// as fanrpm/fanspeed and fanrpm2/fanspeed2, asicTemps all 0.
		"NerdQAxePlusPlus_v1.1.0-beta1": func(t *testing.T, d *drivers.MinerData) {
			require.Equal(t, "NerdQAxe++", d.Model, "deviceModel")
			require.Equal(t, "v1.1.0-beta1", d.FirmwareVersion)
			require.Equal(t, "AC:A7:04:FB:77:D0", d.MAC)
			require.Equal(t, "qaxe6", d.Hostname)
			require.InDelta(t, 5.511287, *d.Hashrate, 1e-12, "hashRate_1m 5511.287 GH/s")
			// smallCoreCount 2040 x asicCount 4 x frequency 680 MHz = 5548800 MH/s
			require.InDelta(t, 5.5488, *d.ExpectedHashrate, 1e-12, "expected TH/s")
			require.InDelta(t, 103.0, *d.PowerWatts, 1e-12, "power W")
			require.Equal(t, int64(43173), *d.UptimeSeconds)
			require.Len(t, d.Boards, 1)
			b := d.Boards[0]
			require.InDelta(t, 55.9375, *b.Temperature, 1e-12, "vrTemp °C")
			require.InDelta(t, 59.875, *b.ChipTemperature, 1e-12, "temp °C")
			require.Equal(t, int64(4), *b.Chips, "asicCount")
			require.InDelta(t, 680.0, *b.FrequencyMHz, 1e-12, "MHz")
			require.InDelta(t, 12.25, *b.VoltageVolts, 1e-12, "voltage 12250 mV")
			require.Len(t, d.Fans, 2, "fanCount 2")
			require.Equal(t, 0, d.Fans[0].Index)
			require.Equal(t, int64(1796), *d.Fans[0].RPM, "fanrpm")
			require.InDelta(t, 54.0, *d.Fans[0].Percent, 1e-12, "fanspeed %")
			require.Equal(t, 1, d.Fans[1].Index)
			require.Equal(t, int64(1557), *d.Fans[1].RPM, "fanrpm2")
			require.InDelta(t, 40.0, *d.Fans[1].Percent, 1e-12, "fanspeed2 %")
			require.Len(t, d.Pools, 2)
			p := d.Pools[0]
			require.Equal(t, "172.17.1.6", p.URL.Host)
			require.Equal(t, 2018, p.URL.Port, "stratumPort")
			require.Equal(t, "abc.qaxe6", p.User)
			require.Equal(t, int64(3492), *p.Accepted, "sharesAccepted")
			require.Equal(t, int64(3), *p.Rejected, "sharesRejected")
			require.Equal(t, "stratum+tcp://172.17.1.6:2018", p.URL.Raw)
			require.True(t, *p.Active, "stratum.usingFallback false")
			require.True(t, *p.Alive, "stratum.pools[0].connected")
			fb := d.Pools[1]
			require.Equal(t, "solo.ckpool.org", fb.URL.Host)
			require.Equal(t, 3333, fb.URL.Port)
			require.False(t, *fb.Active)
			require.Nil(t, fb.Alive, "NerdOS lists only the pool in use")
			require.Nil(t, fb.Accepted)
		},
		"Supra_asic-only": func(t *testing.T, d *drivers.MinerData) {
			require.Equal(t, "Bitaxe", d.Make)
			require.Equal(t, "Supra", d.Model, "deviceModel")
			require.Nil(t, d.Hashrate)
			require.Len(t, d.Boards, 1)
			require.Equal(t, int64(1), *d.Boards[0].Chips, "asicCount 1")
			require.Nil(t, d.ExpectedHashrate, "no smallCoreCount or frequency")
		},
	}
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	seen := 0
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		check, ok := cases[e.Name()]
		require.True(t, ok, "capture folder %s has no test case", e.Name())
		seen++
		t.Run(e.Name(), func(t *testing.T) {
			d := Parse(httpapi.RepliesFromRaw(load(t, filepath.Join(captures, e.Name()))))
			require.Empty(t, d.Problems, "%v", d.Problems)
			require.Equal(t, "esp-miner", d.Firmware)
			require.Equal(t, "sha256", d.Algorithm)
			check(t, d)
		})
	}
	require.Equal(t, len(cases), seen)
}

// Newer AxeOS and the NerdQAxe fork: hashRate_1m, expectedHashrate,
// deviceModel, fan2rpm, temp2, isStratumConnected, booleans as JSON
// booleans, URL with a scheme. Hand-made from the documented field names.
func TestNewerFieldsHandMade(t *testing.T) {
	info := []byte(`{"deviceModel":"NerdQAxe++","ASICModel":"BM1370","asicCount":4,"smallCoreCount":2040,
		"hashRate":4756.291,"hashRate_1m":4800.5,"expectedHashrate":4896,"frequency":600,"power":78.25,
		"voltage":11765.63,"temp":54.75,"temp2":57.5,"vrTemp":60,"fanrpm":1924,"fan2rpm":0,"fanspeed":62,
		"uptimeSeconds":86400,"macAddr":"f0:9e:9e:1f:94:cc","hostname":"nerdqaxe","version":"v1.0.30",
		"stratumURL":"stratum+tcp://eu.stratum.braiins.com","stratumPort":3333,"stratumUser":"w.nerd",
		"fallbackStratumURL":"public-pool.io","fallbackStratumPort":21496,"fallbackStratumUser":"bc1q.nerd",
		"isUsingFallbackStratum":true,"isStratumConnected":true,"sharesAccepted":348,"sharesRejected":1,
		"power_fault":"","overheat_mode":0}`)
	d := Parse(httpapi.RepliesFromRaw(map[string][]byte{Info: info}))
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "NerdAxe", d.Make)
	require.Equal(t, "NerdQAxe++", d.Model)
	require.InDelta(t, 4.8005, *d.Hashrate, 1e-12, "hashRate_1m 4800.5 GH/s preferred")
	require.InDelta(t, 4.896, *d.ExpectedHashrate, 1e-12, "expectedHashrate 4896 GH/s")
	require.InDelta(t, 57.5, *d.Boards[0].ChipTemperature, 1e-12, "max(temp, temp2)")
	require.Equal(t, int64(4), *d.Boards[0].Chips)
	require.Len(t, d.Fans, 1, "fan2rpm 0: no second fan")
	require.Equal(t, "F0:9E:9E:1F:94:CC", d.MAC)
	require.NotNil(t, d.Errors)
	require.Empty(t, d.Errors)
	require.Len(t, d.Pools, 2)
	require.Equal(t, "eu.stratum.braiins.com", d.Pools[0].URL.Host)
	require.Equal(t, 3333, d.Pools[0].URL.Port)
	require.Equal(t, "stratum+tcp://eu.stratum.braiins.com:3333", d.Pools[0].URL.Raw, "scheme kept, port joined")
	require.False(t, *d.Pools[0].Active)
	require.True(t, *d.Pools[1].Active, "isUsingFallbackStratum true")
	require.True(t, *d.Pools[1].Alive, "isStratumConnected")
	require.Equal(t, int64(348), *d.Pools[1].Accepted)
	require.Equal(t, 21496, d.Pools[1].URL.Port)
}

func TestBrokenFieldsKeepTheRest(t *testing.T) {
	raw := load(t, filepath.Join(captures, "Supra401_v2.4.5"))
	s := strings.Replace(string(raw[Info]), `"hashRate": 1000`, `"hashRate": "fast"`, 1)
	s = strings.Replace(s, `"macAddr": "AA:BB:CC:DD:EE:FF"`, `"macAddr": 7`, 1)
	raw[Info] = []byte(s)
	d := Parse(httpapi.RepliesFromRaw(raw))
	require.Nil(t, d.Hashrate)
	require.Empty(t, d.MAC)
	require.InDelta(t, 0.62524, *d.ExpectedHashrate, 1e-12)
	require.Equal(t, "bitaxe", d.Hostname)
	require.Len(t, d.Problems, 2, "%v", d.Problems)
	all := d.Problems[0].Error() + d.Problems[1].Error()
	require.Contains(t, all, `/api/system/info: field "hashRate"`)
	require.Contains(t, all, `/api/system/info: field "macAddr"`)
}

type fakeAxe struct {
	pages map[string][]byte
	mu    sync.Mutex
	paths []string
}

func (f *fakeAxe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	b, ok := f.pages[strings.TrimPrefix(r.URL.Path, "/api/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func serve(t *testing.T, h http.Handler) int {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return p
}

func TestGatherEndToEnd(t *testing.T) {
	pages := load(t, filepath.Join(captures, "Supra401_v2.4.5"))
	for k, v := range load(t, filepath.Join(captures, "Supra_asic-only")) {
		pages[k] = v
	}
	f := &fakeAxe{pages: pages}
	port := serve(t, f)
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: port}}
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "Supra", d.Model)
	require.InDelta(t, 1.0, *d.Hashrate, 1e-12)
	require.Equal(t, []string{"/api/system/info", "/api/system/asic"}, f.paths, "asic asked: info has no deviceModel")

	// Firmware without /api/system/asic (404): no problem.
	delete(pages, Asic)
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "Supra", d.Model, "from ASICModel BM1368")

	// HTML where JSON was expected: bad_response.
	htmlPort := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<!doctype html><title>AxeOS</title>"))
	}))
	_, err = drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: htmlPort}})
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	_, err = drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: closed}})
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

// FuzzParseBitaxe replaces one page of a capture folder with the fuzzed
// bytes; nothing may panic.
func FuzzParseBitaxe(f *testing.F) {
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
	pages := []string{Info, Asic}
	var folders []map[string][]byte
	for i, n := range names {
		raw := load(f, filepath.Join(captures, n))
		folders = append(folders, raw)
		for p, b := range raw {
			for j, ep := range pages {
				if ep == p {
					f.Add(uint8(i), uint8(j), b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, fi, page uint8, data []byte) {
		base := folders[int(fi)%len(folders)]
		raw := make(map[string][]byte, len(base)+1)
		for k, v := range base {
			raw[k] = v
		}
		raw[pages[int(page)%len(pages)]] = data
		if Parse(httpapi.RepliesFromRaw(raw)) == nil {
			t.Fatal("nil MinerData")
		}
	})
}

// A NerdOS stratum value that cannot be read is a problem naming its full
// place in the reply; the pools are still reported, without it.
func TestNerdOSStratumBadValue(t *testing.T) {
	raw := load(t, filepath.Join(captures, "NerdQAxePlusPlus_v1.1.0-beta1"))
	raw[Info] = bytes.Replace(raw[Info], []byte(`"connected": true`), []byte(`"connected": [1]`), 1)
	require.Contains(t, string(raw[Info]), `"connected": [1]`)
	d := Parse(httpapi.RepliesFromRaw(raw))
	require.Len(t, d.Pools, 2)
	require.Nil(t, d.Pools[0].Alive)
	require.True(t, *d.Pools[0].Active, "usingFallback still read")
	require.Len(t, d.Problems, 1)
	require.ErrorIs(t, d.Problems[0], drivers.ErrBadResponse)
	require.Contains(t, d.Problems[0].Error(), `field "stratum.pools[0].connected"`)
}
