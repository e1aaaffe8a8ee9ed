package sealminer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// a2 is the real SealMiner A2 capture (bdminer 4.11.1, firmware
// 2025091001); see testdata/sealminer/ORIGIN.md.
const a2 = "../../../testdata/sealminer/A2_2025091001"

// rpcReplies is the capture's 4028 replies (its web_*.json pages are not
// read by this driver).
func rpcReplies(t testing.TB) map[string][]byte {
	t.Helper()
	all := fakeminer.MustLoadDir(t, a2)
	out := map[string][]byte{}
	for _, cmd := range Commands {
		require.Contains(t, all, cmd)
		out[cmd] = all[cmd]
	}
	return out
}

func problems(d *drivers.MinerData) string {
	var b strings.Builder
	for _, p := range d.Problems {
		b.WriteString(p.Error() + "\n")
	}
	return b.String()
}

type boardWant struct {
	hashTHs, expTHs float64
	tempC, freqMHz  float64
	chips           int64
	serial          string
}

// checkA2 asserts every value of the A2 capture, read by hand from its
// replies; the network test holds the driver to the same numbers.
func checkA2(t *testing.T, d *drivers.MinerData) {
	t.Helper()
	require.Empty(t, d.Problems, problems(d))
	require.Equal(t, "SealMiner", d.Make)
	require.Equal(t, "A2", d.Model)                   // stats Model
	require.Equal(t, "stock", d.Firmware)             //
	require.Equal(t, "sha256", d.Algorithm)           //
	require.Equal(t, "2025091001", d.FirmwareVersion) // stats Firmware
	require.Equal(t, "3.7", d.APIVersion)             // version API
	require.Equal(t, "50:D4:48:4B:86:78", d.MAC)
	require.Equal(t, "S127200252001850", d.SerialNumber) // Ctrl Board SN

	// stats "MHS(1m)" 220315525.22617 MH/s, not summary "MHS 1m" 197599714.1.
	require.InDelta(t, 220.31552522617, *d.Hashrate, 1e-9)
	require.InDelta(t, 221.663472, *d.ExpectedHashrate, 1e-9) // stats MHS(Ideal)
	require.Equal(t, 3504.0, *d.PowerWatts)                   // PSU Input Power, W
	require.Equal(t, 3500.0, *d.PowerLimitWatts)              // Power Limit, W
	require.Equal(t, int64(4408), *d.PSUFanRPM)               // PSU Fan Speed, RPM
	require.Equal(t, 26.0, *d.EnvTemperature)                 // PSU Temp AMB, °C
	require.Equal(t, int64(2481), *d.UptimeSeconds)           // summary Elapsed, s
	require.Nil(t, d.CoolantInletTemperature)
	require.Nil(t, d.CoolantOutletTemperature)
	require.NotNil(t, d.Errors)
	require.Empty(t, d.Errors) // "Error Code" "", "PSU Error" 0x00000000

	want := []boardWant{
		{73.905832003432, 74.342544, 70, 349, 153, "S124600252004637"}, // Temp 55 52 70 69
		{73.626639194207, 73.927728, 70, 347, 153, "S124600252004521"}, // Temp 58 55 70 68
		{72.846394903347, 73.3932, 70, 344, 153, "S124600252004476"},   // Temp 56 51 70 65
	}
	// Slot 3 has only "3 Speed" and "3 PWM" (the fourth fan): no board.
	require.Len(t, d.Boards, 3)
	for i, w := range want {
		b := d.Boards[i]
		require.Equal(t, i, b.Index)
		require.InDelta(t, w.hashTHs, *b.Hashrate, 1e-9, "board %d", i)
		require.InDelta(t, w.expTHs, *b.ExpectedHashrate, 1e-9, "board %d", i)
		require.Equal(t, w.tempC, *b.Temperature, "board %d", i)
		require.Nil(t, b.ChipTemperature)
		require.Equal(t, w.freqMHz, *b.FrequencyMHz, "board %d", i)
		require.Equal(t, w.chips, *b.Chips, "board %d", i)
		require.True(t, *b.Active)
		require.Equal(t, w.serial, b.SerialNumber)
	}
	require.InDelta(t, 220.378866101, *sumBoards(d), 1e-6, "the boards agree with MHS(1m)")

	require.Len(t, d.Fans, 4)
	for i, rpm := range []int64{3723, 3723, 3753, 3723} {
		require.Equal(t, i, d.Fans[i].Index)
		require.Equal(t, rpm, *d.Fans[i].RPM)
		require.Nil(t, d.Fans[i].Percent) // PWM 112 has no known scale
	}

	require.Len(t, d.Pools, 1)
	p := d.Pools[0]
	require.Equal(t, 0, p.Index)
	require.Equal(t, poolmetrics.URL{Raw: "stratum+tcp://stratum.braiins.com:3333", Scheme: "stratum+tcp",
		Host: "stratum.braiins.com", Port: 3333, Parsed: true}, p.URL)
	require.Equal(t, "Dow_Mining.SealMinerA2", p.User)
	require.Equal(t, int64(322), *p.Accepted)
	require.Equal(t, int64(1), *p.Rejected)
	require.Equal(t, int64(0), *p.Stale)
	require.Equal(t, int64(0), *p.GetFailures)
	require.Equal(t, int64(0), *p.RemoteFailures)
	require.True(t, *p.Active)
	require.True(t, *p.Alive)
}

func sumBoards(d *drivers.MinerData) *float64 {
	var s float64
	for _, b := range d.Boards {
		s += *b.Hashrate
	}
	return &s
}

func TestParseA2(t *testing.T) {
	checkA2(t, Parse(cgminer.BatchFromRaw("test", rpcReplies(t))))
}

// Without stats, summary's "MHS 1m" is the hashrate and nothing of the
// boards is made up.
func TestParseA2WithoutStats(t *testing.T) {
	reps := rpcReplies(t)
	delete(reps, "stats")
	d := Parse(cgminer.BatchFromRaw("test", reps))
	require.Len(t, d.Problems, 1)
	require.ErrorIs(t, d.Problems[0], cgminer.ErrNotRequested)
	require.InDelta(t, 197.5997141, *d.Hashrate, 1e-9) // summary MHS 1m, MH/s
	require.Empty(t, d.Boards)
	require.Empty(t, d.Fans)
	require.Nil(t, d.PowerWatts)
	require.Nil(t, d.PSUFanRPM)
	require.Nil(t, d.Errors, "no error report without stats")
	require.Equal(t, "3.7", d.APIVersion)
	require.Len(t, d.Pools, 1)
}

// A PSU error register that is not clean, and a firmware error code, are
// reported; a value that cannot be read is a problem, not a zero.
func TestParseA2Faults(t *testing.T) {
	reps := rpcReplies(t)
	s := string(reps["stats"])
	s = strings.Replace(s, `"PSU Error": "0x00000000"`, `"PSU Error": "0x00000104"`, 1)
	s = strings.Replace(s, `"Error Code": ""`, `"Error Code": "E12"`, 1)
	s = strings.Replace(s, `"1 Temp 2": 70`, `"1 Temp 2": "hot"`, 1)
	reps["stats"] = []byte(s)
	d := Parse(cgminer.BatchFromRaw("test", reps))
	require.Equal(t, []drivers.MinerError{
		{Code: "E12", Message: "error E12"},
		{Code: "PSU 0x00000104", Message: "power supply error 0x00000104"},
	}, d.Errors)
	require.Len(t, d.Problems, 1)
	require.ErrorIs(t, d.Problems[0], drivers.ErrBadResponse)
	require.Contains(t, d.Problems[0].Error(), `"1 Temp 2"`)
	require.Equal(t, 68.0, *d.Boards[1].Temperature, "the other sensors of board 1 still count")
}

func startFake(t *testing.T, multi bool) (*fakeminer.Miner, drivers.Target) {
	t.Helper()
	m := &fakeminer.Miner{Replies: rpcReplies(t), Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}}
}

func gather(t *testing.T, tg drivers.Target) (*drivers.MinerData, error) {
	t.Helper()
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return drv.Gather(ctx, tg)
}

// End to end on loopback: one joined request where the firmware takes it,
// one command per connection where it does not; the same numbers.
func TestGatherA2(t *testing.T) {
	for _, multi := range []bool{true, false} {
		m, tg := startFake(t, multi)
		d, err := gather(t, tg)
		require.NoError(t, err)
		checkA2(t, d)
		if multi {
			require.Equal(t, []string{strings.Join(Commands, "+")}, m.Commands())
		} else {
			require.Contains(t, m.Commands(), "stats")
		}
	}
}

func TestGatherNothingAnswers(t *testing.T) {
	m, tg := startFake(t, true)
	m.Close()
	_, err := gather(t, tg)
	require.Error(t, err)
	require.True(t, errors.Is(err, drivers.ErrRefused) || errors.Is(err, drivers.ErrTimeout), "%v", err)
}
