package epic

import (
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

const captures = "../../../testdata/epic"

// load reads a capture folder's web pages, keyed by page.
func load(t testing.TB, dir string) map[string][]byte { return capserve.Load(t, dir).Web }

func replies(raw map[string][]byte) *httpapi.Replies {
	w := map[string][]byte{}
	for k, v := range raw {
		w[k] = WrapArray(v)
	}
	return httpapi.RepliesFromRaw(w)
}

func TestParseCaptures(t *testing.T) {
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	seen := 0
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		if e.Name() == blockMinerSia { // TestParseBlockMinerSia
			continue
		}
		seen++
		require.Equal(t, "S19XP_PowerPlay-BMS1.5.13", e.Name(), "capture folder without a test case")
		d := Parse(replies(load(t, filepath.Join(captures, e.Name()))))
		require.Empty(t, d.Problems, "%v", d.Problems)
		require.Equal(t, "Antminer", d.Make, `capabilities Model "AntMiner S19 XP": Bitmain hardware`)
		require.Equal(t, "S19 XP", d.Model)
		require.Equal(t, "epic", d.Firmware)
		require.Equal(t, "sha256", d.Algorithm)       // Mining.Algorithm "SHA-256"
		require.Equal(t, "1.5.13", d.FirmwareVersion) // Software "PowerPlay-BMS v1.5.13"
		require.Equal(t, "E6:D4:41:51:64:28", d.MAC)  // network.dhcp.mac_address
		require.Equal(t, "cminer32092035", d.Hostname)
		// HBs Hashrate[0]: 49440724.0 + 49925124.0 MH/s = 99365848 MH/s = 99.365848 TH/s
		require.InDelta(t, 99.365848, *d.Hashrate, 1e-9, "hashrate TH/s")
		// expected: 49.440724/1.031 + 49.925124/1.041 = 47.954145490 + 47.958812680 TH/s
		require.InDelta(t, 95.91295817, *d.ExpectedHashrate, 1e-6, "expected TH/s")
		require.InDelta(t, 2166.6174, *d.PowerWatts, 1e-9, "Power Supply Stats Input Power W")
		require.InDelta(t, 3000.0, *d.PowerLimitWatts, 1e-9, "PresetInfo Target Power W")
		require.Equal(t, int64(23170), *d.UptimeSeconds, "Session.Uptime s")
		require.True(t, *d.IsMining, `Operating State "Mining"`)
		require.False(t, *d.FaultLight, "Misc.Locate Miner State")
		require.NotNil(t, d.Errors, `"Last Error": null is a clean report`)
		require.Empty(t, d.Errors)
		require.Equal(t, int64(3), *d.ExpectedBoards, "Max HBs")
		require.Equal(t, int64(330), *d.ExpectedChips, "Chip Count 110 x 3 boards")

		require.Len(t, d.Boards, 3, "board 0 is detected but disabled: still shown")
		b0 := d.Boards[0]
		require.Equal(t, 0, b0.Index)
		require.False(t, *b0.Active, "HBStatus[0] Enabled false")
		require.Nil(t, b0.Hashrate)
		type bw struct{ ths, expTHs, tempC, mhz float64 }
		for i, w := range []bw{
			{49.440724, 47.95414549, 67.0, 487.5},
			{49.925124, 47.95881268, 64.312, 487.5},
		} {
			b := d.Boards[i+1]
			require.Equal(t, i+1, b.Index)
			require.True(t, *b.Active)
			require.InDelta(t, w.ths, *b.Hashrate, 1e-9, "board %d TH/s", b.Index)
			require.InDelta(t, w.expTHs, *b.ExpectedHashrate, 1e-6, "board %d expected TH/s", b.Index)
			require.InDelta(t, w.tempC, *b.Temperature, 1e-9, "board %d °C", b.Index)
			require.Nil(t, b.ChipTemperature, "summary has no chip temperature")
			require.InDelta(t, w.mhz, *b.FrequencyMHz, 1e-9, "board %d Core Clock Avg MHz", b.Index)
			require.InDelta(t, 12.6, *b.VoltageVolts, 1e-9, "board %d Input Voltage V", b.Index)
			require.Equal(t, int64(110), *b.Chips, "board %d: 110 chip entries in /hashrate", b.Index)
			require.Equal(t, int64(110), *b.ExpectedChips)
		}

		// "Fans Speed 1..4": 5971, 0, 5942, 5745; 5..12 null (no fan). Fan 2 at 0 RPM is a dead fan.
		require.Len(t, d.Fans, 4)
		for i, rpm := range []int64{5971, 0, 5942, 5745} {
			require.Equal(t, i, d.Fans[i].Index)
			require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
			require.InDelta(t, 100.0, *d.Fans[i].Percent, 1e-9, "Fans Speed %")
		}

		require.Len(t, d.Pools, 1)
		p := d.Pools[0]
		require.Equal(t, 0, p.Index, "Config Id 0")
		require.Equal(t, "stratum+tcp", p.URL.Scheme, `"mine.ocean.xyz:3334" has no scheme`)
		require.Equal(t, "mine.ocean.xyz", p.URL.Host)
		require.Equal(t, 3334, p.URL.Port)
		require.Equal(t, "stratum+tcp://mine.ocean.xyz:3334", p.URL.Raw, "StratumConfigs[0].pool, the whole URL")
		require.Equal(t, "randomuser.randomworker-0x81x19", p.User, "Current User")
		require.Equal(t, int64(1862), *p.Accepted)
		require.Equal(t, int64(2), *p.Rejected)
		require.Nil(t, p.Stale)
		require.Nil(t, p.GetFailures)
		require.Nil(t, p.RemoteFailures)
		require.True(t, *p.Active)
		require.True(t, *p.Alive, "IsPoolConnected")
	}
	require.Equal(t, 1, seen)
}

// The pool in use is named by "Current Pool" (host:port); the scheme of its
// configured entry is kept (here edited to stratum+ssl), not replaced by
// the stratum+tcp a bare host:port stands for.
func TestCurrentPoolKeepsConfiguredScheme(t *testing.T) {
	raw := load(t, filepath.Join(captures, "S19XP_PowerPlay-BMS1.5.13"))
	for k, v := range raw {
		raw[k] = []byte(strings.Replace(string(v), `"stratum+tcp://mine.ocean.xyz:3334"`, `"stratum+ssl://mine.ocean.xyz:3334"`, 1))
	}
	d := Parse(replies(raw))
	require.Len(t, d.Pools, 1)
	require.Equal(t, "stratum+ssl://mine.ocean.xyz:3334", d.Pools[0].URL.Raw)
	require.Equal(t, "stratum+ssl", d.Pools[0].URL.Scheme)
	require.Equal(t, "randomuser.randomworker-0x81x19", d.Pools[0].User, "Current User")
}

func TestBrokenPageKeepsTheRest(t *testing.T) {
	raw := load(t, filepath.Join(captures, "S19XP_PowerPlay-BMS1.5.13"))
	raw["capabilities"] = []byte("<html>oops</html>")
	s := strings.Replace(string(raw["summary"]), `"Uptime": 23170`, `"Uptime": "long"`, 1)
	s = strings.Replace(s, `"Last Error": null`, `"Last Error": "Board 0 over temperature"`, 1)
	s = strings.Replace(s, `"Operating State": "Mining"`, `"Operating State": "Idling"`, 1)
	raw["summary"] = []byte(s)
	d := Parse(replies(raw))
	require.Equal(t, "ePIC", d.Make, "no capabilities: the hardware is not known")
	require.Empty(t, d.Model)
	require.InDelta(t, 99.365848, *d.Hashrate, 1e-9)
	require.Nil(t, d.UptimeSeconds)
	require.False(t, *d.IsMining)
	require.Equal(t, []drivers.MinerError{{Message: "Board 0 over temperature"}}, d.Errors)
	require.Len(t, d.Boards, 3)
	require.Nil(t, d.Boards[1].ExpectedChips)
	require.Len(t, d.Problems, 2, "%v", d.Problems)
	require.Contains(t, d.Problems[0].Error()+d.Problems[1].Error(), "/capabilities")
	require.Contains(t, d.Problems[0].Error()+d.Problems[1].Error(), `/summary: field "Uptime"`)
}

type fakeEpic struct {
	pages map[string][]byte
	mu    sync.Mutex
	paths []string
}

func (f *fakeEpic) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	b, ok := f.pages[strings.TrimPrefix(r.URL.Path, "/")]
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
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
	raw := load(t, filepath.Join(captures, "S19XP_PowerPlay-BMS1.5.13"))
	f := &fakeEpic{pages: raw}
	port := serve(t, f)
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port}})
	require.NoError(t, err)
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "S19 XP", d.Model)
	require.InDelta(t, 99.365848, *d.Hashrate, 1e-9)
	require.Equal(t, int64(110), *d.Boards[1].Chips, "/hashrate is a JSON array")
	require.Equal(t, []string{"/summary", "/capabilities", "/network", "/hashrate"}, f.paths)

	// An older firmware without /hashrate: skipped silently.
	delete(raw, "hashrate")
	d, err = drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port}})
	require.NoError(t, err)
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Nil(t, d.Boards[1].Chips)

	// An HTML page for every endpoint: bad_response.
	htmlPort := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>Miner Web Dashboard</html>"))
	}))
	_, err = drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: htmlPort}})
	require.Error(t, err)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))

	// Nothing listening: connection_refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	_, err = drv.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closed}})
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

// FuzzParseEpic replaces one page of the capture with the fuzzed bytes.
func FuzzParseEpic(f *testing.F) {
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
	var folders []map[string][]byte
	for i, n := range names {
		raw := load(f, filepath.Join(captures, n))
		folders = append(folders, raw)
		for p, b := range raw {
			for j, ep := range Endpoints {
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
		raw[Endpoints[int(page)%len(Endpoints)]] = data
		if Parse(replies(raw)) == nil {
			t.Fatal("nil MinerData")
		}
	})
}
