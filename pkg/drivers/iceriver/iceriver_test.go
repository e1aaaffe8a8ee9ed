package iceriver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

const captures = "../../../testdata/iceriver"

func load(t testing.TB, folder string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(captures, folder, "web_userpanel.json"))
	require.NoError(t, err)
	return b
}

type boardWant struct {
	no                   int
	ths, inC, outC, maxC float64
	chips                int64
	freqMHz              float64
}

type want struct {
	model, algo, fw, host string
	problems              int // the masked MAC
	ths, boardSumTHs      float64
	uptime                int64
	boards                []boardWant
	fans                  []int64
	pools                 int
}

func TestParseCaptures(t *testing.T) {
	cases := map[string]want{
		"KS5L_ICM168_3_2_10": {
			model: "KS5L", algo: "kheavyhash", fw: "ICM168_3_2_10_ks5L_miner", host: "XJGXG_SSYYGB",
			problems: 1,      // mac "****:****:..." was masked by the capture's author
			ths:      15.011, // rtpow "15011G" = 15011 GH/s / 1e3
			// 5160.37 + 5629.50 + 4222.12 = 15011.99 GH/s = 15.01199 TH/s
			boardSumTHs: 15.01199,
			uptime:      102542, // runtime "01:04:29:02" = 86400 + 4*3600 + 29*60 + 2 s
			boards: []boardWant{
				// no 1-based -> index 0-based; rtpow G -> TH/s; intmp/outtmp °C; pcbtemp all 0 = absent
				{no: 1, ths: 5.16037, inC: 61, outC: 63, maxC: 63, chips: 18, freqMHz: 875},
				{no: 2, ths: 5.6295, inC: 57, outC: 61, maxC: 61, chips: 18, freqMHz: 875},
				{no: 3, ths: 4.22212, inC: 62, outC: 67, maxC: 67, chips: 18, freqMHz: 875},
			},
			fans:  []int64{5900, 5900, 5900, 5855}, // RPM
			pools: 3,
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
			d, err := Parse(load(t, e.Name()))
			require.NoError(t, err)
			check(t, d, w)
		})
	}
}

func check(t *testing.T, d *drivers.MinerData, w want) {
	t.Helper()
	require.Len(t, d.Problems, w.problems, "%v", d.Problems)
	require.Equal(t, "IceRiver", d.Make)
	require.Equal(t, "stock", d.Firmware)
	require.Equal(t, w.algo, d.Algorithm)
	require.Equal(t, w.model, d.Model)
	require.Equal(t, w.fw, d.FirmwareVersion)
	require.Equal(t, w.host, d.Hostname)
	require.Empty(t, d.MAC, "masked MAC not reported")
	require.InDelta(t, w.ths, *d.Hashrate, 1e-9, "hashrate TH/s")
	require.Nil(t, d.ExpectedHashrate, "idealpow 0.00G = not computed")
	require.Equal(t, w.uptime, *d.UptimeSeconds, "uptime s")
	require.True(t, *d.IsMining, "powstate true")
	require.False(t, *d.FaultLight, "locate false")
	require.Nil(t, d.Errors, "no error report in the panel")
	require.Len(t, d.Boards, len(w.boards))
	var sum float64
	for i, wb := range w.boards {
		b := d.Boards[i]
		require.Equal(t, wb.no-1, b.Index, "board no %d", wb.no)
		require.InDelta(t, wb.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
		require.Nil(t, b.ExpectedHashrate)
		require.InDelta(t, wb.inC, *b.InletTemperature, 1e-9, "board %d inlet °C", i)
		require.InDelta(t, wb.outC, *b.OutletTemperature, 1e-9, "board %d outlet °C", i)
		require.InDelta(t, wb.maxC, *b.Temperature, 1e-9, "board %d max board °C", i)
		require.Nil(t, b.ChipTemperature, "no chip sensor in the panel")
		require.Equal(t, wb.chips, *b.Chips, "board %d chips", i)
		require.InDelta(t, wb.freqMHz, *b.FrequencyMHz, 1e-9, "board %d MHz", i)
		require.True(t, *b.Active, "state true")
		sum += *b.Hashrate
	}
	require.InDelta(t, w.boardSumTHs, sum, 1e-9, "board sum TH/s")
	require.Len(t, d.Fans, len(w.fans))
	for i, rpm := range w.fans {
		require.Equal(t, i, d.Fans[i].Index)
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
	}
	require.Len(t, d.Pools, w.pools)
}

func TestUnitsModelsAndEdges(t *testing.T) {
	for _, c := range []struct {
		in, unit string
		ths      float64
	}{
		{"105.3T", "", 105.3}, {"15011G", "T", 15.011}, {"140737.49 G", "", 140.73749},
		{"250", "G", 0.25}, {"2.5 TH/s", "", 2.5}, {"900M", "", 0.0009}, {"1.2P", "", 1200},
	} {
		v, err := rate(c.in, c.unit)
		require.NoError(t, err, c.in)
		require.InDelta(t, c.ths, *v, 1e-9, "%s in TH/s", c.in)
	}
	for _, bad := range []string{"", "fast", "12X", "-5G", "NaNG"} {
		_, err := rate(bad, "")
		require.Error(t, err, bad)
	}
	for in, m := range map[string]string{
		"ICM168_3_2_10_ks5L_miner": "KS5L", "5977449_ks3m_miner": "KS3M", "xx_10306_miner": "AL3",
		"abc_ks0prominer": "KS0 Pro", "abc_ks0ultra_miner": "KS0 Ultra",
	} {
		require.Equal(t, m, modelFromSoftver(in), in)
	}
	up, err := runtime("00:09:36:02")
	require.NoError(t, err)
	require.Equal(t, int64(9*3600+36*60+2), up)
	_, err = runtime("9 days")
	require.Error(t, err)

	d, err := ParseObj(jsonval.ObjOf(map[string]any{"data": map[string]any{
		"softver1": "x_10306_miner", "mac": "52-8c-03-36-ec-e7", "algo": "none",
		"boards": []any{map[string]any{"no": "2", "chipnum": "0", "rtpow": "0G", "intmp": "0", "outtmp": "0", "state": false, "pcbtemp": "0-0-62-64"}},
	}}))
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Equal(t, "AL3", d.Model)
	require.Equal(t, "blake3", d.Algorithm)
	require.Equal(t, "52:8C:03:36:EC:E7", d.MAC, `"-" separated, upper-cased`)
	require.Len(t, d.Boards, 1, "a dead board is still emitted")
	b := d.Boards[0]
	require.Equal(t, 1, b.Index)
	require.Equal(t, int64(0), *b.Chips)
	require.Equal(t, 0.0, *b.Hashrate, "0G unit from nowhere: bare 0 with G suffix")
	require.Nil(t, b.InletTemperature, "0 °C = no sensor")
	require.Equal(t, 64.0, *b.Temperature, `pcbtemp "0-0-62-64": highest real sensor`)
	require.False(t, *b.Active)

	_, err = Parse([]byte(`{"error":3,"message":"busy"}`))
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
	_, err = Parse([]byte(`<html><title>login</title></html>`))
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	raw := load(t, "KS5L_ICM168_3_2_10")
	raw = bytes.Replace(raw, []byte(`"rtpow": "5629.50G"`), []byte(`"rtpow": "fast"`), 1)
	raw = bytes.Replace(raw, []byte(`"fans": [`), []byte(`"fans": "spinning", "x": [`), 1)
	d, err := Parse(raw)
	require.NoError(t, err)
	require.Len(t, d.Problems, 3, "%v", d.Problems) // mac, boards[1].rtpow, fans
	msgs := fmt.Sprint(d.Problems)
	require.Contains(t, msgs, "boards[1].rtpow")
	require.Contains(t, msgs, `field "fans": bad response: not a list`)
	require.Nil(t, d.Boards[1].Hashrate, "the broken value is dropped")
	require.Equal(t, 61.0, *d.Boards[1].Temperature, "the rest of the board is kept")
	require.Empty(t, d.Fans)
	require.InDelta(t, 15.011, *d.Hashrate, 1e-9, "total kept")
	require.Len(t, d.Pools, 3)
}

// panelUI is IceRiver's web UI (internal/capserve: a cookie login on
// /user/loginpost, the panel on /user/userpanel), accepting pass.
type panelUI struct {
	*capserve.Login
	srv *httptest.Server
}

func startPanel(t *testing.T, pass string, body []byte) panelUI {
	l := capserve.NewLogin("iceriver", map[string][]byte{"userpanel": body}).WithPassword(pass, false)
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return panelUI{l, srv}
}

func (p panelUI) port() int { return p.srv.Listener.Addr().(*net.TCPAddr).Port }

func TestGatherEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	f := startPanel(t, DefaultPassword, load(t, "KS5L_ICM168_3_2_10"))
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: f.port()}}

	d, err := drv.Gather(ctx, target)
	require.NoError(t, err, "default admin/12345678")
	require.InDelta(t, 15.011, *d.Hashrate, 1e-9, "15011G in TH/s")
	require.Equal(t, "KS5L", d.Model)
	require.Equal(t, 1, f.Logins(), "one login")
	require.Equal(t, 1, f.Calls())

	_, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, 1, f.Logins(), "the session cookie is reused")
	require.Equal(t, 2, f.Calls())

	// Expired session answered with the login page: one new login.
	f.Expire()
	_, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, 2, f.Logins())
	require.Equal(t, 4, f.Calls(), "login page, then the panel")

	// Expired session answered with 401: the same.
	f.Expired401(true)
	f.Expire()
	_, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, 3, f.Logins())

	// A panel that never accepts a session: auth_failed, no login loop.
	f.Refuse(true)
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "%v", err)
	require.Equal(t, 4, f.Logins(), "exactly one more login")
	f.Refuse(false)
	f.Expired401(false)

	// Wrong credentials: auth_failed once per gather, no secret in the error.
	g := startPanel(t, "Ice-Secret", load(t, "KS5L_ICM168_3_2_10"))
	target.Ports.Web = g.port()
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "default refused: %v", err)
	target.Password = "bad-Guess"
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.NotContains(t, err.Error(), "bad-Guess")
	require.Equal(t, 2, g.Logins(), "one login per gather")
	require.Equal(t, 0, g.Calls())
	target.Password = "Ice-Secret"
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Len(t, d.Boards, 3)

	// A broken panel: bad_response.
	g.SetPage("userpanel", []byte(`{"error":0,"data":`))
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "%v", err)

	// Firmware without a login page (404) whose panel is open.
	g.NoLogin(true)
	g.SetPage("userpanel", load(t, "KS5L_ICM168_3_2_10"))
	target.Password = ""
	d, err = (&Driver{}).Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, "KS5L", d.Model)

	// Nothing listening: connection_refused (a fresh driver, so no idle
	// keep-alive connection to the closed server is reused).
	g.srv.Close()
	_, err = (&Driver{Web: httpapi.NewTransport(httpapi.Options{})}).Gather(ctx, target)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
}

func FuzzParseIceRiver(f *testing.F) {
	dirs, err := os.ReadDir(captures)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range dirs {
		if e.IsDir() {
			f.Add(load(f, e.Name()))
		}
	}
	f.Add([]byte(`{"data":{"boards":[{"no":1e300,"rtpow":"1e999G"}],"runtime":"99999999:0:0:0","fans":[-1,"x"]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Parse(body)
		if err == nil && d == nil {
			t.Fatal("nil data without an error")
		}
	})
}
