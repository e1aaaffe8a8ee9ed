package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
)

func serve(t *testing.T, dir string, multi bool) *fakeminer.Miner {
	t.Helper()
	reps, err := fakeminer.LoadDir(dir)
	require.NoError(t, err)
	m := &fakeminer.Miner{Replies: reps, Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "asic.conf")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func parse(t *testing.T, out []byte) []telegraf.Metric {
	t.Helper()
	p := &influx.Parser{}
	require.NoError(t, p.Init())
	ms, err := p.Parse(out)
	require.NoError(t, err)
	return ms
}

// Two blocks, each with its own driver choice and tags, against real
// captures: an Antminer S19 Pro (asic-rs) and a Whatsminer M31S reporting
// error codes (foreman-apps).
func TestOnceAllSixMeasurements(t *testing.T) {
	ant := serve(t, "../../testdata/antminer/S19Pro_49.0.1.3", true)
	wm := serve(t, "../../testdata/whatsminer/M31S_20201202.22.REL", false)
	conf := writeConf(t, `
[[inputs.asic]]
  miners = ["`+ant.Addr()+`"]
  timeout = "3s"
  [inputs.asic.tags]
    site = "north"

[[inputs.asic]]
  miners = ["`+wm.Addr()+`"]
  driver = "whatsminer"
  timeout = "3s"
  [inputs.asic.tags]
    site = "south"
    rack = "r7"
`)
	var stdout, stderr bytes.Buffer
	rc := run([]string{"--config", conf, "--once"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 0, rc, stderr.String())

	metrics := parse(t, stdout.Bytes())
	seen := map[string]int{}
	for _, m := range metrics {
		seen[m.Name()]++
		switch m.Tags()["source"] {
		case ant.Addr():
			require.Equal(t, "north", m.Tags()["site"], m.Name())
		case wm.Addr():
			require.Equal(t, "south", m.Tags()["site"], m.Name())
			require.Equal(t, "r7", m.Tags()["rack"], m.Name())
		default:
			t.Fatalf("metric from unknown source: %v", m)
		}
	}
	for _, name := range []string{"asic", "asic_hashboard", "asic_fan", "asic_pool", "asic_error", "asic_status"} {
		require.Positive(t, seen[name], "measurement %s missing from:\n%s", name, stdout.String())
	}
	require.Equal(t, 2, seen["asic_status"])

	for _, m := range metrics {
		if m.Name() == "asic" && m.Tags()["source"] == ant.Addr() {
			require.Equal(t, "Antminer", m.Tags()["make"])
			require.Equal(t, "S19 Pro", m.Tags()["model"])
			hr, ok := m.GetField("hashrate_ths")
			require.True(t, ok)
			require.InDelta(t, 110.567, hr, 0.01) // TH/s
		}
		if m.Name() == "asic_status" {
			require.Equal(t, "success", m.Tags()["result"])
			up, _ := m.GetField("up")
			require.Equal(t, true, up)
		}
	}
}

func TestConfigErrorsExitNonZero(t *testing.T) {
	tests := []struct {
		name, conf, want string
	}{
		{"unknown key", "[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  severs = [\"x\"]\n", `"inputs.asic.severs"`},
		{"bad value", "[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  timeout = \"-2s\"\n", `"timeout"`},
		{"other plugin", "[[inputs.cpu]]\n", "inputs.cpu"},
		{"no block", "", "no [[inputs.asic]] block"},
		{"bad toml", "[[inputs.asic]\n", "config"},
		{"forget_after", "[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  forget_after = \"0s\"\n", `"forget_after": must be positive`},
		{"discover_interval", "[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  discover_interval = \"-1m\"\n", `"discover_interval": must be positive`},
		{"shard_index", "[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  shard_count = 3\n  shard_index = 3\n", `"shard_index": must be 0 to 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			rc := run([]string{"--config", writeConf(t, tt.conf), "--once"}, strings.NewReader(""), &stdout, &stderr)
			require.NotEqual(t, 0, rc)
			require.Contains(t, stderr.String(), tt.want)
			require.Empty(t, stdout.String())
		})
	}
}

func TestEnvExpansionKeepsQuotes(t *testing.T) {
	t.Setenv("ASIC_TEST_PW", `pa"ss\word`)
	blocks, err := parseConfig(mustExpand(t, "[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  password = \"${ASIC_TEST_PW}\"\n"))
	require.NoError(t, err)
	buf, err := blocks[0].plugin.Password.Get()
	require.NoError(t, err)
	defer buf.Destroy()
	require.Equal(t, `pa"ss\word`, buf.String())
}

// With --poll_interval_disabled a gather runs per stdin line; EOF stops it.
func TestGatherOnStdinLine(t *testing.T) {
	ant := serve(t, "../../testdata/antminer/S19Pro_49.0.1.3", true)
	conf := writeConf(t, "[[inputs.asic]]\n  miners = [\""+ant.Addr()+"\"]\n  timeout = \"3s\"\n")
	out := gatherOnLine(t, 10*time.Second, "--config", conf)
	require.Equal(t, 1, strings.Count(out, "asic_status,"), "one gather for one line")
}

// gatherOnLine runs asic-execd as Telegraf's execd does with signal =
// "STDIN": one line on stdin, then EOF. It waits (at most wait) for the
// gather's asic_status, checks that asic-execd then stops with 0, and
// returns what it wrote to stdout.
func gatherOnLine(t *testing.T, wait time.Duration, args ...string) string {
	t.Helper()
	pr, pw := io.Pipe()
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(append(args, "--poll_interval_disabled"), pr, &syncBuf{b: &stdout}, &syncBuf{b: &stderr})
	}()
	_, err := pw.Write([]byte("\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(stdoutString(&stdout), "asic_status") }, wait, 20*time.Millisecond)
	require.NoError(t, pw.Close())
	select {
	case rc := <-done:
		require.Equal(t, 0, rc, "stderr: %s", stdoutString(&stderr))
	case <-time.After(wait):
		t.Fatal("asic-execd did not stop on stdin EOF")
	}
	return stdoutString(&stdout)
}

// The shipped top-level sample.conf loads and every block passes Init.
func TestShippedSampleConf(t *testing.T) {
	t.Setenv("LUXOS_PASSWORD", "sentinel-not-logged")
	blocks, err := loadConfig("../../sample.conf")
	require.NoError(t, err)
	require.Len(t, blocks, 2)
	for _, b := range blocks {
		require.NoError(t, b.plugin.Init())
	}
	require.Equal(t, "luxos", blocks[1].tags["group"])
	require.Equal(t, "luxos", blocks[1].plugin.Driver)
}

// --discover scans a range, identifies what answers and prints a table.
func TestDiscoverTable(t *testing.T) {
	ant := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, "../../testdata/antminer/S19Pro_49.0.1.3"), Multi: true}
	require.NoError(t, ant.Start("127.95.0.9:24728"))
	defer ant.Close()
	lux := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, "../../testdata/luxos/S19kPro_2025.4.8.220305"), Multi: true}
	require.NoError(t, lux.Start("127.95.0.20:24728"))
	defer lux.Close()
	conf := writeConf(t, `
[[inputs.asic]]
  miners = ["127.95.0.0/27"]
  timeout = "3s"
  [inputs.asic.ports]
    rpc = 24728
    web = 24780
    grpc = 24751
`)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"--config", conf, "--discover"}, strings.NewReader(""), &stdout, &stderr), stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 3, stdout.String())
	require.Regexp(t, `^ADDRESS\s+MAKE\s+MODEL\s+FIRMWARE\s+DRIVER\s+IDENTIFY`, lines[0])
	require.Regexp(t, `^127\.95\.0\.9\s+Antminer\s+S19 Pro\s+stock\s+antminer\s+\d`, lines[1])
	require.Regexp(t, `^127\.95\.0\.20\s+Antminer\s+S19k Pro\s+luxos\s+luxos\s+\d`, lines[2])
	require.Contains(t, stderr.String(), "2 miners identified")
	require.Contains(t, stderr.String(), "I! asic-execd: [[inputs.asic]] #1: 30 of 30 addresses probed, 2 found")
}

// Telegraf's TLS keys are config keys of the block, not unknown ones.
func TestTLSKeysAccepted(t *testing.T) {
	blocks, err := parseConfig("[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  tls_ca = \"/nonexistent/ca.pem\"\n  insecure_skip_verify = true\n")
	require.NoError(t, err)
	require.True(t, blocks[0].plugin.InsecureSkipVerify)
	require.Equal(t, "/nonexistent/ca.pem", blocks[0].plugin.TLSCA)
	err = blocks[0].plugin.Init()
	require.ErrorContains(t, err, "tls") // the CA file does not exist: a clear config error
}

// The config file is user text: parsing it never panics, and an accepted
// file has at least one block.
func FuzzParseConfig(f *testing.F) {
	f.Add("[[inputs.asic]]\n  miners = [\"127.0.0.1\"]\n  [inputs.asic.tags]\n    site = \"a\"\n")
	f.Add("[[inputs.asic]]\n  severs = 1\n")
	f.Add("[[inputs.cpu]]\n")
	f.Fuzz(func(t *testing.T, text string) {
		blocks, err := parseConfig(text)
		if err == nil && len(blocks) == 0 {
			t.Fatalf("accepted %q with no block", text)
		}
	})
}
