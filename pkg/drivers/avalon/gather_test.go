package avalon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

func startFake(t *testing.T, m *fakeminer.Miner) drivers.Target {
	t.Helper()
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port()}}
}

func gather(t *testing.T, target drivers.Target) (*drivers.MinerData, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	drv, err := drivers.New(Name)
	require.NoError(t, err, "registered in init")
	return drv.Gather(ctx, target)
}

// Firmware with "+": everything in one connection.
func TestGatherMulti(t *testing.T) {
	reps, err := fakeminer.LoadDir(filepath.Join(captures, "1566_fw24102401"))
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
	d, err := gather(t, startFake(t, m))
	require.NoError(t, err)
	require.Equal(t, []string{"version+summary+devs+pools+estats"}, m.Commands())
	require.Equal(t, "15-194", d.Model)
	require.Equal(t, "12:34:56:78:90:12", d.MAC)
	f64(t, 197.26694416, d.Hashrate, "devs MHS 1m TH/s")
	require.Len(t, d.Boards, 3)
	f64(t, 59.45952, d.Boards[0].Hashrate, "board 0 MGHS TH/s")
	i64(t, 160, d.Boards[2].Chips, "board 2 chips")
	require.Len(t, d.Pools, 3)
	require.Equal(t, []int64{4275, 4282}, fanRPMs(d))
	// summary was not captured: the fake answers "Invalid command".
	problemsMention(t, d, "summary")
	require.Equal(t, drivers.ResultSuccess, drivers.Result(err))
}

// Firmware that rejects "+" and has no estats: one command per
// connection, then stats; a missing estats is not a problem.
func TestGatherSingleNoEstats(t *testing.T) {
	reps, err := fakeminer.LoadDir(filepath.Join(captures, "AvalonNano3_24071801_42c628d"))
	require.NoError(t, err)
	_, hasEstats := reps["estats"]
	require.False(t, hasEstats)
	m := &fakeminer.Miner{Replies: reps, Multi: false, NUL: true}
	d, err := gather(t, startFake(t, m))
	require.NoError(t, err)
	require.Equal(t, []string{"version+summary+devs+pools+estats", "version", "summary", "devs", "pools", "estats", "stats"}, m.Commands())
	require.Empty(t, d.Problems)
	require.Equal(t, "Nano 3", d.Model)
	f64(t, 3.69849575, d.Hashrate, "devs MHS 1m TH/s")
	require.Len(t, d.Boards, 1)
	f64(t, 3.00177, d.Boards[0].Hashrate, "GHSspd TH/s")
	i64(t, 10, d.Boards[0].Chips, "chips")
	i64(t, 112603, d.UptimeSeconds, "uptime s")
	require.Len(t, d.Pools, 3)
}

// Firmware that answers stats and refuses every other command (devs
// included) is read from stats, not given up on.
func TestGatherStatsOnly(t *testing.T) {
	for _, c := range []struct {
		folder string
		ths    float64
		boards int
	}{
		{"A1246_21072802_4ec6bb0", 81.07268, 3},              // GHSspd[81072.68]
		{"Avalon1047_19120401_d46bc64_0367a8b", 37.23534, 2}, // GHSavg[37235.34]
	} {
		t.Run(c.folder, func(t *testing.T) {
			reps, err := fakeminer.LoadDir(filepath.Join(captures, c.folder))
			require.NoError(t, err)
			for _, multi := range []bool{true, false} {
				m := &fakeminer.Miner{Replies: reps, Multi: multi, NUL: true}
				d, err := gather(t, startFake(t, m))
				require.NoError(t, err)
				require.Equal(t, drivers.ResultSuccess, drivers.Result(err))
				require.Equal(t, "stats", m.Commands()[len(m.Commands())-1])
				f64(t, c.ths, d.Hashrate, "hashrate TH/s")
				require.Len(t, d.Boards, c.boards)
				problemsMention(t, d, "version", "summary", "devs", "pools")
			}
		})
	}
}

// The edited foreman capture (bare nan, stray trailing quote) answering
// the joined request with only summary, stats and pools in it.
func TestGatherNaNCaptureNegative(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(captures, "Avalon1047_20051101_85dc6f0_0332654", "multi_summary_stats_pools_nan.raw"))
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: map[string][]byte{"version+summary+devs+pools+estats": raw}, Multi: true, NUL: true}
	d, err := gather(t, startFake(t, m))
	require.NoError(t, err)
	f64(t, 0, d.Hashrate, `summary "MHS 1m":0 (the nan "MHS av" is absent)`)
	i64(t, 155, d.UptimeSeconds, "summary Elapsed s")
	require.Len(t, d.Pools, 3)
	require.Empty(t, d.Boards, "the joined reply has no estats and stats is refused")
	problemsMention(t, d, "version", "devs", "estats")
}

func TestGatherDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	d, err := gather(t, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port}})
	require.Nil(t, d)
	require.Error(t, err)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))

	m := &fakeminer.Miner{Mode: fakeminer.Garbage}
	d, err = gather(t, startFake(t, m))
	require.Nil(t, d)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
}

// One broken reply (pools cut short) and one broken blob field (MGHS) lose
// only themselves.
func TestBrokenSectionKeepsTheRest(t *testing.T) {
	raw := loadFolder(t, filepath.Join(captures, "1566_fw24102401"))
	raw["pools"] = raw["pools"][:len(raw["pools"])/2]
	raw["estats"] = []byte(strings.Replace(string(raw["estats"]), "MGHS[59459.52 ", "MGHS[fifty ", 1))
	d := Parse(cgminer.BatchFromRaw("test", raw))
	require.Empty(t, d.Pools)
	require.Len(t, d.Boards, 3)
	for _, b := range d.Boards {
		require.Nil(t, b.Hashrate, "MGHS dropped")
	}
	f64(t, 77, d.Boards[0].ChipTemperature, "MTmax still read °C")
	f64(t, 197.26694416, d.Hashrate, "devs still read TH/s")
	require.Equal(t, "15-194", d.Model)
	var msgs []string
	for _, e := range d.Problems {
		msgs = append(msgs, e.Error())
	}
	joined := strings.Join(msgs, "\n")
	require.Contains(t, joined, `command "pools"`)
	require.Contains(t, joined, `command "estats": MM ID0: field "MGHS": bad response: cannot read "fifty 61407.83 63139.66"`)
	require.Contains(t, joined, `command "summary"`)
	require.Len(t, d.Problems, 3)
}

// Hand-made: a slot past SYSTEMSTATU's board count that reads all zero is
// padding; a zero slot within the count is a dead board and stays.
func TestPaddingAndDeadBoards(t *testing.T) {
	mk := func(boards int) *drivers.MinerData {
		blob := "Ver[1246-83-21072802_x_y] SYSTEMSTATU[Work: In Work, Hash Board: " + strconv.Itoa(boards) +
			" ] MGHS[26000 25000 0] MTmax[77 76 0] MTavg[66 65 0] ECHU[0 0 0]"
		stats := `{"STATUS":[{"STATUS":"S"}],"STATS":[{"STATS":0,"ID":"AVA100","Elapsed":10,"MM ID0":"` + blob + `"}]}`
		return Parse(cgminer.BatchFromRaw("test", map[string][]byte{"stats": []byte(stats)}))
	}
	require.Len(t, mk(2).Boards, 2, "third slot is padding")
	d := mk(3)
	require.Len(t, d.Boards, 3, "third board is dead, not padding")
	f64(t, 0, d.Boards[2].Hashrate, "dead board 0 TH/s")
	require.Nil(t, d.Boards[2].ChipTemperature, "MTmax 0 is no reading")
}

func TestParseBlob(t *testing.T) {
	kv := map[string]string{}
	parseBlob(`'STATS':{Ver[Q-1_a] Elapsed[103840]BOOTBY[1] MEMFREE[2601024 B] Nonce Mask[25] FACOPTS0[] SYSTEMSTATU[Work: In Idle, Hash Board: 1]} 'HB0':{PVT_T0[ 58  59]} Elapsed[9] Broken[no end`, kv)
	require.Equal(t, map[string]string{
		"Ver": "Q-1_a", "Elapsed": "103840", "BOOTBY": "1", "MEMFREE": "2601024 B", "Nonce Mask": "25",
		"FACOPTS0": "", "SYSTEMSTATU": "Work: In Idle, Hash Board: 1", "PVT_T0": " 58  59",
	}, kv, "first Elapsed wins; the unterminated value is dropped")

	l, ok := numList(" 66  65 49% 1.5")
	require.True(t, ok)
	require.Equal(t, []float64{66, 65, 49, 1.5}, l)
	_, ok = numList("1 x 2")
	require.False(t, ok)
	_, ok = numList("NaN")
	require.False(t, ok)
	_, ok = numList(strings.Repeat("1 ", maxListLen+1))
	require.False(t, ok, "bounded")
	require.Equal(t, 3, hashBoards("Work: In Work, Hash Board: 3 "))
	require.Equal(t, -1, hashBoards("Work: In Work"))
}

func TestVerFirmware(t *testing.T) {
	for ver, want := range map[string]string{
		"15-194-24102401_25462b2_9ddf522": "24102401_25462b2_9ddf522",
		"1047-19120401_d46bc64_0367a8b":   "19120401_d46bc64_0367a8b",
		"7411706-3162860":                 "7411706-3162860",
		"nano3-24071801_42c628d":          "24071801_42c628d",
	} {
		require.Equal(t, want, verFirmware(ver), ver)
	}
}

// A miner without estats costs two connections on its first gather (the
// joined request, then stats) and one on every later gather (stats joined),
// read the same; Forget starts over.
func TestNoEstatsRemembered(t *testing.T) {
	for _, folder := range []string{"AvalonNano3_24071801_42c628d", "AvalonQ_25052801_14a19a2",
		"Avalon7xx_7411706-3162860", "Avalon8xx_8411803-14b0f10", "Avalon9xx_9211809-b4b3d00",
		"A1246_21072802_4ec6bb0", "Avalon1047_19120401_d46bc64_0367a8b"} {
		t.Run(folder, func(t *testing.T) {
			reps := loadFolder(t, filepath.Join(captures, folder))
			m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
			target := startFake(t, m)
			drv := &Driver{}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			first, err := drv.Gather(ctx, target)
			require.NoError(t, err)
			require.Equal(t, []string{"version+summary+devs+pools+estats", "stats"}, m.Commands())
			require.NotEmpty(t, first.Boards)
			wantProblems := problemTexts(first)
			first.Problems = nil
			for range 3 {
				n := len(m.Commands())
				again, err := drv.Gather(ctx, target)
				require.NoError(t, err)
				require.Equal(t, []string{"version+summary+devs+pools+stats"}, m.Commands()[n:])
				require.Equal(t, wantProblems, problemTexts(again))
				again.Problems = nil
				require.Equal(t, first, again)
			}
			drv.Forget(target.Host)
			n := len(m.Commands())
			_, err = drv.Gather(ctx, target)
			require.NoError(t, err)
			require.Equal(t, []string{"version+summary+devs+pools+estats", "stats"}, m.Commands()[n:])
		})
	}
}

// Firmware with estats is never asked stats, gather after gather.
func TestEstatsNotRemembered(t *testing.T) {
	reps := loadFolder(t, filepath.Join(captures, "1566_fw24102401"))
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
	target := startFake(t, m)
	drv := &Driver{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 3 {
		_, err := drv.Gather(ctx, target)
		require.NoError(t, err)
	}
	require.Equal(t, []string{"version+summary+devs+pools+estats", "version+summary+devs+pools+estats",
		"version+summary+devs+pools+estats"}, m.Commands())
}

// A remembered miner whose joined stats goes missing (stats refused) is
// reported under stats and asked estats again on the next gather.
func TestRememberedStatsLost(t *testing.T) {
	reps := loadFolder(t, filepath.Join(captures, "AvalonNano3_24071801_42c628d"))
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
	target := startFake(t, m)
	drv := &Driver{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := drv.Gather(ctx, target)
	require.NoError(t, err)
	m.Close()
	reps2 := loadFolder(t, filepath.Join(captures, "AvalonNano3_24071801_42c628d"))
	delete(reps2, "stats")
	m2 := &fakeminer.Miner{Replies: reps2, Multi: true, NUL: true}
	require.NoError(t, m2.Start(target.RPCAddr()))
	t.Cleanup(m2.Close)
	d, err := drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Boards)
	problemsMention(t, d, "stats")
	require.Equal(t, []string{"version+summary+devs+pools+stats"}, m2.Commands())
	_, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, "version+summary+devs+pools+estats", m2.Commands()[1])
}

func problemTexts(d *drivers.MinerData) []string {
	var out []string
	for _, e := range d.Problems {
		out = append(out, e.Error())
	}
	return out
}
