package main

import (
	"bytes"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"
)

// refusedPort is bound but not listening: a connect is refused and no
// listener started later can be given it.
func refusedPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	return sa.(*syscall.SockaddrInet4).Port
}

// The table is built from the metrics the influx output gets: two real
// captures (an Antminer S19 Pro from asic-rs, a Whatsminer M31S from
// foreman-apps) and a miner whose ports refuse.
func TestOnceTable(t *testing.T) {
	ant := serve(t, "../../testdata/antminer/S19Pro_49.0.1.3", true)
	wm := serve(t, "../../testdata/whatsminer/M31S_20201202.22.REL", false)
	dead := refusedPort(t)
	conf := writeConf(t, `
[[inputs.asic]]
  miners = ["`+ant.Addr()+`"]
  timeout = "3s"
[[inputs.asic]]
  miners = ["`+wm.Addr()+`"]
  driver = "whatsminer"
  timeout = "3s"
[[inputs.asic]]
  miners = ["127.0.0.1:`+strconv.Itoa(dead)+`"]
  driver = "antminer"
  timeout = "3s"
  [inputs.asic.ports]
    web = `+strconv.Itoa(dead)+`
`)
	var stdout, stderr bytes.Buffer
	rc := run([]string{"--config", conf, "--once", "--format", "table"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 0, rc, stderr.String())
	out := stdout.String()
	require.NotContains(t, out, "asic_status", "line protocol in the table:\n"+out)

	rows := map[string][]string{}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Equal(t, []string{"ADDRESS", "STATUS", "MAKE", "MODEL", "TH/S", "MAX", "°C", "POWER", "W",
		"ACTIVE", "POOL", "ACCEPTED", "REJECTED"}, strings.Fields(lines[0]))
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		f := strings.Fields(l)
		rows[f[0]] = f
	}
	require.Len(t, rows, 3, out)
	// S19 Pro: summary "GHS 5s" 110566.89 GH/s, hottest chip 78 °C, no
	// power reading; the active pool and its shares from `pools`.
	require.Equal(t, []string{ant.Addr(), "up", "Antminer", "S19", "Pro", "110.57", "78", "-",
		"btc.global.luxor.tech:700", "4057", "11"}, rows[ant.Addr()], out)
	// M31S: summary "MHS 1m" 77909448.60 MH/s, "Chip Temp Max" 93, "Power"
	// 3553; the pool with "Stratum Active" true of three. (The model column
	// is left out: with a fixed driver it depends on identification.)
	w := rows[wm.Addr()]
	require.Len(t, w, 10, out)
	require.Equal(t, []string{wm.Addr(), "up", "Whatsminer"}, w[:3], out)
	require.Equal(t, []string{"77.91", "93", "3553", "btc.ss.poolin.com:443", "2296", "1"}, w[4:], out)
	require.Equal(t, []string{"127.0.0.1:" + strconv.Itoa(dead), "connection_refused", "-", "-", "-", "-", "-", "-", "-", "-"},
		rows["127.0.0.1:"+strconv.Itoa(dead)], out)
	require.Contains(t, out, "\nminers: 3, up 2, down 1\n")
	require.Contains(t, out, "\nhashrate sha256: 188.48 TH/s (miners: 2); 101.5% of the expected 185.70 TH/s (miners reporting it: 2)\n")
	require.Contains(t, out, "\npower: 3553 W (miners reporting it: 1 of 3)\n")
}

func TestUnknownFormatExitsNonZero(t *testing.T) {
	conf := writeConf(t, "[[inputs.asic]]\n  miners = [\"127.0.0.1:1\"]\n")
	var stdout, stderr bytes.Buffer
	rc := run([]string{"--config", conf, "--once", "--format", "json"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 2, rc)
	require.Empty(t, stdout.String())
	require.Contains(t, stderr.String(), `unknown --format "json": use influx or table`)
}

// addrLess puts 127.0.1.9 before 127.0.1.10, as a person counts.
func TestAddrOrder(t *testing.T) {
	want := []string{"10.0.0.2:4028", "10.0.0.2:4029", "127.0.1.9", "127.0.1.10", "miner-a", "miner-b"}
	for i := range want {
		for j := range want {
			require.Equal(t, i < j, addrLess(want[i], want[j]), "%s < %s", want[i], want[j])
		}
	}
}

// Totals never add TH/s of different algorithms, and the percentage of
// expected compares only miners that report an expected hashrate.
func TestTableTotalsPerAlgorithm(t *testing.T) {
	var out bytes.Buffer
	s, err := newSink("table", &out)
	require.NoError(t, err)
	now := time.Unix(1764081600, 0)
	add := func(name string, tags map[string]string, fields map[string]any) {
		require.NoError(t, s.write(metric.New(name, tags, fields, now)))
	}
	sha := map[string]string{"source": "10.0.0.2", "make": "Antminer", "model": "S19 Pro", "algorithm": "sha256"}
	add("asic", sha, map[string]any{"hashrate_ths": 100.0, "expected_hashrate_ths": 110.0, "power_watts": 3250.0})
	add("asic_status", map[string]string{"source": "10.0.0.2", "result": "success", "algorithm": "sha256"}, map[string]any{"up": true})
	sha2 := map[string]string{"source": "10.0.0.10", "make": "Bitaxe", "algorithm": "sha256"}
	add("asic", sha2, map[string]any{"hashrate_ths": 1.0}) // no expected hashrate
	add("asic_status", map[string]string{"source": "10.0.0.10", "result": "success"}, map[string]any{"up": true})
	ltc := map[string]string{"source": "10.0.0.3", "make": "Antminer", "model": "L7", "algorithm": "scrypt"}
	add("asic", ltc, map[string]any{"hashrate_ths": 0.0095, "expected_hashrate_ths": 0.0095})
	add("asic_status", map[string]string{"source": "10.0.0.3", "result": "success"}, map[string]any{"up": true})
	add("asic_status", map[string]string{"source": "10.0.0.4", "result": "auth_failed"}, map[string]any{"up": false})
	require.NoError(t, s.flush())

	got := out.String()
	require.Contains(t, got, "\nminers: 4, up 3, down 1\n")
	require.Contains(t, got, "\nhashrate scrypt: 0.0095 TH/s (miners: 1); 100.0% of the expected 0.0095 TH/s (miners reporting it: 1)\n")
	require.Contains(t, got, "\nhashrate sha256: 101.00 TH/s (miners: 2); 90.9% of the expected 110.00 TH/s (miners reporting it: 1)\n")
	require.Contains(t, got, "\npower: 3250 W (miners reporting it: 1 of 4)\n")
	// Rows in address order: 10.0.0.2 before 10.0.0.10.
	require.Less(t, strings.Index(got, "10.0.0.2 "), strings.Index(got, "10.0.0.10 "))
	require.Regexp(t, `(?m)^10\.0\.0\.4 +auth_failed +- +- +- +- +- +- +- +-$`, got)

	// A flush starts the next gather's table empty.
	out.Reset()
	require.NoError(t, s.flush())
	require.Contains(t, out.String(), "\nminers: 0, up 0, down 0\n")
}
