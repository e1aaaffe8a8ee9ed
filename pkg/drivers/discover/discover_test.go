package discover

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// listen opens a listener at each address on port, answering nothing.
func listen(t testing.TB, addrs []string, port int) {
	for _, a := range addrs {
		ln, err := net.Listen("tcp", net.JoinHostPort(a, fmt.Sprint(port)))
		require.NoError(t, err)
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
}

func hostsOf(prefix string) []string {
	p := netip.MustParsePrefix(prefix)
	var out []string
	for a := p.Addr().Next(); p.Contains(a); a = a.Next() {
		out = append(out, a.String())
	}
	return out[:len(out)-1] // without broadcast
}

// freePort is a port nothing listens on at addr right now.
func freePort(t testing.TB, addr string) int {
	ln, err := net.Listen("tcp", addr+":0")
	require.NoError(t, err)
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

func TestScanFindsOnlyListeners(t *testing.T) {
	// A /24 on loopback: miners at a few addresses on either port, the rest
	// empty (refused at once on loopback). Ports are picked free, so no
	// other test's listener can answer for an empty address.
	miners := []string{"127.91.0.7", "127.91.0.8", "127.91.0.200"}
	web := []string{"127.91.0.9"}
	rpcPort, webPort, v3Port := freePort(t, "127.91.0.7"), freePort(t, "127.91.0.9"), freePort(t, "127.91.0.10")
	listen(t, miners, rpcPort)
	listen(t, web, webPort)
	s := &Scanner{Ports: []int{rpcPort, webPort, v3Port}, Timeout: time.Second, Concurrency: 64}
	got := s.Scan(context.Background(), hostsOf("127.91.0.0/24"))
	require.Equal(t, []string{"127.91.0.7", "127.91.0.8", "127.91.0.9", "127.91.0.200"}, got)
}

func TestScanTimeoutIsPerHostNotPerPort(t *testing.T) {
	// A dialer that never answers stands for addresses with no host.
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	s := &Scanner{Ports: []int{1, 2, 3, 4}, Timeout: 100 * time.Millisecond, Concurrency: 1, Dial: dial}
	began := time.Now()
	require.Empty(t, s.Scan(context.Background(), []string{"a", "b"}))
	// Two hosts, one timeout each (ports in parallel): generously under 4 × 2.
	require.Less(t, time.Since(began), 3*time.Second)
}

func benchScan(b *testing.B, prefix string, miners int) {
	hosts := hostsOf(prefix)
	listen(b, hosts[:miners], 24128)
	s := &Scanner{Ports: []int{24128, 24180, 24433, 24051}, Timeout: time.Second, Concurrency: 2000}
	b.ResetTimer()
	for b.Loop() {
		if got := s.Scan(context.Background(), hosts); len(got) != miners {
			b.Fatalf("found %d, want %d", len(got), miners)
		}
	}
	b.ReportMetric(float64(len(hosts)), "addresses")
}

// Scan time of a /22 and a /16 on loopback, 4 ports per address.
func BenchmarkScan22(b *testing.B) { benchScan(b, "127.92.0.0/22", 300) }
func BenchmarkScan16(b *testing.B) { benchScan(b, "127.93.0.0/16", 1000) }
