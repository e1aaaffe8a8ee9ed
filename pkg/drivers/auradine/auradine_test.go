package auradine

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
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

const capDir = "../../../testdata/auradine"

// load splits a capture folder into 4028 replies and web pages, as
// internal/capserve serves it.
func load(t testing.TB, dir string) (rpc, web map[string][]byte) {
	c := capserve.Load(t, dir)
	return c.RPC, c.Web
}

func TestParseAT1500(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "at1500_fluxos"))
	d := Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Empty(t, d.Problems)
	require.Equal(t, "Auradine", d.Make)
	require.Equal(t, "AT1500", d.Model)
	require.Equal(t, "sha256", d.Algorithm)
	require.Equal(t, "1C:00:00:0E:3B:2B", d.MAC)
	require.Equal(t, "teraflux-01", d.Hostname)
	require.Equal(t, "2023-12.27", d.FirmwareVersion)
	require.Equal(t, "1.0", d.APIVersion)
	require.Equal(t, "AU23200006", d.SerialNumber)
	// summary "MHS 5s" 20599767.18 MH/s, the window of the boards' devs "MHS 5s"
	// (its "MHS 1m" 10256844.55 is half of it).
	require.InDelta(t, 20.5997671774699, *d.Hashrate, 1e-9, "summary MHS 5s -> TH/s")
	require.InDelta(t, *d.Hashrate, *sumBoards(d), 0.2, "total and board sum agree")
	require.Equal(t, int64(56696), *d.UptimeSeconds, "summary Elapsed s")
	require.InDelta(t, 58.94, *d.PowerWatts, 1e-9, `psu PowerIn "58.94W"`)
	require.Equal(t, int64(4052), *d.PSUFanRPM, `psu FanSpeed1 "4052.00 RPM", the slower of the two (FanSpeed2 4144)`)
	require.InDelta(t, 2000, *d.PowerLimitWatts, 1e-9, "mode Power W")
	require.True(t, *d.IsMining, `mode Sleep "off"`)
	require.False(t, *d.FaultLight, "led Code 2 = normal")
	require.NotNil(t, d.Errors)
	require.Empty(t, d.Errors, "LED normal: a clean report")

	type bw struct {
		ths, temp, chip, mhz float64
		sn                   string
	}
	want := []bw{
		// devs "MHS 5s" MH/s/1e6; max BoardTemp; max ChipTemp; mean ChipFrequency
		{6.8, 41.5, 45.827271728515655, (281.25 + 247.5 + 268.75) / 3, "QAHB01230908001X"}, // 265.83 MHz
		{6.9, 43.0, 48.220855712890625, (327.5 + 323.75 + 328.75) / 3, "QAHB01230908001Y"}, // 326.67 MHz
		{7.0, 47.5, 51.41230102539066, (391.25 + 352.5 + 166.25) / 3, "QAHB01230908001Z"},  // 303.33 MHz
	}
	require.Len(t, d.Boards, 3)
	for i, w := range want {
		b := d.Boards[i]
		require.Equal(t, i, b.Index, "devs ID %d is slot %d", i+1, i)
		require.InDelta(t, w.ths, *b.Hashrate, 1e-9, "board %d TH/s", i)
		require.InDelta(t, w.temp, *b.Temperature, 1e-9, "board %d °C", i)
		require.InDelta(t, w.chip, *b.ChipTemperature, 1e-9, "board %d chip °C", i)
		require.InDelta(t, w.mhz, *b.FrequencyMHz, 1e-9, "board %d MHz", i)
		require.Equal(t, w.sn, b.SerialNumber)
		require.True(t, *b.Active)
		require.Nil(t, b.Chips, "no per-board chip count in these APIs")
	}
	rpms := []int64{7080, 7020, 7100, 7020}
	require.Len(t, d.Fans, 4)
	for i, r := range rpms {
		require.Equal(t, i, d.Fans[i].Index, "fan ID %d", i+1)
		require.Equal(t, r, *d.Fans[i].RPM, "fan %d RPM", i)
	}

	require.Len(t, d.Pools, 3)
	p := d.Pools[0]
	require.Equal(t, 0, p.Index)
	require.Equal(t, "stratum+tcp", p.URL.Scheme)
	require.Equal(t, "btc.viabtc.io", p.URL.Host)
	require.Equal(t, 3333, p.URL.Port)
	require.Equal(t, "username.suffix", p.User)
	require.Equal(t, int64(10), *p.Accepted)
	require.Equal(t, int64(1), *p.Rejected)
	require.Nil(t, p.Stale, "GCMiner sends no Stale")
	require.Nil(t, p.GetFailures, "GCMiner sends no Get Failures")
	require.Nil(t, p.RemoteFailures, "GCMiner sends no Remote Failures")
	require.True(t, *p.Active)
	require.True(t, *p.Alive)
	require.Equal(t, 2, d.Pools[2].Index)
	require.False(t, *d.Pools[1].Alive, `Status "Dead"`)
	require.False(t, *d.Pools[1].Active)
}

func TestLEDFaultAndBrokenPage(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "at1500_fluxos"))
	web["led"] = []byte(`{"LED":[{"Code":8,"Msg":"Hashrate low"}],"STATUS":[{"STATUS":"S"}]}`)
	web["psu"] = []byte(`{"PSU":[{"PowerIn":"lots"}]}`)
	web["temperature"] = []byte(`<html>oops</html>`)
	rpc["summary"] = []byte(`{"STATUS":[{"STATUS":"E","Code":45,"Msg":"Access denied"}],"id":1}`)
	d := Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Equal(t, []drivers.MinerError{{Code: "8", Message: "Hashrate low"}}, d.Errors)
	require.False(t, *d.FaultLight)
	require.Nil(t, d.PowerWatts)
	require.Nil(t, d.Hashrate)
	require.Len(t, d.Problems, 3, "summary, psu PowerIn, temperature page")
	require.InDelta(t, 28.25, *d.Boards[0].Temperature, 1e-9, "devs Temperature when the temperature page is broken")
	require.Nil(t, d.Boards[0].ChipTemperature)
	require.InDelta(t, 20.7, *d.TotalHashrate(), 1e-9, "board sum 6.8+6.9+7.0 TH/s")
	require.Equal(t, "AT1500", d.Model, "the rest is kept")
}

// fakeFlux enforces the FluxOS token login.
// start serves the capture: GCMiner on 4028 and the FluxOS REST API
// behind its token login (internal/capserve), accepting pw.
func start(t *testing.T, multi bool, pw string) (*capserve.Login, drivers.Target, int) {
	rpc, web := load(t, filepath.Join(capDir, "at1500_fluxos"))
	m := &fakeminer.Miner{Replies: rpc, Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	f := capserve.NewLogin("auradine", web).WithPassword(pw, false)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}}, srv.Listener.Addr().(*net.TCPAddr).Port
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestGatherEndToEnd(t *testing.T) {
	for _, multi := range []bool{true, false} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			f, tg, port := start(t, multi, DefaultPassword)
			d, err := Driver{Web: httpapi.NewTransport(httpapi.Options{}), WebPort: port}.Gather(ctx(t), tg)
			require.NoError(t, err)
			require.Empty(t, d.Problems)
			require.InDelta(t, 20.5997671774699, *d.Hashrate, 1e-9)
			require.Equal(t, "1C:00:00:0E:3B:2B", d.MAC)
			require.Len(t, d.Boards, 3)
			require.Len(t, d.Pools, 3)
			require.Equal(t, 1, f.Logins())
		})
	}
}

func TestGatherAuth(t *testing.T) {
	const secret = "fl0x-secret"
	f, tg, port := start(t, true, secret)
	dr := Driver{Web: httpapi.NewTransport(httpapi.Options{}), WebPort: port}
	tg.Password = secret
	d, err := dr.Gather(ctx(t), tg)
	require.NoError(t, err)
	require.Equal(t, "AT1500", d.Model)

	f.Expire()
	d, err = dr.Gather(ctx(t), tg)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Equal(t, 2, f.Logins(), "renewed exactly once")

	tg.Password = "wrong-" + secret
	before := f.Logins()
	d, err = Driver{Web: httpapi.NewTransport(httpapi.Options{}), WebPort: port}.Gather(ctx(t), tg)
	require.NoError(t, err, "4028 still answers")
	require.Equal(t, "", d.Model)
	require.InDelta(t, 20.5997671774699, *d.Hashrate, 1e-9)
	require.Len(t, d.Problems, len(WebPages))
	for _, p := range d.Problems {
		require.ErrorIs(t, p, drivers.ErrAuth)
		require.NotContains(t, p.Error(), secret)
	}
	require.Equal(t, before+1, f.Logins(), "one login attempt per gather")
}

func TestGatherDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err = Driver{WebPort: port}.Gather(ctx(t), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port}})
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
}

// gcminerOwn serves GCMiner's temperature, fan and psu replies on 4028.
// No 4028 capture of these commands exists: the bytes are the captured
// REST pages, which are GCMiner's own replies relayed (their STATUS Code
// 590/510/570, GCMiner Description and cgminer's "id":1 say so).
func withGCMinerOwn(rpc, web map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range rpc {
		out[k] = v
	}
	for _, c := range []string{"temperature", "fan", "psu"} {
		out[c] = web[c]
	}
	return out
}

// With the REST API closed, boards, chip temperatures, fans and power
// still come from 4028; what only REST carries (MAC, frequency, LED, mode)
// stays absent.
func TestParseRESTClosedRPCCarriesBoardsFansPower(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "at1500_fluxos"))
	d := Parse(cgminer.BatchFromRaw("test", withGCMinerOwn(rpc, web)), httpapi.RepliesFromRaw(nil))
	require.Empty(t, d.Problems)
	require.InDelta(t, 58.94, *d.PowerWatts, 1e-9, `4028 psu PowerIn "58.94W"`)
	require.InDelta(t, 3452, *d.PowerLimitWatts, 1e-9, `no mode page: psu PoutMax "3452.00W"`)
	require.Equal(t, int64(4052), *d.PSUFanRPM, "4028 psu FanSpeed1")
	require.Len(t, d.Boards, 3)
	for i, w := range []struct{ temp, chip float64 }{{41.5, 45.827271728515655}, {43.0, 48.220855712890625}, {47.5, 51.41230102539066}} {
		require.InDelta(t, w.temp, *d.Boards[i].Temperature, 1e-9, "board %d: 4028 temperature, not devs' 28.25", i)
		require.InDelta(t, w.chip, *d.Boards[i].ChipTemperature, 1e-9, "board %d", i)
		require.Nil(t, d.Boards[i].FrequencyMHz, "frequency is a REST page only")
	}
	require.Len(t, d.Fans, 4)
	for i, rpm := range []int64{7080, 7020, 7100, 7020} {
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d", i)
	}
	require.Empty(t, d.MAC)
	require.Nil(t, d.FaultLight)
}

// Both APIs answer: the same numbers as the REST pages alone, no problem
// for the duplicate; a GCMiner without the commands is no problem either.
func TestParseBothAPIsAndOldGCMiner(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "at1500_fluxos"))
	both := Parse(cgminer.BatchFromRaw("test", withGCMinerOwn(rpc, web)), httpapi.RepliesFromRaw(web))
	restOnly := Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Empty(t, both.Problems)
	require.Equal(t, restOnly, both)

	old := map[string][]byte{}
	for k, v := range rpc {
		old[k] = v
	}
	for _, c := range []string{"temperature", "fan", "psu"} {
		old[c] = []byte(`{"STATUS":[{"STATUS":"E","When":1685118419,"Code":14,"Msg":"Invalid command","Description":"GCMiner-0.5"}],"id":1}`)
	}
	d := Parse(cgminer.BatchFromRaw("test", old), httpapi.RepliesFromRaw(nil))
	require.Empty(t, d.Problems)
	require.Nil(t, d.PowerWatts)
	require.Empty(t, d.Fans)
	require.InDelta(t, 28.25, *d.Boards[0].Temperature, 1e-9, "devs Temperature when nothing better came")
}

// End to end with the REST port closed: one joined 4028 request brings
// boards, fans and power.
func TestGatherRESTClosed(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "at1500_fluxos"))
	m := &fakeminer.Miner{Replies: withGCMinerOwn(rpc, web), Multi: true, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	d, err := Driver{Web: httpapi.NewTransport(httpapi.Options{}), WebPort: closed}.Gather(ctx(t), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}})
	require.NoError(t, err)
	require.InDelta(t, 58.94, *d.PowerWatts, 1e-9)
	require.Len(t, d.Boards, 3)
	require.InDelta(t, 47.5, *d.Boards[2].Temperature, 1e-9)
	require.Len(t, d.Fans, 4)
	require.Equal(t, []string{strings.Join(RPCCommands, "+")}, m.Commands())
	for _, p := range d.Problems {
		require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(p), "only the closed REST port: %v", p)
	}
}

// A PSU fan speed that cannot be read is a problem, not a zero; the other
// fan still counts.
func TestPSUFanUnreadable(t *testing.T) {
	rpc, web := load(t, filepath.Join(capDir, "at1500_fluxos"))
	web["psu"] = []byte(strings.Replace(string(web["psu"]), `"4052.00 RPM"`, `"n/a"`, 1))
	d := Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Len(t, d.Problems, 1)
	require.ErrorIs(t, d.Problems[0], drivers.ErrBadResponse)
	require.Equal(t, int64(4144), *d.PSUFanRPM, "FanSpeed2")
}

// sumBoards is the boards' hashrate sum, whatever the miner's total says.
func sumBoards(d *drivers.MinerData) *float64 {
	c := *d
	c.Hashrate = nil
	return c.TotalHashrate()
}
