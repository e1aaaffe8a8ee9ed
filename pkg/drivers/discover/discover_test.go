package discover

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
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
	res := s.Scan(context.Background(), hostsOf("127.91.0.0/24"))
	require.Equal(t, []string{"127.91.0.7", "127.91.0.8", "127.91.0.9", "127.91.0.200"}, res.Found)
	require.Equal(t, 254, res.Probed)
	// Loopback refuses the empty addresses at once: a refusal is an answer,
	// never asked again.
	require.Zero(t, res.Retried)
}

func TestScanTimeoutIsPerHostNotPerPort(t *testing.T) {
	// A dialer that never answers stands for addresses with no host.
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	s := &Scanner{Ports: []int{1, 2, 3, 4}, Timeout: 100 * time.Millisecond, Retries: -1, Concurrency: 1, Dial: dial}
	began := time.Now()
	res := s.Scan(context.Background(), []string{"a", "b"})
	require.Empty(t, res.Found)
	require.Equal(t, 2, res.Probed)
	// Two hosts, one timeout each (ports in parallel): generously under 4 × 2.
	require.Less(t, time.Since(began), 3*time.Second)
}

func benchScan(b *testing.B, prefix string, miners int) {
	hosts := hostsOf(prefix)
	listen(b, hosts[:miners], 24128)
	s := &Scanner{Ports: []int{24128, 24180, 24433, 24051}, Timeout: time.Second, Concurrency: 2000}
	b.ResetTimer()
	for b.Loop() {
		if got := s.Scan(context.Background(), hosts); len(got.Found) != miners {
			b.Fatalf("found %d, want %d", len(got.Found), miners)
		}
	}
	b.ReportMetric(float64(len(hosts)), "addresses")
}

// Scan time of a /22 and a /16 on loopback, 4 ports per address.
func BenchmarkScan22(b *testing.B) { benchScan(b, "127.92.0.0/22", 300) }
func BenchmarkScan16(b *testing.B) { benchScan(b, "127.93.0.0/16", 1000) }

// lossyDial stands for a network stack that drops SYNs: for a share of the
// addresses the first attempt (and for some the second too) is never
// answered, as a SYN lost to a full listen backlog or a busy box is not.
// The rest goes to the real loopback listeners.
func lossyDial(t testing.TB, dropFirst, dropTwice func(host string) bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var mu sync.Mutex
	tries := map[string]int{}
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		mu.Lock()
		tries[addr]++
		n := tries[addr]
		mu.Unlock()
		if (n == 1 && dropFirst(host)) || (n == 2 && dropTwice(host)) {
			<-ctx.Done() // the SYN went nowhere
			return nil, ctx.Err()
		}
		return d.DialContext(ctx, network, addr)
	}
}

// A scan over a stack that loses a third of the first probes and a
// seventh of the second ones still finds every miner, asks again exactly
// the probes that got no answer, and never calls a silent miner empty.
func TestScanFindsEverythingDespiteDroppedSYNs(t *testing.T) {
	hosts := hostsOf("127.20.1.0/24")
	var miners []string
	for i, h := range hosts {
		if i%3 != 2 {
			miners = append(miners, h)
		}
	}
	rpcPort, webPort := freePort(t, "127.20.1.1"), freePort(t, "127.20.1.2")
	listen(t, miners, rpcPort)
	last := func(h string) int { return int(netip.MustParseAddr(h).As4()[3]) }
	dropFirst := func(h string) bool { return last(h)%3 == 0 }
	dropTwice := func(h string) bool { return last(h)%7 == 0 }
	s := &Scanner{Ports: []int{rpcPort, webPort}, Timeout: time.Second, Concurrency: 128,
		Dial: lossyDial(t, dropFirst, dropTwice)}
	res := s.Scan(context.Background(), hosts)
	require.Equal(t, miners, res.Found)
	require.Equal(t, len(hosts), res.Probed)
	// Every host whose first probe was dropped is asked again, and those
	// dropped twice a third time.
	want := 0
	for _, h := range hosts {
		if dropFirst(h) {
			want++
			if dropTwice(h) {
				want++
			}
		}
	}
	require.Equal(t, want, res.Retried)
}

// Without retries the same lossy stack loses miners: what the retries are for.
func TestScanWithoutRetriesMissesDroppedSYNs(t *testing.T) {
	hosts := hostsOf("127.20.2.0/24")
	rpcPort := freePort(t, "127.20.2.1")
	listen(t, hosts, rpcPort)
	drop := func(h string) bool { return netip.MustParseAddr(h).As4()[3]%3 == 0 }
	s := &Scanner{Ports: []int{rpcPort}, Timeout: time.Second, Retries: -1, Concurrency: 128,
		Dial: lossyDial(t, drop, func(string) bool { return false })}
	res := s.Scan(context.Background(), hosts)
	require.Len(t, res.Found, len(hosts)-84) // 84 of .1-.254 are multiples of 3
	require.Zero(t, res.Retried)
}

// An address where nothing answers is asked Retries more times, then is empty.
func TestScanSilentAddressRetriedThenEmpty(t *testing.T) {
	var calls sync.Map
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		v, _ := calls.LoadOrStore(addr, new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var progress []Progress
	s := &Scanner{Ports: []int{1, 2}, Timeout: 20 * time.Millisecond, Retries: 3, Dial: dial,
		Progress: func(p Progress) { progress = append(progress, p) }}
	res := s.Scan(context.Background(), []string{"127.20.3.1"})
	require.Empty(t, res.Found)
	require.Equal(t, 3, res.Retried)
	for _, port := range []string{"1", "2"} {
		v, ok := calls.Load("127.20.3.1:" + port)
		require.True(t, ok)
		require.EqualValues(t, 4, v.(*atomic.Int32).Load(), "port %s: one probe and three retries", port)
	}
	require.Equal(t, Progress{Probed: 1, Total: 1, Found: 0}, progress[len(progress)-1])
}

// A cancelled scan stops and reports what it probed.
func TestScanStopsOnCancel(t *testing.T) {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	s := &Scanner{Ports: []int{1}, Timeout: time.Hour, Concurrency: 4, Dial: dial}
	res := s.Scan(ctx, hostsOf("127.20.4.0/24"))
	require.Empty(t, res.Found)
	require.Zero(t, res.Probed)
}

func TestPacerCutsOnLossAndGrowsBack(t *testing.T) {
	p := newPacer(1000, time.Hour)
	require.EqualValues(t, startInFlight, p.limit)
	p.loss()
	require.EqualValues(t, startInFlight*3/4, p.limit)
	p.loss() // within cutEvery of the first: one burst counts once
	require.EqualValues(t, startInFlight*3/4, p.limit)
	for range 1000 {
		p.grow()
	}
	require.Greater(t, p.limit, float64(startInFlight*3/4))
	require.Less(t, p.limit, float64(startInFlight*3/4+10), "past a loss it grows by about one per round trip")
}

// An empty /16 where nothing answers at all (no refusals: a LAN where
// empty addresses are silent), with the plugin's settings: 1 s, two
// retries, up to 4000 addresses in flight. Minutes, not hours.
func BenchmarkScanSilent16(b *testing.B) {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	hosts := hostsOf("127.96.0.0/16")
	s := &Scanner{Ports: []int{4028, 80, 4433, 50051}, Timeout: time.Second, Concurrency: 4000, Dial: dial}
	for b.Loop() {
		res := s.Scan(context.Background(), hosts)
		if len(res.Found) != 0 || res.Retried != 2*len(hosts) {
			b.Fatalf("found %d, retried %d", len(res.Found), res.Retried)
		}
		b.ReportMetric(res.Duration.Seconds(), "scan_s")
	}
}

// The scan hands identification the ports that refused, per found host:
// a dialer that refuses some ports at once and accepts one only after the
// refusals are in stands for a loopback miner (refusals arrive first).
func TestScanReportsRefusedPorts(t *testing.T) {
	miner := []string{"127.94.0.7"}
	rpcPort, webPort, v3Port := freePort(t, "127.94.0.7"), freePort(t, "127.94.0.7"), freePort(t, "127.94.0.7")
	listen(t, miner, rpcPort)
	var refusedSeen sync.WaitGroup
	refusedSeen.Add(2)
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		if port == fmt.Sprint(rpcPort) {
			refusedSeen.Wait()
			return d.DialContext(ctx, network, addr)
		}
		defer refusedSeen.Done()
		return d.DialContext(ctx, network, addr)
	}
	s := &Scanner{Ports: []int{rpcPort, webPort, v3Port}, Timeout: time.Second, Concurrency: 4, Dial: dial}
	res := s.Scan(context.Background(), miner)
	require.Equal(t, miner, res.Found)
	require.Equal(t, [][]int{{webPort, v3Port}}, res.Refused)
}

// Check tells, in one dial per port, which ports accept and which refuse;
// a silent one is neither, after the wait.
func TestCheckOpenRefusedSilent(t *testing.T) {
	host := "127.94.0.9"
	open, closed := freePort(t, host), freePort(t, host)
	listen(t, []string{host}, open)
	var dials atomic.Int32
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		if addr == net.JoinHostPort(host, "9") { // stands for a dropped SYN
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return d.DialContext(ctx, network, addr)
	}
	o, r := Check(context.Background(), dial, host, []int{closed, 9, open}, 200*time.Millisecond)
	require.Equal(t, []int{open}, o)
	require.Equal(t, []int{closed}, r)
	require.Equal(t, int32(3), dials.Load())
}

// Found is told each host where a port accepted, once, with the ports
// that refused, and never an empty host (refused or silent). On a miner
// the RPC port accepts only after the web port's refusal is in, as in
// TestScanReportsRefusedPorts.
func TestScanFoundCallback(t *testing.T) {
	hosts := hostsOf("127.94.1.0/28") // .1 to .14
	rpcPort, webPort := freePort(t, "127.94.1.1"), freePort(t, "127.94.1.1")
	miners := []string{"127.94.1.2", "127.94.1.5", "127.94.1.11"}
	listen(t, miners, rpcPort)
	webDone := map[string]chan struct{}{}
	for _, h := range hosts {
		webDone[h] = make(chan struct{})
	}
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		h, port, _ := net.SplitHostPort(addr)
		if h == "127.94.1.9" { // silent: stands for a dropped SYN, every time
			<-ctx.Done()
			return nil, ctx.Err()
		}
		if port == fmt.Sprint(rpcPort) {
			<-webDone[h]
			return d.DialContext(ctx, network, addr)
		}
		defer close(webDone[h]) // asked once: it refuses
		return d.DialContext(ctx, network, addr)
	}
	var mu sync.Mutex
	calls := map[string]int{}
	refused := map[string][]int{}
	s := &Scanner{Ports: []int{rpcPort, webPort}, Timeout: 100 * time.Millisecond, Retries: 1, Concurrency: 8, Dial: dial,
		Found: func(host string, r []int) {
			mu.Lock()
			defer mu.Unlock()
			calls[host]++
			refused[host] = r
		}}
	res := s.Scan(context.Background(), hosts)
	require.Equal(t, miners, res.Found)
	require.Equal(t, map[string]int{"127.94.1.2": 1, "127.94.1.5": 1, "127.94.1.11": 1}, calls)
	require.Equal(t, map[string][]int{"127.94.1.2": {webPort}, "127.94.1.5": {webPort}, "127.94.1.11": {webPort}}, refused)
	require.Equal(t, [][]int{{webPort}, {webPort}, {webPort}}, res.Refused)
}
