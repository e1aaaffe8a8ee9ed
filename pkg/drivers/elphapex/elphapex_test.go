package elphapex

import (
	"context"
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

const captures = "../../../testdata/elphapex"

type boardWant struct {
	ths, expTHs, pcbC, chipC float64
	sn                       string
}

type want struct {
	model, fw, api, mac, host, serial string
	ths, expTHs, boardSumTHs          float64
	uptime                            int64
	boards                            []boardWant
	fans                              []int64
	pools                             int
}

func TestParseCaptures(t *testing.T) {
	cases := map[string]want{
		"DG1Plus_1.0.2": {
			model: "DG1+", fw: "1.0.2", api: "1.0.0", mac: "12:34:56:78:90:12", host: "DG1+",
			serial: "28HY245192N000245C23B", // INFO.dev_sn
			ths:    0.01492094,              // summary rate_5s 14920.94 MH/s / 1e6
			expTHs: 0.014229,                // rate_ideal 14229 MH/s
			// 3553.5 + 3550.11 + 3551.8 + 3543.63 = 14199.04 MH/s = 0.01419904 TH/s
			boardSumTHs: 0.01419904,
			uptime:      357357, // summary elapsed, s
			boards: []boardWant{
				// temp_pcb [47,46,67,66] -> 67 °C; temp_chip ["47125","50500","",""] -> 50.5 °C
				{ths: 0.0035535, expTHs: 0.00355725, pcbC: 67, chipC: 50.5, sn: "13HY245156N000581H11JB52"},
				{ths: 0.00355011, expTHs: 0.00355725, pcbC: 67, chipC: 56.937, sn: "13HY245156N000579H11JB52"},
				{ths: 0.0035518, expTHs: 0.00355725, pcbC: 67, chipC: 51.687, sn: "13HY245156N000810H11JB52"},
				{ths: 0.00354363, expTHs: 0.00355725, pcbC: 67, chipC: 49.062, sn: "13HY245156N000587H11JB52"},
			},
			fans:  []int64{5340, 5400, 5400, 5400}, // fan ["5340","5400","5400","5400"] RPM
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
			d := Parse(httpapi.RepliesFromRaw(httpapitest.LoadWebDir(t, filepath.Join(captures, e.Name()))))
			check(t, d, w)
		})
	}
}

func check(t *testing.T, d *drivers.MinerData, w want) {
	t.Helper()
	require.Empty(t, d.Problems)
	require.Equal(t, "Elphapex", d.Make)
	require.Equal(t, "stock", d.Firmware)
	require.Equal(t, "scrypt", d.Algorithm)
	require.Equal(t, w.model, d.Model)
	require.Equal(t, w.fw, d.FirmwareVersion, `"DG1+_SW_V1.0.2"`)
	require.Equal(t, w.api, d.APIVersion)
	require.Equal(t, w.mac, d.MAC)
	require.Equal(t, w.host, d.Hostname)
	require.Equal(t, w.serial, d.SerialNumber)
	require.InDelta(t, w.ths, *d.Hashrate, 1e-12, "hashrate TH/s")
	require.InDelta(t, w.expTHs, *d.ExpectedHashrate, 1e-12, "expected TH/s")
	require.Equal(t, w.uptime, *d.UptimeSeconds, "uptime s")
	require.Len(t, d.Boards, len(w.boards))
	var sum float64
	for i, wb := range w.boards {
		b := d.Boards[i]
		require.Equal(t, i, b.Index, "chain index")
		require.InDelta(t, wb.ths, *b.Hashrate, 1e-12, "board %d TH/s", i)
		require.InDelta(t, wb.expTHs, *b.ExpectedHashrate, 1e-12, "board %d expected TH/s", i)
		require.InDelta(t, wb.pcbC, *b.Temperature, 1e-9, "board %d PCB °C", i)
		require.InDelta(t, wb.chipC, *b.ChipTemperature, 1e-9, "board %d chip °C", i)
		require.Equal(t, int64(204), *b.Chips, "board %d chips", i)
		require.Equal(t, wb.sn, b.SerialNumber)
		require.Nil(t, b.FrequencyMHz, "freq_avg unit unknown")
		sum += *b.Hashrate
	}
	require.InDelta(t, w.boardSumTHs, sum, 1e-12, "board sum TH/s")
	require.Len(t, d.Fans, len(w.fans))
	for i, rpm := range w.fans {
		require.Equal(t, i, d.Fans[i].Index)
		require.Equal(t, rpm, *d.Fans[i].RPM, "fan %d RPM", i)
	}
	require.Len(t, d.Pools, w.pools)
	require.NotNil(t, d.Errors, "status list present")
	require.Empty(t, d.Errors, `every status "s"`)
	require.False(t, *d.FaultLight, "blink false")
	require.True(t, *d.IsMining, "fc-work-mode 0")
}

func TestBrokenSectionKeepsTheRest(t *testing.T) {
	raw := httpapitest.LoadWebDir(t, filepath.Join(captures, "DG1Plus_1.0.2"))
	raw["stats"] = []byte(`{"STATUS":{"STATUS":"S"},"STATS":[{"chain":[{"rate_real":"fast"}`)
	d := Parse(httpapi.RepliesFromRaw(raw))
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), "stats.cgi")
	require.Empty(t, d.Boards)
	require.InDelta(t, 0.01492094, *d.Hashrate, 1e-12, "summary kept")
	require.Len(t, d.Pools, 3)
	require.Equal(t, "12:34:56:78:90:12", d.MAC)
}

func TestGatherDigest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pages := httpapitest.LoadWebDir(t, filepath.Join(captures, "DG1Plus_1.0.2"))
	drv, err := drivers.New(Name)
	require.NoError(t, err)

	web := httpapitest.Start(t, pages, "root", "root")
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: web.Port()}}
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err, "default root/root")
	require.InDelta(t, 0.01419904, sumBoards(d), 1e-12, "board sum 14199.04 MH/s in TH/s")
	require.Equal(t, int32(1), web.Conns.Load(), "one connection")
	require.Len(t, web.Paths(), len(Pages))

	// Wrong and missing credentials: auth_failed, no secret in the error.
	web2 := httpapitest.Start(t, pages, "root", "Elph-Secret")
	target.Ports.Web = web2.Port()
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "missing: the default is refused: %v", err)
	target.Password = "bad-Guess"
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.NotContains(t, err.Error(), "bad-Guess")
	require.LessOrEqual(t, web2.Unauth.Load(), int32(4), "two gathers, at most two 401s each")
	target.Password = "Elph-Secret"
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, "DG1+", d.Model)

	web.Close()
	target.Ports.Web = web.Port()
	_, err = drv.Gather(ctx, target)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

func sumBoards(d *drivers.MinerData) float64 {
	var s float64
	for _, b := range d.Boards {
		s += *b.Hashrate
	}
	return s
}

func FuzzParseElphapex(f *testing.F) {
	base := httpapitest.LoadWebDir(f, filepath.Join(captures, "DG1Plus_1.0.2"))
	for name, b := range base {
		f.Add(uint8(slices.Index(Pages, name)), b)
	}
	f.Fuzz(func(t *testing.T, page uint8, data []byte) {
		raw := make(map[string][]byte, len(base))
		for k, v := range base {
			raw[k] = v
		}
		raw[Pages[int(page)%len(Pages)]] = data
		if Parse(httpapi.RepliesFromRaw(raw)) == nil {
			t.Fatal("nil")
		}
	})
}
