package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/plugins/inputs/asic"
)

func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

// rangeConf is a block over 127.20.20.1-4 with the miner's port as RPC and
// the other API ports closed.
func rangeConf(t *testing.T, rpc int) string {
	return writeConf(t, fmt.Sprintf(`
[[inputs.asic]]
  miners = ["127.20.20.1-4"]
  timeout = "3s"
  [inputs.asic.ports]
    rpc = %d
    web = %d
    grpc = %d
  [inputs.asic.tags]
    site = "north"
`, rpc, closedPort(t), closedPort(t)))
}

func once(t *testing.T, args ...string) ([]telegraf.Metric, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	rc := run(append(args, "--once"), strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 0, rc, stderr.String())
	return parse(t, stdout.Bytes()), stderr.String()
}

func pointsNamed(ms []telegraf.Metric, name string) []telegraf.Metric {
	var out []telegraf.Metric
	for _, m := range ms {
		if m.Name() == name {
			out = append(out, m)
		}
	}
	return out
}

// A miner found by one run and dead at the next is still reported by the
// next (up=false) when the inventory is kept in --statefile; without it,
// it would be gone.
func TestStatefileKeepsFoundMinerAcrossRestart(t *testing.T) {
	reps, err := fakeminer.LoadDir("../../testdata/antminer/S19Pro_49.0.1.3")
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
	require.NoError(t, m.Start("127.20.20.2:0"))
	conf := rangeConf(t, m.Port())
	state := filepath.Join(t.TempDir(), "asic.state")

	ms, _ := once(t, "--config", conf, "--statefile", state)
	st := pointsNamed(ms, "asic_status")
	require.Len(t, st, 1)
	require.Equal(t, "127.20.20.2", st[0].Tags()["source"])
	require.Equal(t, true, st[0].Fields()["up"])
	d := pointsNamed(ms, "asic_discovery")
	require.Len(t, d, 1)
	require.Equal(t, "127.20.20.1-4", d[0].Tags()["ranges"])
	require.Equal(t, "north", d[0].Tags()["site"], "the block's tags are on asic_discovery too")
	require.Equal(t, int64(4), d[0].Fields()["addresses"])
	require.Equal(t, int64(1), d[0].Fields()["new"])

	raw, err := os.ReadFile(state)
	require.NoError(t, err)
	var saved asic.State
	require.NoError(t, json.Unmarshal(raw, &saved))
	require.Len(t, saved.Miners, 1)
	require.Equal(t, "127.20.20.2", saved.Miners[0].Address)
	require.Equal(t, "antminer", saved.Miners[0].Driver)
	_, err = os.Stat(state + ".tmp")
	require.ErrorIs(t, err, os.ErrNotExist, "the temporary file was renamed")

	m.Close()
	ms, _ = once(t, "--config", conf, "--statefile", state)
	st = pointsNamed(ms, "asic_status")
	require.Len(t, st, 1, "restored from the state file")
	require.Equal(t, "127.20.20.2", st[0].Tags()["source"])
	require.Equal(t, false, st[0].Fields()["up"])
	require.Equal(t, "connection_refused", st[0].Tags()["result"])
	d = pointsNamed(ms, "asic_discovery")
	require.Equal(t, int64(0), d[0].Fields()["found"])
	require.Equal(t, int64(1), d[0].Fields()["lost"])

	// Without the state file the dead miner is simply not there.
	ms, _ = once(t, "--config", conf)
	require.Empty(t, pointsNamed(ms, "asic_status"))
}

// A corrupt or foreign state file is a warning naming it and a fresh
// start; a missing one is a silent fresh start; addresses in no block any
// more are dropped with a debug line.
func TestStatefileCorruptMissingForeign(t *testing.T) {
	conf := rangeConf(t, closedPort(t))
	dir := t.TempDir()
	for name, content := range map[string]string{
		"truncated": `{"version":1,"miners":[{"address":"127.20.20.2","last_an`,
		"garbage":   "\x00\x01not json",
		"version":   `{"version":7,"miners":[{"address":"127.20.20.2","last_answer":"2099-01-01T00:00:00Z"}]}`,
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		ms, stderr := once(t, "--config", conf, "--statefile", path)
		require.Contains(t, stderr, "W! asic-execd: state file "+path+":", name)
		require.Contains(t, stderr, "starting with an empty inventory", name)
		require.Empty(t, pointsNamed(ms, "asic_status"), "%s: nothing half-loaded", name)
	}

	missing := filepath.Join(dir, "missing")
	_, stderr := once(t, "--config", conf, "--statefile", missing)
	require.NotContains(t, stderr, "W!")

	foreign := filepath.Join(dir, "foreign")
	require.NoError(t, os.WriteFile(foreign, []byte(`{"version":1,"miners":[{"address":"127.20.21.9","last_answer":"2099-01-01T00:00:00Z"}]}`), 0o600))
	ms, stderr := once(t, "--config", conf, "--statefile", foreign, "--debug")
	require.Contains(t, stderr, "D! asic-execd: state file "+foreign+": 127.20.21.9 is in no [[inputs.asic]] block any more: dropped")
	require.Empty(t, pointsNamed(ms, "asic_status"))
}

// The file is replaced by rename: what a process killed mid-write leaves
// is a partial temporary file beside an intact state file, and the next
// run loads the state file.
func TestStatefileStaleTemporary(t *testing.T) {
	conf := rangeConf(t, closedPort(t))
	path := filepath.Join(t.TempDir(), "asic.state")
	require.NoError(t, os.WriteFile(path, []byte(`{"version":1,"miners":[{"address":"127.20.20.3","driver":"antminer","last_answer":"`+
		time.Now().UTC().Format(time.RFC3339)+`"}]}`), 0o600))
	require.NoError(t, os.WriteFile(path+".tmp", []byte(`{"version":1,"mi`), 0o600))
	ms, stderr := once(t, "--config", conf, "--statefile", path)
	require.NotContains(t, stderr, "W!")
	st := pointsNamed(ms, "asic_status")
	require.Len(t, st, 1)
	require.Equal(t, "127.20.20.3", st[0].Tags()["source"])
	require.Equal(t, false, st[0].Fields()["up"])
}

// As a service, the scan runs in the background: the first gather waits
// for it, its asic_discovery point is written, and the state file is
// written before the process exits.
func TestServiceScansInBackground(t *testing.T) {
	reps, err := fakeminer.LoadDir("../../testdata/antminer/S19Pro_49.0.1.3")
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: true, NUL: true}
	require.NoError(t, m.Start("127.20.20.4:0"))
	defer m.Close()
	conf := rangeConf(t, m.Port())
	state := filepath.Join(t.TempDir(), "asic.state")
	out := gatherOnLine(t, 20*time.Second, "--config", conf, "--statefile", state)
	ms := parse(t, []byte(out))
	require.Len(t, pointsNamed(ms, "asic_discovery"), 1)
	st := pointsNamed(ms, "asic_status")
	require.Len(t, st, 1, "the first gather waited for the first scan")
	require.Equal(t, "127.20.20.4", st[0].Tags()["source"])
	raw, err := os.ReadFile(state)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"address":"127.20.20.4"`)
}

// Whatever a state file holds, loading it never panics and leaves either
// a valid inventory of the block's own addresses or none.
func FuzzStateFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"miners":[{"address":"127.20.20.2","driver":"antminer","identified_at":"2026-12-01T00:00:00Z","last_answer":"2099-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"version":1,"miners":[{"address":"127.20.20.9","driver":"nonsense"},{"address":""}]}`))
	f.Add([]byte(`{"version":7}`))
	f.Add([]byte(`{"version":1,"miners":null}`))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		blocks, err := parseConfig("[[inputs.asic]]\n  miners = [\"127.20.20.1-4\", \"127.20.21.5\"]\n")
		require.NoError(t, err)
		require.NoError(t, blocks[0].plugin.Init())
		s := newStateFile("fuzz.state", blocks, io.Discard, true)
		_ = s.restore(raw)
		for _, m := range blocks[0].plugin.State().Miners {
			require.Contains(t, []string{"127.20.20.1", "127.20.20.2", "127.20.20.3", "127.20.20.4", "127.20.21.5"}, m.Address)
		}
	})
}
