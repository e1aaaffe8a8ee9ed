package goldshell

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

const capDir = "../../../testdata/goldshell"

// load splits a capture folder into 4028 replies and web pages, as
// internal/capserve serves it; web_cgminer_devs is the page "devs".
func load(t testing.TB, dir string) (rpc, web map[string][]byte) {
	c := capserve.Load(t, dir)
	c.Web["devs"] = c.Web["cgminer_devs"]
	delete(c.Web, "cgminer_devs")
	return c.RPC, c.Web
}

type boardWant struct {
	ths, temp, chip, volts, mhz float64
}

func TestParseCaptures(t *testing.T) {
	cases := []struct {
		dir            string
		model, fw, mac string
		ths            float64
		uptime         int64
		boards         []boardWant
		fans           []int64
	}{
		{
			dir: "sc5proii_2.2.0", model: "SC5 Pro II", fw: "2.2.0", mac: "00:11:22:33:44:55",
			ths:    13.940237455, // summary "MHS 20s" 13940237.455 MH/s / 1e6
			uptime: 8317,         // summary Elapsed
			boards: []boardWant{
				// "MHS 20s" MH/s / 1e6; tstemp-2; max(tstemp-0, tstemp-1); voltage 11750 mV / 1000; clock MHz
				{3.301758726, 77.75, 90, 11.75, 700},
				{3.645982514, 77.00, 86, 11.75, 700},
				{3.473522178, 79.44, 89, 11.75, 700},
				{3.730283154, 72.75, 84, 11.75, 700},
			},
			fans: []int64{3240, 3240, 3360, 3360}, // devs[0] fan0..fan3 RPM
		},
		{
			dir: "sclite_2.2.0", model: "SC Lite", fw: "2.2.0", mac: "00:11:22:33:44:55",
			ths:    4.520453247, // 4520453.247 MH/s / 1e6
			uptime: 104370,
			boards: []boardWant{
				{1.131629428, 67.06, 68, 9.33, 625}, // voltage 9330 mV
				{1.141926308, 66.38, 67, 9.33, 625},
				{1.141409485, 68.0, 68, 9.33, 625},
				{1.110935463, 67.5, 67, 9.33, 625},
			},
			fans: []int64{1560, 1500, 1500, 1500},
		},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			rpc, web := load(t, filepath.Join(capDir, tc.dir))
			d := Parse(cgminer.BatchFromRaw("test", rpc), WebFromRaw(web))
			require.Empty(t, d.Problems)
			require.Equal(t, "Goldshell", d.Make)
			require.Equal(t, tc.model, d.Model)
			require.Equal(t, "stock", d.Firmware)
			require.Equal(t, "blake2b", d.Algorithm, "SC series mine Sia (Blake2b)")
			require.Equal(t, tc.fw, d.FirmwareVersion)
			require.Equal(t, tc.mac, d.MAC)
			require.NotNil(t, d.Hashrate)
			require.InDelta(t, tc.ths, *d.Hashrate, 1e-9, "hashrate TH/s")
			require.Equal(t, tc.uptime, *d.UptimeSeconds, "uptime s")
			require.Len(t, d.Boards, len(tc.boards))
			for i, w := range tc.boards {
				b := d.Boards[i]
				require.Equal(t, i, b.Index)
				require.InDelta(t, w.ths, *b.Hashrate, 1e-9, "board %d hashrate TH/s", i)
				require.InDelta(t, w.temp, *b.Temperature, 1e-9, "board %d temperature °C", i)
				require.InDelta(t, w.chip, *b.ChipTemperature, 1e-9, "board %d chip temperature °C", i)
				require.InDelta(t, w.volts, *b.VoltageVolts, 1e-9, "board %d voltage V", i)
				require.InDelta(t, w.mhz, *b.FrequencyMHz, 1e-9, "board %d frequency MHz", i)
				require.True(t, *b.Active, "Status Alive")
				require.Nil(t, b.Chips, "no devdetails captured: chips unknown, not 0")
			}
			require.Len(t, d.Fans, len(tc.fans))
			for i, rpm := range tc.fans {
				require.Equal(t, i, d.Fans[i].Index)
				require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
			}
			require.Nil(t, d.ExpectedHashrate, "estimate_hash_rate has no consistent unit")
			require.Nil(t, d.Errors)
		})
	}
}

// Without 4028 devs the web's firmware-2.2 form is read.
func TestParseWebDevsFallback(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "sc5proii_2.2.0"))
	delete(rpc, "devs")
	d := Parse(cgminer.BatchFromRaw("test", rpc), WebFromRaw(web))
	require.Len(t, d.Boards, 4)
	require.InDelta(t, 3.6318940880000001, *d.Boards[0].Hashrate, 1e-9, "data[0].hashrate 3631894.088 MH/s")
	require.InDelta(t, 77.7, *d.Boards[0].Temperature, 1e-9, `"77.7 °C"`)
	require.InDelta(t, 72.6, *d.Boards[3].Temperature, 1e-9, `"72.6 °C"`)
	require.Nil(t, d.Boards[0].ChipTemperature)
	rpms := []int64{3180, 3120, 3300, 3360} // "3180 rpm / 3120 rpm / 3300 rpm / 3360 rpm"
	require.Len(t, d.Fans, 4)
	for i, r := range rpms {
		require.Equal(t, r, *d.Fans[i].RPM)
	}
	require.Equal(t, int64(8317), *d.UptimeSeconds, "summary Elapsed still wins over data[0].time")
}

func TestBrokenSectionKeepsRest(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "sclite_2.2.0"))
	rpc["summary"] = []byte(`{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"MHS 20s":"fast","Elapsed":"x"}],"id":1}`)
	web["status"] = []byte(`<html>login</html>`)
	d := Parse(cgminer.BatchFromRaw("test", rpc), WebFromRaw(web))
	require.Nil(t, d.Hashrate)
	require.NotEmpty(t, d.Problems)
	require.Equal(t, "", d.Model)
	require.Len(t, d.Boards, 4, "devs still read")
	require.Equal(t, "00:11:22:33:44:55", d.MAC, "setting still read")
	require.InDelta(t, 4.525900684, *d.TotalHashrate(), 1e-9, "board sum 1.131629428+1.141926308+1.141409485+1.110935463")
}

func TestCleanModelAndCipher(t *testing.T) {
	for in, want := range map[string]string{
		"Goldshell-SC5ProⅡ": "SC5 Pro II", "Goldshell-SCLITE": "SC Lite", "Goldshell KDBoxII": "KD Box II",
		"Goldshell-KDBOX PRO": "KD Box Pro", "Goldshell-Mini-DOGE": "Mini Doge", "KD6": "KD6", "": "",
	} {
		require.Equal(t, want, CleanModel(in), in)
	}
	require.Equal(t, "scrypt", Algorithm("Mini Doge"))
	require.Equal(t, "blake2s", Algorithm("KD Box II"))
	require.Equal(t, "", Algorithm("XYZ"))
	// The firmware's encoding of the default password, as its own UI sends it.
	require.Equal(t, "bbad7537f4c8b6ea31eea0b3d760e257", Cipher("123456789"))
}

// start serves a capture: 4028, and the web UI behind Goldshell's login
// (internal/capserve): the factory password only ciphered, as this
// firmware wants it, or pw as typed where plain says the firmware takes it.
func start(t *testing.T, dir string, multi bool, pw string, plain bool) (*capserve.Login, drivers.Target) {
	rpc, web := load(t, filepath.Join(capDir, dir))
	// No capture has pools (their authors kept wallets out): a hand-made
	// /mcb/pools list stands in; 4028 pools is then "invalid command".
	pl, err := os.ReadFile(filepath.Join("testdata", "pools_list.json"))
	require.NoError(t, err)
	web["pools"] = pl
	m := &fakeminer.Miner{Replies: rpc, Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	web["cgminer_devs"] = web["devs"] // served at /mcb/cgminer?cgminercmd=devs
	f := capserve.NewLogin("goldshell", web)
	if pw != DefaultPassword || plain {
		f.WithPassword(pw, plain)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return f, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: p}}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestGatherEndToEnd(t *testing.T) {
	for _, multi := range []bool{true, false} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			f, tg := start(t, "sc5proii_2.2.0", multi, DefaultPassword, false)
			dr := Driver{Web: httpapi.NewTransport(httpapi.Options{})}
			d, err := dr.Gather(ctx(t), tg)
			require.NoError(t, err)
			require.Empty(t, d.Problems)
			require.Equal(t, "SC5 Pro II", d.Model)
			require.Equal(t, "00:11:22:33:44:55", d.MAC, "setting read with the cipher=true token")
			require.InDelta(t, 13.940237455, *d.Hashrate, 1e-9)
			require.Len(t, d.Boards, 4)
			require.Equal(t, 2, f.Logins(), "one login: cipher=false got HTML, then cipher=true")
			require.Len(t, d.Pools, 2, "from /mcb/pools, as 4028 pools failed")
			require.Equal(t, "stratum+tcp", d.Pools[1].URL.Scheme, "scheme-less pool URL")
			require.Equal(t, "pool2.example.com", d.Pools[1].URL.Host)
			require.Equal(t, "w2", d.Pools[1].User)
		})
	}
}

func TestGatherAuth(t *testing.T) {
	const secret = "s3cret-pw"
	f, tg := start(t, "sclite_2.2.0", true, secret, true)
	tr := httpapi.NewTransport(httpapi.Options{})
	dr := Driver{Web: tr}

	// Good credentials.
	tg.Password = secret
	d, err := dr.Gather(ctx(t), tg)
	require.NoError(t, err)
	require.Equal(t, "00:11:22:33:44:55", d.MAC)
	require.Equal(t, 1, f.Logins())

	// Expired token: renewed once, data still read.
	f.Expire()
	d, err = dr.Gather(ctx(t), tg)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Equal(t, "00:11:22:33:44:55", d.MAC)
	require.Equal(t, 2, f.Logins())

	// Wrong password: 4028 data kept, the setting page is an auth problem
	// naming no secret; one login attempt for the whole gather.
	// (A fresh transport: the token cache is per address and user.)
	tg.Password = "wrong-" + secret
	before := f.Logins()
	d, err = Driver{Web: httpapi.NewTransport(httpapi.Options{})}.Gather(ctx(t), tg)
	require.NoError(t, err)
	require.Equal(t, "", d.MAC)
	require.Len(t, d.Boards, 4)
	require.NotEmpty(t, d.Problems)
	for _, p := range d.Problems {
		require.NotContains(t, p.Error(), secret)
	}
	require.ErrorIs(t, joined(d.Problems), drivers.ErrAuth)
	require.Equal(t, before+1, f.Logins(), "no login loop")
}

func joined(errs []error) error {
	for _, e := range errs {
		if e != nil && strings.Contains(e.Error(), "setting") {
			return e
		}
	}
	return nil
}

func TestGatherDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err = Driver{}.Gather(ctx(t), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port, Web: port}})
	require.Error(t, err)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}
