package hammer

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
)

const captures = "../../../testdata/hammer"

// rpcReplies maps rpc_<cmd>.json files to their command.
func rpcReplies(t testing.TB, dir string) map[string][]byte {
	out := map[string][]byte{}
	for name, b := range fakeminer.MustLoadDir(t, dir) {
		if c, ok := strings.CutPrefix(name, "rpc_"); ok {
			out[c] = b
		}
	}
	return out
}

func parseDir(t testing.TB, dir string) *drivers.MinerData {
	return Parse(cgminer.BatchFromRaw("test", rpcReplies(t, dir)), httpapi.RepliesFromRaw(httpapitest.LoadWebDir(t, dir)))
}

type want struct {
	model, fw, api, mac, host string
	ths                       float64 // TH/s
	uptime                    int64
	boardTHs, boardC          []float64
	chips                     int64
	fans                      []int64
	pools                     int
}

var cases = map[string]want{
	"D10_2023-05-28": {
		model: "D10", fw: "2023-05-28 17-20-35 CST", api: "3.1", mac: "12:34:56:78:90:12", host: "Hammer",
		ths:    0.0048850813, // summary "MHS 5s" 4885.0813 MH/s / 1e6
		uptime: 119134,       // summary Elapsed, s
		// chain_rate1..3 "1578.2742" "1594.3646" "1513.8498" MH/s (sum 4686.4886 MH/s)
		boardTHs: []float64{0.0015782742, 0.0015943646, 0.0015138498},
		boardC:   []float64{45, 42, 40}, // temp1..3 (the last of each repeated key)
		chips:    108,
		fans:     []int64{4650, 4500, 3870, 3930}, // fan_num 4, fan1..4 RPM
		pools:    3,
	},
}

func TestParseCaptures(t *testing.T) {
	dirs, err := os.ReadDir(captures)
	require.NoError(t, err)
	for _, e := range dirs {
		if !e.IsDir() {
			continue
		}
		w, ok := cases[e.Name()]
		require.True(t, ok, "capture folder %s has no test case", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			d := parseDir(t, filepath.Join(captures, e.Name()))
			require.Empty(t, d.Problems)
			check(t, d, w)
			require.Nil(t, d.FaultLight, `{"code":"B000"} is not a blink state`)
		})
	}
}

func check(t *testing.T, d *drivers.MinerData, w want) {
	t.Helper()
	require.Equal(t, "Hammer", d.Make)
	require.Equal(t, "stock", d.Firmware)
	require.Equal(t, "scrypt", d.Algorithm, "D10 is scrypt, not X11")
	require.Equal(t, w.model, d.Model)
	require.Equal(t, w.fw, d.FirmwareVersion)
	require.Equal(t, w.api, d.APIVersion)
	require.Equal(t, w.mac, d.MAC)
	require.Equal(t, w.host, d.Hostname)
	require.InDelta(t, w.ths, *d.Hashrate, 1e-12, "TH/s")
	require.Nil(t, d.ExpectedHashrate, "no total_rateideal")
	require.Equal(t, w.uptime, *d.UptimeSeconds)
	require.Len(t, d.Boards, len(w.boardTHs), "chain 4 is padding")
	var sum float64
	for i := range w.boardTHs {
		b := d.Boards[i]
		require.Equal(t, i, b.Index)
		require.InDelta(t, w.boardTHs[i], *b.Hashrate, 1e-12, "board %d TH/s", i)
		require.Equal(t, w.boardC[i], *b.Temperature, "board %d °C", i)
		require.Equal(t, w.chips, *b.Chips, "board %d chips", i)
		sum += *b.Hashrate
	}
	require.InDelta(t, 0.0046864886, sum, 1e-12, "board sum 4686.4886 MH/s")
	require.Len(t, d.Fans, len(w.fans))
	for i, rpm := range w.fans {
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
	}
	require.Len(t, d.Pools, w.pools)
	require.NotNil(t, d.Errors)
	require.Empty(t, d.Errors, `web summary status all "s"`)
	require.True(t, *d.IsMining)
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	dir := filepath.Join(captures, "D10_2023-05-28")
	rpc := rpcReplies(t, dir)
	rpc["stats"] = []byte(`{"STATUS":[{"STATUS":"S"}],"STATS":[{"Type":"Hammer D10"},{"chain_rate1":{}`)
	web := httpapitest.LoadWebDir(t, dir)
	web["get_system_info"] = []byte("<html>login</html>")
	d := Parse(cgminer.BatchFromRaw("test", rpc), httpapi.RepliesFromRaw(web))
	require.Len(t, d.Problems, 2, "%v", d.Problems)
	require.Empty(t, d.Boards)
	require.Empty(t, d.MAC)
	require.InDelta(t, 0.0048850813, *d.Hashrate, 1e-12, "summary kept")
	require.Len(t, d.Pools, 3)
	require.NotNil(t, d.Errors, "web summary kept")
}

func TestRPCTargetPort(t *testing.T) {
	require.Equal(t, "10.0.0.9:8359", RPCTarget(drivers.Target{Host: "10.0.0.9"}).RPCAddr())
	require.Equal(t, "10.0.0.9:4029", RPCTarget(drivers.Target{Host: "10.0.0.9", Ports: drivers.Ports{RPC: 4029}}).RPCAddr())
}

func TestGatherEndToEnd(t *testing.T) {
	dir := filepath.Join(captures, "D10_2023-05-28")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	for _, multi := range []bool{true, false} {
		m := &fakeminer.Miner{Replies: rpcReplies(t, dir), Multi: multi, NUL: true}
		require.NoError(t, m.Start("127.0.0.1:0"))
		t.Cleanup(m.Close)
		web := httpapitest.Start(t, httpapitest.LoadWebDir(t, dir), "root", "root")
		target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: web.Port()}}
		d, err := drv.Gather(ctx, target)
		require.NoError(t, err)
		require.Empty(t, d.Problems, "get_miner_conf is 404 here: skipped")
		check(t, d, cases["D10_2023-05-28"])
		if multi {
			require.Equal(t, []string{"version+summary+stats+pools"}, m.Commands())
		} else {
			require.Len(t, m.Commands(), 5, "joined form rejected, then one per connection")
		}
	}

	// Wrong web password: RPC data kept, one auth problem without the secret.
	m := &fakeminer.Miner{Replies: rpcReplies(t, dir), Multi: true, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	web := httpapitest.Start(t, httpapitest.LoadWebDir(t, dir), "root", "hammer-Pw")
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: web.Port()}, Password: "nope-Pw"}
	d, err := Driver{}.Gather(ctx, target)
	require.NoError(t, err)
	require.Len(t, d.Problems, 1)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(d.Problems[0]))
	require.NotContains(t, d.Problems[0].Error(), "nope-Pw")
	require.Equal(t, "D10", d.Model)
	// Missing credentials (default root/root) against this miner: the same.
	target.Password = ""
	d, err = Driver{}.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(d.Problems[0]))
	target.Password = "hammer-Pw"
	d, err = Driver{}.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	require.Equal(t, "12:34:56:78:90:12", d.MAC)

	// Both down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err = Driver{}.Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port, Web: port}})
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

func FuzzParseHammer(f *testing.F) {
	dir := filepath.Join(captures, "D10_2023-05-28")
	rpc := rpcReplies(f, dir)
	web := httpapitest.LoadWebDir(f, dir)
	names := append(slices.Clone(antminer.Commands), Pages...)
	for name, b := range rpc {
		f.Add(uint8(slices.Index(names, name)), b)
	}
	for name, b := range web {
		f.Add(uint8(len(antminer.Commands)+slices.Index(Pages, name)), b)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		i := int(which) % len(names)
		r := map[string][]byte{}
		for k, v := range rpc {
			r[k] = v
		}
		w := map[string][]byte{}
		for k, v := range web {
			w[k] = v
		}
		if i < len(antminer.Commands) {
			r[names[i]] = data
		} else {
			w[names[i]] = data
		}
		if Parse(cgminer.BatchFromRaw("fuzz", r), httpapi.RepliesFromRaw(w)) == nil {
			t.Fatal("nil")
		}
	})
}

// A web UI that refuses while ccminer answers is dialled once, then not
// for drivers.PortOffTTL; Forget or a failed RPC starts over.
func TestRefusedWebPortRemembered(t *testing.T) {
	dir := filepath.Join(captures, "D10_2023-05-28")
	m := &fakeminer.Miner{Replies: rpcReplies(t, dir), Multi: true, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	defer m.Close()
	var mu sync.Mutex
	dials := 0
	tr := httpapi.NewTransport(httpapi.Options{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dials++
		mu.Unlock()
		return drivers.Dial(ctx, network, addr)
	}})
	drv := Driver{Web: tr, WebOff: &drivers.PortOff{}}
	// Port 1 is not served here: the web UI refuses.
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: 1}}
	dialed := func() int { mu.Lock(); defer mu.Unlock(); return dials }
	gather := func() (*drivers.MinerData, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return drv.Gather(ctx, target)
	}
	first, err := gather()
	require.NoError(t, err)
	require.Equal(t, 1, dialed())
	require.InDelta(t, 0.0048850813, *first.Hashrate, 1e-12, "TH/s from summary MHS 5s")
	for range 3 {
		again, err := gather()
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	require.Equal(t, 1, dialed(), "not dialled again")
	drv.Forget(target.Host)
	_, err = gather()
	require.NoError(t, err)
	require.Equal(t, 2, dialed(), "dialled again after Forget")
	m.Close()
	_, err = gather()
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
	require.Contains(t, err.Error(), "not asked")
	_, err = gather()
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
	require.Equal(t, 3, dialed(), "both asked once the RPC failed")
}
