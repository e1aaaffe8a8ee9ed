package innosilicon

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

const capDir = "../../../testdata/innosilicon"

// load splits a capture folder into 4028 replies and web pages, as
// internal/capserve serves it.
func load(t testing.TB, dir string) (rpc, web map[string][]byte) {
	c := capserve.Load(t, dir)
	return c.RPC, c.Web
}

func parseDir(t testing.TB, dir string) *drivers.MinerData {
	rpc, web := load(t, dir)
	return Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
}

type boardWant struct {
	ths        float64
	temp, chip *float64 // °C; nil = not reported
	chips      *int64
	active     *bool
}

type want struct {
	model, algo, mac, host, fw, api string
	ths                             *float64 // TH/s total reported by the miner; nil = none
	boardSumTHs                     float64
	uptime                          *int64 // s
	powerW                          *float64
	fanPercent                      []float64
	boards                          []boardWant
	pools                           int
	errors                          *int // nil = no error report
}

func f(v float64) *float64 { return &v }
func i(v int64) *int64     { return &v }
func b(v bool) *bool       { return &v }
func n(v int) *int         { return &v }

func TestParseCaptures(t *testing.T) {
	cases := map[string]want{
		// Real, excerpt: only the web /api/summary, board 0.
		"a11mx_issue211": {
			// "Hash Rate H" 470821977.34 H/s / 1e12 = 0.00047082197734 TH/s
			// (the "MHS 1m" label next to it carries the same H/s number).
			boardSumTHs: 0.00047082197734,
			boards: []boardWant{
				{ths: 0.00047082197734, temp: f(39), active: b(true)}, // "Temperature": 39 °C, Status "Alive"
			},
		},
		// Real: a DragonMint T1's web /api/summary alone (no 4028, no
		// login pages), June 2018; see ORIGIN.md.
		"T1_dragonmint_2018": {
			// DEVS "Hash Rate" (no "Unit": MH/s; the UI copies MHS 15m
			// there after an hour) / 1e6: 4.93225841 + 4.92423545 + 4.9316652
			boardSumTHs: 14.78815906,
			fanPercent:  []float64{59}, // HARDWARE "Fan duty"
			boards: []boardWant{
				{ths: 4.93225841, temp: f(72), active: b(true)},
				{ths: 4.92423545, temp: f(67), active: b(true)},
				{ths: 4.9316652, temp: f(67), active: b(true)},
			},
			pools: 2, // POOLS, cgminer's pools reply passed through
		},
		// Hand-made (see ORIGIN.md), anchored on pyasic issue #229's A11.
		"a11_a10-1.1.0_handmade": {
			model: "A11", algo: "ethash", mac: "A0:B0:45:3E:21:58", host: "inno-a11-r3s12",
			fw: "a10-1.1.0", api: "3.4",
			ths: f(0.00135305742679), // total_hash "Hash Rate H" 1353057426.79 H/s / 1e12
			// 470821977.34 + 442100000 + 440135449.45 + 0 = 1353057426.79 H/s
			boardSumTHs: 0.00135305742679,
			uptime:      i(501560), // stats STATS[0].Elapsed s
			powerW:      f(2236),   // all.power W
			fanPercent:  []float64{100},
			boards: []boardWant{
				{ths: 0.00047082197734, temp: f(39), chip: f(58), chips: i(8), active: b(true)},
				{ths: 0.0004421, temp: f(40), chip: f(61), chips: i(8), active: b(true)},
				{ths: 0.00044013544945, temp: f(42), chip: f(63), chips: i(7), active: b(true)},
				// the dead chain: 0 H/s, 0 °C sensors = absent, 0 active chips, Status "Dead"
				{ths: 0, chips: i(0), active: b(false)},
			},
			pools:  2,
			errors: n(0), // getErrorDetail code 0: a clean report
		},
	}
	dirs, err := os.ReadDir(capDir)
	require.NoError(t, err)
	seen := 0
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		seen++
		w, ok := cases[e.Name()]
		require.True(t, ok, "capture folder %s has no test case", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			d := parseDir(t, filepath.Join(capDir, e.Name()))
			require.Empty(t, d.Problems)
			require.Equal(t, "Innosilicon", d.Make)
			require.Equal(t, "stock", d.Firmware)
			require.Equal(t, w.model, d.Model)
			require.Equal(t, w.algo, d.Algorithm)
			require.Equal(t, w.mac, d.MAC)
			require.Equal(t, w.host, d.Hostname)
			require.Equal(t, w.fw, d.FirmwareVersion)
			require.Equal(t, w.api, d.APIVersion)
			if w.ths == nil {
				require.Nil(t, d.Hashrate, "no total reported")
			} else {
				require.InDelta(t, *w.ths, *d.Hashrate, 1e-12, "total hashrate TH/s")
			}
			require.InDelta(t, w.boardSumTHs, *d.TotalHashrate(), 1e-12, "TH/s (board sum when no total)")
			require.Equal(t, w.uptime, d.UptimeSeconds, "uptime s")
			require.Equal(t, w.powerW, d.PowerWatts, "power W")
			require.Nil(t, d.ExpectedHashrate, "not reported")
			require.Nil(t, d.PowerLimitWatts, "running_mode.level is not a documented wattage")
			require.Len(t, d.Fans, len(w.fanPercent))
			for k, p := range w.fanPercent {
				require.Equal(t, k, d.Fans[k].Index)
				require.Equal(t, p, *d.Fans[k].Percent, "fan %%")
				require.Nil(t, d.Fans[k].RPM, "the firmware gives a percentage only")
			}
			require.Len(t, d.Boards, len(w.boards))
			for k, bw := range w.boards {
				bd := d.Boards[k]
				require.Equal(t, k, bd.Index, "0-based slot")
				require.InDelta(t, bw.ths, *bd.Hashrate, 1e-12, "board %d TH/s", k)
				require.Equal(t, bw.temp, bd.Temperature, "board %d °C", k)
				require.Equal(t, bw.chip, bd.ChipTemperature, "board %d hottest chip °C", k)
				require.Equal(t, bw.chips, bd.Chips, "board %d chips", k)
				require.Equal(t, bw.active, bd.Active, "board %d active", k)
			}
			require.Len(t, d.Pools, w.pools)
			if w.errors == nil {
				require.Nil(t, d.Errors)
			} else {
				require.NotNil(t, d.Errors, "a report exists")
				require.Len(t, d.Errors, *w.errors)
			}
		})
	}
	require.Equal(t, len(cases), seen, "every case has its folder")
}

func TestPoolFields(t *testing.T) {
	d := parseDir(t, filepath.Join(capDir, "a11_a10-1.1.0_handmade"))
	require.Len(t, d.Pools, 2)
	p := d.Pools[0]
	require.Equal(t, 0, p.Index, "POOL 0")
	require.Equal(t, "stratum+tcp", p.URL.Scheme)
	require.Equal(t, "etc.example-pool.org", p.URL.Host)
	require.Equal(t, 1010, p.URL.Port)
	require.Equal(t, "farm1.a11r3s12", p.User)
	require.Equal(t, int64(71203), *p.Accepted, "accepted shares")
	require.Equal(t, int64(51), *p.Rejected, "rejected shares")
	require.Equal(t, int64(3), *p.Stale, "stale shares")
	require.Equal(t, int64(1), *p.GetFailures)
	require.Equal(t, int64(2), *p.RemoteFailures)
	require.True(t, *p.Active, "Stratum Active")
	require.True(t, *p.Alive, `Status "Alive"`)
	q := d.Pools[1]
	require.Equal(t, 1, q.Index)
	require.Equal(t, "etc-backup.example-pool.org", q.URL.Host)
	require.False(t, *q.Active)
	require.False(t, *q.Alive, `Status "Dead"`)
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "a11_a10-1.1.0_handmade"))
	web["getAll"] = bytes.Replace(web["getAll"], []byte(`"Hash Rate H": 442100000`), []byte(`"Hash Rate H": "fast"`), 1)
	web["getAll"] = bytes.Replace(web["getAll"], []byte(`"fansSpeed": 100`), []byte(`"fansSpeed": "loud"`), 1)
	web["overview"] = []byte(`<html><body>login</body></html>`)
	rpc["stats"] = []byte(`{"STATUS":[{"STATUS":"E","Msg":"busy"}],"id":1}`)
	d := Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	msgs := fmt.Sprint(d.Problems)
	require.Len(t, d.Problems, 4, "%v", d.Problems)
	require.Contains(t, msgs, `web /api/getAll: field "all.chain[1].Hash Rate H": bad response: cannot read "fast"`)
	require.Contains(t, msgs, `web /api/getAll: field "all.fansSpeed": bad response: cannot read "loud"`)
	require.Contains(t, msgs, `"overview"`)
	require.Contains(t, msgs, `"stats"`)

	require.Len(t, d.Boards, 4)
	require.Nil(t, d.Boards[1].Hashrate, "the broken value is dropped")
	require.Equal(t, 61.0, *d.Boards[1].ChipTemperature, "the rest of the board is kept")
	require.Empty(t, d.Fans)
	require.Equal(t, "", d.Hostname, "overview was broken: no hostname")
	require.Equal(t, "A0:B0:45:3E:21:58", d.MAC, "MAC from getAll")
	require.InDelta(t, 0.00135305742679, *d.Hashrate, 1e-12, "total kept, TH/s")
	require.Equal(t, int64(501560), *d.UptimeSeconds, "stats lost: uptime from the summary's Elapsed, s")
	require.Len(t, d.Pools, 2)
}

func TestWebOnlyAndFallbacks(t *testing.T) {
	// getAll missing: boards come from the 4028 stats and the web summary;
	// the hashrate from the 4028 summary's MHS 1m (MH/s).
	rpc, web := load(t, filepath.Join(capDir, "a11_a10-1.1.0_handmade"))
	delete(web, "getAll")
	_, sum := load(t, filepath.Join(capDir, "a11mx_issue211"))
	web["summary"] = sum["summary"]
	d := Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Empty(t, d.Problems)
	require.InDelta(t, 1353.05742679/1e6, *d.Hashrate, 1e-12, "MHS 1m 1353.05742679 MH/s in TH/s")
	require.Len(t, d.Boards, 4, "chains 0-3 from stats")
	require.InDelta(t, 0.00047082197734, *d.Boards[0].Hashrate, 1e-12, "web summary DEVS[0] Hash Rate H")
	require.Equal(t, 39.0, *d.Boards[0].Temperature, "web summary Temperature °C")
	require.Equal(t, 58.0, *d.Boards[0].ChipTemperature, "stats Temp max °C")
	require.Equal(t, int64(7), *d.Boards[2].Chips, "stats Num active chips")
	require.Nil(t, d.Boards[3].ChipTemperature, "Temp max 0 = no sensor")
	require.Equal(t, "A0:B0:45:3E:21:58", d.MAC, "overview version.ethaddr")
	require.Nil(t, d.PowerWatts)

	// Web pools when 4028 has none, as a plain list.
	web = map[string][]byte{"pools": []byte(`{"success":true,"pools":[{"url":"stratum+ssl://p.example.com:700","user":"w.1"}]}`),
		"getErrorDetail": []byte(`{"success":true,"code":"32"}`),
		"type":           []byte(`{"success":true,"type":"Innosilicon  T3H+ "}`)}
	d = Parse(cgminer.BatchFromRaw("test", nil), httpapi.RepliesFromRaw(web))
	require.Empty(t, d.Problems)
	require.Len(t, d.Pools, 1)
	require.Equal(t, "p.example.com", d.Pools[0].URL.Host)
	require.Equal(t, 700, d.Pools[0].URL.Port)
	require.Equal(t, "w.1", d.Pools[0].User)
	require.Equal(t, []drivers.MinerError{{Code: "32", Message: "over temperature"}}, d.Errors)
	require.Equal(t, "T3H+", d.Model)
	require.Equal(t, "sha256", d.Algorithm)

	// A page the firmware refuses with success false is a problem, not data.
	d = Parse(nil, httpapi.RepliesFromRaw(map[string][]byte{"getAll": []byte(`{"success":false,"msg":"busy"}`)}))
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), `success false`)
	require.NotContains(t, d.Problems[0].Error(), "busy", "firmware text is not quoted")
}

func TestModelsUnitsErrors(t *testing.T) {
	for m, a := range map[string]string{"T2T": "sha256", "T3H+": "sha256", "A10X": "ethash", "A11MX": "ethash",
		"A9 ZMaster": "equihash", "A6+": "scrypt", "A8 CryptoMaster": "scrypt", "G32": ""} {
		require.Equal(t, a, algorithm(m), m)
	}
	for in, th := range map[string]float64{
		`{"Hash Rate H": 2e12}`:                     2,
		`{"Hash Rate": 1500}`:                       0.0015, // MH/s by default
		`{"Hash Rate": 90, "Unit": "TH/s"}`:         90,
		`{"Hash Rate": 52000, "Unit": "GH/s"}`:      52,
		`{"Hash Rate": "470.8", "Unit": "MH\/s"}`:   0.0004708,
		`{"Hash Rate": 1, "Unit": "PH/s"}`:          1000,
		`{"Hash Rate H": 5e9, "Hash Rate": 999999}`: 0.005, // H/s wins
	} {
		o, err := httpapi.ParseJSON([]byte(in))
		require.NoError(t, err)
		d := &drivers.MinerData{}
		v := rate(page(d, "getAll"), o)
		require.Empty(t, d.Problems, in)
		require.InDelta(t, th, *v, 1e-12, "%s in TH/s", in)
	}
	for _, bad := range []string{`{"Hash Rate": 5, "Unit": "furlongs"}`, `{"Hash Rate H": -1}`, `{"Hash Rate": "x"}`} {
		o, _ := httpapi.ParseJSON([]byte(bad))
		d := &drivers.MinerData{}
		require.Nil(t, rate(page(d, "getAll"), o), bad)
		require.Len(t, d.Problems, 1, bad)
		require.ErrorIs(t, d.Problems[0], drivers.ErrBadResponse, bad)
	}
	require.Equal(t, drivers.MinerError{Code: "34", Message: "hashboard cables connected in the wrong order"}, minerError(34))
	require.Equal(t, drivers.MinerError{Code: "99", Message: "unknown error code 99"}, minerError(99))

	require.True(t, Expired(200, []byte(`{"success":false,"token":"expired"}`)))
	require.False(t, Expired(200, []byte(`{"success":true,"token":"abc"}`)))
	require.False(t, Expired(500, []byte(`{"success":false,"token":"expired"}`)))
	require.False(t, Expired(200, []byte(`{"success":false,"msg":"busy"}`)))
}

// A DragonMint UI unit whose 4028 API is closed: its /api/summary POOLS
// (cgminer's pools reply, passed through) gives every pool field.
func TestWebSummaryPoolsT1(t *testing.T) {
	_, web := load(t, filepath.Join(capDir, "T1_dragonmint_2018"))
	d := Parse(cgminer.BatchFromRaw("test", nil), httpapi.RepliesFromRaw(web))
	require.Empty(t, d.Problems)
	require.Len(t, d.Pools, 2)
	p := d.Pools[0]
	require.Equal(t, 0, p.Index)
	require.Equal(t, "stratum+tcp://us-east.stratum.slushpool.com:3333", p.URL.Raw)
	require.Equal(t, "stratum+tcp", p.URL.Scheme)
	require.Equal(t, "us-east.stratum.slushpool.com", p.URL.Host)
	require.Equal(t, 3333, p.URL.Port)
	require.Equal(t, "brndnmtthws.dragon-0ade5", p.User)
	require.Equal(t, int64(1030), *p.Accepted)
	require.Equal(t, int64(6), *p.Rejected)
	require.Equal(t, int64(0), *p.Stale)
	require.Equal(t, int64(0), *p.GetFailures)
	require.Equal(t, int64(0), *p.RemoteFailures)
	require.True(t, *p.Active)
	require.True(t, *p.Alive)
	p = d.Pools[1]
	require.Equal(t, 1, p.Index)
	require.Equal(t, "pool.ckpool.org", p.URL.Host)
	require.Equal(t, "3GWdXx9dfLPvSe7d8UnxjnDnSAJodTTbrt.dragon-0ade5", p.User)
	require.Equal(t, int64(0), *p.Accepted)
	require.False(t, *p.Active, `"Stratum Active": false`)
	require.True(t, *p.Alive)

	// Where 4028 answers too, its pools reply is the one read.
	rpc, _ := load(t, filepath.Join(capDir, "a11_a10-1.1.0_handmade"))
	d = Parse(cgminer.BatchFromRaw("test", map[string][]byte{"pools": rpc["pools"]}), httpapi.RepliesFromRaw(web))
	require.Empty(t, d.Problems)
	require.NotEqual(t, "us-east.stratum.slushpool.com", d.Pools[0].URL.Host)
}
