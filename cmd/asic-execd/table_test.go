package main

import (
	"bytes"
	"strconv"
	"strings"
	"syscall"
	"testing"

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
	require.Contains(t, out, "\nhashrate sha256: 188.48 TH/s from 2 miners; 101.5% of the 185.70 TH/s expected of the 2 that report it\n")
	require.Contains(t, out, "\npower: 3553 W reported by 1 of 3 miners\n")
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
