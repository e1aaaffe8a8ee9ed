package asic

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// switchMiner is a miner's 4028 port whose behaviour a test changes
// between gathers, counting the connections it accepts: "capture" relays
// to a real capture served by fakeminer, "silent" accepts and never
// answers, "garbage" answers bytes that are no protocol and closes.
type switchMiner struct {
	ln      net.Listener
	mode    atomic.Value // string
	backend atomic.Value // string: the capture's address
	accepts atomic.Int32
	quit    chan struct{}
	wg      sync.WaitGroup
}

func startSwitch(t *testing.T, host string) *switchMiner {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	require.NoError(t, err)
	m := &switchMiner{ln: ln, quit: make(chan struct{})}
	m.mode.Store("silent")
	m.backend.Store("")
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.accepts.Add(1)
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.handle(c)
			}()
		}
	}()
	t.Cleanup(func() { close(m.quit); _ = ln.Close(); m.wg.Wait() })
	return m
}

func (m *switchMiner) port() int { return m.ln.Addr().(*net.TCPAddr).Port }

func (m *switchMiner) set(mode, backend string) {
	m.backend.Store(backend)
	m.mode.Store(mode)
}

func (m *switchMiner) handle(c net.Conn) {
	defer func() { _ = c.Close() }()
	stop := context.AfterFunc(contextOf(m.quit), func() { _ = c.Close() })
	defer stop()
	switch m.mode.Load().(string) {
	case "garbage":
		_, _ = c.Write([]byte("\x00\xfe\x13not a miner\xff\xff"))
	case "capture":
		b, err := net.Dial("tcp", m.backend.Load().(string))
		if err != nil {
			return
		}
		defer func() { _ = b.Close() }()
		go func() { _, _ = io.Copy(b, c); _ = b.(*net.TCPConn).CloseWrite() }()
		_, _ = io.Copy(c, b)
	case "slow":
		// Says nothing to a cgminer command (as a miner too busy to
		// answer within a probe's time), garbage to an HTTP request.
		buf := make([]byte, 4)
		if n, _ := io.ReadFull(c, buf); n == 4 && string(buf) == "GET " {
			_, _ = c.Write([]byte("\x00\xfe\x13not a miner\xff\xff"))
			return
		}
		_, _ = io.Copy(io.Discard, c)
	case "anthillos":
		// Vnish's web UI: its root page names AnthillOS (capserve.RootVnish).
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		body := capserve.RootVnish.Body
		_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	default: // silent
		_, _ = io.Copy(io.Discard, c)
	}
}

func contextOf(quit chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-quit; cancel() }()
	return ctx
}

// policyPlugin lists one miner at host:rpc; its web and gRPC ports (and
// API v3's 4433 on host) refuse. Its clock is the test's; every dial of a
// check is counted by port.
type policyPlugin struct {
	*Asic
	source string
	now    atomic.Int64
	checks sync.Map // port -> *atomic.Int32
}

func newPolicyPlugin(t *testing.T, host string, rpc int, web ...int) *policyPlugin {
	t.Helper()
	pp := &policyPlugin{Asic: New(), source: net.JoinHostPort(host, strconv.Itoa(rpc))}
	pp.Miners = []string{pp.source}
	pp.Ports.Web = freeLoopbackPort(t, host)
	if len(web) > 0 {
		pp.Ports.Web = web[0]
	}
	pp.Ports.GRPC = freeLoopbackPort(t, host)
	pp.Timeout = config.Duration(2 * time.Second)
	pp.IdentifyInterval = config.Duration(time.Hour)
	pp.Log = testutil.Logger{Quiet: true}
	pp.now.Store(time.Now().UnixNano())
	pp.clock = func() time.Time { return time.Unix(0, pp.now.Load()) }
	var d net.Dialer
	pp.checkDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		n, _ := pp.checks.LoadOrStore(port, &atomic.Int32{})
		n.(*atomic.Int32).Add(1)
		return d.DialContext(ctx, network, addr)
	}
	require.NoError(t, pp.Init())
	return pp
}

func (pp *policyPlugin) advance(d time.Duration) { pp.now.Add(int64(d)) }

// checkDials is how many check dials each port got since the last call.
func (pp *policyPlugin) checkDials() map[string]int {
	out := map[string]int{}
	pp.checks.Range(func(k, v any) bool {
		if n := v.(*atomic.Int32).Swap(0); n > 0 {
			out[k.(string)] = int(n)
		}
		return true
	})
	return out
}

// gather runs one gather and returns the miner's result tag, the
// identifications run and the connections its 4028 accepted during it.
func (pp *policyPlugin) gather(t *testing.T, m *switchMiner) (string, int, int) {
	t.Helper()
	ids0 := pp.identifications.Load()
	// Accepts of a gather run outside this helper (or of the one before)
	// may still be on their way: let them land before counting anew.
	settleAccepts(m)
	m.accepts.Store(0)
	acc := &testutil.Accumulator{}
	require.NoError(t, pp.Gather(acc))
	settleAccepts(m) // the server's Accept may return after the client's connect
	result, _ := statusOf(t, acc, pp.source)
	require.Equal(t, 1, count(acc, "asic_status", pp.source))
	return result, int(pp.identifications.Load() - ids0), int(m.accepts.Load())
}

// settleAccepts waits until the server's accept count has stood still for
// 100 ms (at most 2 s): a count, not a timing, is what the tests assert.
func settleAccepts(m *switchMiner) {
	last := m.accepts.Load()
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		n := m.accepts.Load()
		if n == last {
			return
		}
		last = n
	}
}

// expect gathers once and checks the miner's result and the
// identifications the gather ran; it returns the connections its 4028
// accepted.
func (pp *policyPlugin) expect(t *testing.T, m *switchMiner, result string, ids int, why ...any) int {
	t.Helper()
	got, n, conns := pp.gather(t, m)
	require.Equal(t, result, got, why...)
	require.Equal(t, ids, n, why...)
	return conns
}

// startPolicy is a switchable miner on host answering as mode (see set)
// and a plugin that lists it.
func startPolicy(t *testing.T, host, mode, backend string) (*switchMiner, *policyPlugin) {
	m := startSwitch(t, host)
	if mode != "" {
		m.set(mode, backend)
	}
	return m, newPolicyPlugin(t, host, m.port())
}

func (pp *policyPlugin) driver() string { return pp.State().Miners[0].Driver }

const s19 = "antminer/S19Pro_49.0.1.3"

func capture(t *testing.T, dir string) string {
	return startCapture(t, filepath.Join("../../../testdata", dir), fakeminer.Normal).Addr()
}

// An identified miner that stops answering is asked through its driver,
// one connection a gather, never identified again on that account; when
// identify_interval passes it is identified once (nothing answers: the
// driver stays), and the backoff spares the next gathers. When it comes
// back it is read at once through the driver it kept.
func TestDeadIdentifiedMinerKeepsItsDriver(t *testing.T) {
	host := "127.0.81.1"
	m, pp := startPolicy(t, host, "capture", capture(t, s19))

	pp.expect(t, m, "success", 1)
	require.Equal(t, "antminer", pp.driver())

	m.set("silent", "")
	for range 3 {
		conns := pp.expect(t, m, "timeout", 0, "a timeout through its driver is no reason to identify")
		require.Equal(t, 1, conns, "one connection: the driver's joined command")
		require.Equal(t, "antminer", pp.driver())
	}
	require.Empty(t, pp.checkDials(), "an identified miner is not checked")

	pp.advance(time.Hour)
	pp.expect(t, m, "timeout", 1, "identify_interval passed")
	require.Equal(t, "antminer", pp.driver(), "nothing answered the identification: the driver stays")

	conns := pp.expect(t, m, "timeout", 0, "the failed identification backs off")
	require.Equal(t, 1, conns)

	m.set("capture", capture(t, s19))
	pp.expect(t, m, "success", 0)
}

// A miner that answers garbage is identified once; then each gather costs
// one connect per port (a fresh, real result: its 4028 still accepts),
// and identification is redone after 1 minute, then 2, ... doubling.
func TestGarbageMinerBacksOff(t *testing.T) {
	host := "127.0.81.2"
	m, pp := startPolicy(t, host, "garbage", "")

	pp.expect(t, m, "unsupported", 1)
	pp.checkDials()

	// The status between identifications is fresh (the ports that accept
	// now) and says what the last identification found.
	acc := &testutil.Accumulator{}
	require.NoError(t, pp.Gather(acc))
	_, f := statusOf(t, acc, pp.source)
	require.Contains(t, f["error"], "accepts connections on port "+strconv.Itoa(m.port())+", as 0s ago when nothing could read it (identified again in 1m0s)")
	require.Contains(t, f["error"], "no known firmware")
	pp.checkDials()

	rpc := strconv.Itoa(m.port())
	for range 2 {
		conns := pp.expect(t, m, "unsupported", 0)
		require.Equal(t, 1, conns, "the check's connect, nothing sent")
		require.Equal(t, map[string]int{rpc: 1, strconv.Itoa(pp.Ports.Web): 1, "4433": 1, strconv.Itoa(pp.Ports.GRPC): 1},
			pp.checkDials(), "one connect per port")
	}

	pp.advance(time.Minute)
	pp.expect(t, m, "unsupported", 1, "first backoff (1 min) over")

	pp.advance(time.Minute)
	pp.expect(t, m, "unsupported", 0, "second backoff is 2 min")
	pp.advance(time.Minute)
	pp.expect(t, m, "unsupported", 1)
}

// A miner that accepts and never answers, never identified: each gather
// checks its ports and asks only the one that accepts (the refused ones
// are not asked again), so its timeout is fresh each gather, and the
// gather after it starts answering reads it.
func TestSilentNeverIdentifiedMiner(t *testing.T) {
	host := "127.0.81.3"
	m, pp := startPolicy(t, host, "", "")

	pp.expect(t, m, "timeout", 1)
	for range 2 {
		conns := pp.expect(t, m, "timeout", 1)
		// The check's connect; identification's "version", which gets
		// no answer; and one HTTP request on the same port, since a port
		// that accepts and says nothing to a cgminer command may be
		// ePIC's HTTP API. The refused ports are not asked.
		require.Equal(t, 3, conns)
		require.Len(t, pp.checkDials(), 4)
	}

	m.set("capture", capture(t, s19))
	pp.expect(t, m, "success", 1)
	require.Equal(t, "antminer", pp.driver())
}

// A miner where nothing listens any more, never identified: the check's
// refusals are its result; nothing is identified until a port accepts.
func TestRefusedNeverIdentifiedMiner(t *testing.T) {
	host := "127.0.81.4"
	m, pp := startPolicy(t, host, "garbage", "")
	pp.expect(t, m, "unsupported", 1)
	_ = m.ln.Close()
	for range 2 {
		pp.expect(t, m, "connection_refused", 0)
	}
}

// New firmware is picked up: a miner identified as an Antminer whose 4028
// now answers something the driver cannot read is identified again on the
// next gather; one whose new firmware the old driver still reads is
// identified again when identify_interval passes.
func TestFirmwareChangeIsPickedUp(t *testing.T) {
	host := "127.0.81.5"
	m, pp := startPolicy(t, host, "capture", capture(t, s19))
	pp.expect(t, m, "success", 1)

	// Unreadable: the driver's gather is bad_response and drops it.
	m.set("garbage", "")
	pp.expect(t, m, "bad_response", 0)
	require.Empty(t, pp.driver())
	m.set("capture", capture(t, "luxos/S19kPro_2025.4.8.220305"))
	pp.expect(t, m, "success", 1)
	require.Equal(t, "luxos", pp.driver())

	// Readable by the old driver: kept until identify_interval.
	m.set("capture", capture(t, s19))
	_, ids, _ := pp.gather(t, m)
	require.Zero(t, ids)
	pp.advance(time.Hour)
	pp.expect(t, m, "success", 1)
	require.Equal(t, "antminer", pp.driver())
}

// The first identification after a scan does not ask the ports the scan
// saw refuse. Here the web port does listen (it answers garbage, and
// counts): told that it refused, identification sends it nothing; told
// nothing, it asks it for its root page.
func TestScanRefusalsReachIdentification(t *testing.T) {
	for _, told := range []bool{true, false} {
		host := "127.0.81.6"
		if !told {
			host = "127.0.81.7"
		}
		m := startSwitch(t, host)
		m.set("capture", capture(t, s19))
		web := startSwitch(t, host)
		web.set("garbage", "")
		pp := newPolicyPlugin(t, host, m.port(), web.port())
		if told {
			pp.inv.setRefused(pp.source, []int{pp.Ports.Web, 4433, pp.Ports.GRPC})
		}
		conns := pp.expect(t, m, "success", 1)
		require.Equal(t, 2, conns, "4028: identification's version, the driver's joined command")
		// The Antminer driver asks its web page for the miner's identity
		// once (it is not told what the scan saw): one connection.
		// Identification adds its root page only when not told.
		if told {
			require.Equal(t, int32(1), web.accepts.Load(), "identification asks nothing of the port the scan saw refuse")
		} else {
			require.Equal(t, int32(2), web.accepts.Load(), "identification's root page, the driver's identity page")
		}
		require.Nil(t, pp.inv.list()[0].scanRefused, "used once")
	}
}

// What counts as an answer the driver cannot read: a reply cut by the
// shared budget is bad_response but says nothing about the firmware.
func TestUnreadable(t *testing.T) {
	require.True(t, unreadable(fmt.Errorf("x: %w: not JSON", drivers.ErrBadResponse)))
	require.True(t, unreadable(fmt.Errorf("x: %w", drivers.ErrUnsupported)))
	require.False(t, unreadable(fmt.Errorf("x: %w: %w: evicted", drivers.ErrBadResponse, drivers.ErrReplyBudget)))
	require.False(t, unreadable(fmt.Errorf("x: %w", drivers.ErrTimeout)))
	require.False(t, unreadable(fmt.Errorf("x: %w", drivers.ErrRefused)))
	require.False(t, unreadable(fmt.Errorf("x: %w", drivers.ErrAuth)))
	require.False(t, unreadable(nil))
}

// An unsupported verdict reached while a probe timed out may only mean a
// slow miner: it is not backed off, the next gather identifies it again.
func TestIncompleteUnsupportedIsNotBackedOff(t *testing.T) {
	host := "127.0.81.8"
	m, pp := startPolicy(t, host, "slow", "")
	for range 2 {
		pp.expect(t, m, "unsupported", 1, "its HTTP answer was an answer, identified on every gather")
	}
}

// A guess reached while a probe was cut short is provisional: the probe
// that timed out may be the one that tells the family apart. Here the
// 4028 port says "Antminer" (a guess of stock firmware, which Vnish's
// replies say too) while the web port is silent; when the web port
// answers with Vnish's page, the next gather identifies it as Vnish. A web
// port that stays silent costs an identification on the next
// maxProvisional gathers only, then the guess stands.
func TestProvisionalGuessIsIdentifiedAgain(t *testing.T) {
	for _, webComesBack := range []bool{true, false} {
		host := "127.0.81.9"
		if !webComesBack {
			host = "127.0.81.10"
		}
		m := startSwitch(t, host)
		m.set("capture", capture(t, s19))
		web := startSwitch(t, host)
		web.set("silent", "")
		pp := newPolicyPlugin(t, host, m.port(), web.port())
		pp.Timeout = config.Duration(4 * time.Second)

		_, ids, _ := pp.gather(t, m)
		require.Equal(t, 1, ids)
		require.Equal(t, "antminer", pp.driver(), "the guess is used")
		require.Equal(t, 1, pp.inv.list()[0].provisional)

		if webComesBack {
			web.set("anthillos", "")
			_, ids, _ = pp.gather(t, m)
			require.Equal(t, 1, ids, "identified again")
			require.Equal(t, "vnish", pp.driver())
			require.Zero(t, pp.inv.list()[0].provisional, "a certain verdict settles it")
			_, ids, _ = pp.gather(t, m)
			require.Zero(t, ids)
			continue
		}
		for i := range maxProvisional {
			_, ids, _ = pp.gather(t, m)
			require.Equal(t, 1, ids, "recheck %d", i+1)
			require.Equal(t, "antminer", pp.driver(), "the guess is kept")
		}
		_, ids, _ = pp.gather(t, m)
		require.Zero(t, ids, "after %d rechecks the guess stands", maxProvisional)
		require.Equal(t, "antminer", pp.driver())
	}
}
