package capserve

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3/btminerv3test"
)

// The firmware's own ports, used when a miner is served on its own address.
const (
	PortRPC    = 4028
	PortWeb    = 80
	PortGRPC   = 50051
	PortV3     = 4433
	PortHammer = 8359 // Hammer's ccminer API
	PortREST   = 8080 // Auradine's FluxOS REST API
)

// Spec says which servers to start.
type Spec struct {
	Root     *Root // nil: web port refused
	RPC      bool  // serve Capture.RPC in the cgminer protocol
	EPIC     bool  // serve Capture.Web as ePIC's HTTP API on the RPC port
	V3       bool  // serve Capture.V3 on the v3 port
	GRPC     bool  // an empty gRPC server (Braiins OS+ without recorded replies)
	WebPages bool  // serve Capture.Web under the firmware's web paths
	// Family, with WebPages, serves the pages at that family's paths behind
	// its login (login.go); "" serves them under any known prefix, no login.
	Family string
	// RPCAt8359: the cgminer API is Hammer's, on 8359 and not the RPC port.
	RPCAt8359 bool
	// REST: Auradine's FluxOS REST API (token login) on its own port.
	REST bool
}

// Miner is a loopback miner built from a capture.
type Miner struct {
	// Target reaches it: the RPC, web and gRPC ports of its servers, or
	// refused ports where it has none.
	Target drivers.Target
	// V3Port, HammerPort and RESTPort are the fixed-port APIs (refused
	// when absent).
	V3Port, HammerPort, RESTPort int

	RPC       *fakeminer.Miner
	V3        *btminerv3test.Server
	WebReqs   *PathLog // paths asked of the web port
	RPCHTTP   *PathLog // ePIC's HTTP API on the RPC port
	GRPCConns *atomic.Int32

	host    string // "" : 127.0.0.1 with ephemeral ports
	closers []func()
}

// PathLog records request paths.
type PathLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *PathLog) add(p string) { l.mu.Lock(); l.paths = append(l.paths, p); l.mu.Unlock() }

// List is what was asked, in order (nil log: nothing).
func (l *PathLog) List() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.paths...)
}

// Start serves c on 127.0.0.1, each server on an ephemeral port; every
// absent server is its own refused port, as on a real miner. The servers
// stop with the test.
func Start(t testing.TB, c Capture, s Spec) *Miner {
	t.Helper()
	m, err := Open(c, s, "")
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

// Serve serves the capture folder dir of family on host (an address of
// 127.0.0.0/8 no other test uses) at the firmware's real ports: 4028,
// 4433, 8359, 8080, 50051 and 80. Binding port 80 needs privileges; when
// it is refused the web UI gets an ephemeral port, which Target.Ports.Web
// says (configure it as the web port).
func Serve(t testing.TB, host, dir, family string) *Miner {
	t.Helper()
	if _, ok := FamilyRoot[family]; !ok {
		t.Fatalf("capserve knows no firmware of family %q: add its root page (roots.go), servers (FullSpec) and login (login.go)", family)
	}
	c := Load(t, dir)
	m, err := Open(c, FullSpec(family, c), host)
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

// ClosedPort is a 127.0.0.1 port nothing listens on. It is taken below
// Linux's ephemeral range (32768 up), where the listeners other tests
// open on port 0 never land, so it stays refused for the test.
func ClosedPort(t testing.TB) int {
	t.Helper()
	p, err := closedPort()
	require.NoError(t, err)
	return p
}

func closedPort() (int, error) {
	for range 100 {
		p := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			_ = ln.Close()
			return p, nil
		}
	}
	return 0, errors.New("capserve: no free port in 20000-31999")
}

// addr is where a server listens: an ephemeral 127.0.0.1 port, or the
// firmware's port on m.host.
func (m *Miner) addr(port int) string {
	if m.host == "" {
		return "127.0.0.1:0"
	}
	return net.JoinHostPort(m.host, strconv.Itoa(port))
}

// listen binds one server at m.addr(port); without the privilege port 80
// needs, the web UI takes an ephemeral port of m.host.
func (m *Miner) listen(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", m.addr(port))
	if err != nil && m.host != "" && port == PortWeb && errors.Is(err, syscall.EACCES) {
		ln, err = net.Listen("tcp", net.JoinHostPort(m.host, "0"))
	}
	return ln, err
}

// refused is a port of an absent server. On a miner's own address it is
// the firmware's port, checked free: a listener on all addresses would
// answer for the miner.
func (m *Miner) refused(port int) (int, error) {
	if m.host == "" {
		return closedPort()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(m.host, strconv.Itoa(port)))
	if err != nil && (port != PortWeb || !errors.Is(err, syscall.EACCES)) {
		return 0, fmt.Errorf("capserve: port %d of %s is taken (a listener on all addresses?): %w", port, m.host, err)
	}
	if ln != nil {
		_ = ln.Close()
	}
	return port, nil
}

// Close stops every server of m.
func (m *Miner) Close() {
	for i := len(m.closers) - 1; i >= 0; i-- {
		m.closers[i]()
	}
	m.closers = nil
}

func (m *Miner) http(port int, h http.Handler, tls bool) (*httptest.Server, error) {
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	ln, err := m.listen(port)
	if err != nil {
		return nil, err
	}
	srv.Listener = ln
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	m.closers = append(m.closers, srv.Close)
	return srv, nil
}

func port(srv *httptest.Server) int { return srv.Listener.Addr().(*net.TCPAddr).Port }

// Open serves c as s says, on host at the firmware's ports, or on
// 127.0.0.1 at ephemeral ports when host is "". Close stops it.
func Open(c Capture, s Spec, host string) (m *Miner, err error) {
	m = &Miner{host: host}
	defer func() {
		if err != nil {
			m.Close()
			m = nil
		}
	}()
	m.Target = drivers.Target{Host: "127.0.0.1"}
	if host != "" {
		m.Target.Host = host
	}
	// Free the fixed ports first: each absent server refuses.
	for _, p := range []struct {
		to   *int
		port int
	}{{&m.Target.Ports.RPC, PortRPC}, {&m.Target.Ports.Web, PortWeb}, {&m.Target.Ports.GRPC, PortGRPC},
		{&m.V3Port, PortV3}, {&m.HammerPort, PortHammer}, {&m.RESTPort, PortREST}} {
		if *p.to, err = m.refused(p.port); err != nil {
			return m, err
		}
	}
	if s.RPC {
		at, to := PortRPC, &m.Target.Ports.RPC
		if s.RPCAt8359 {
			at, to = PortHammer, &m.HammerPort
		}
		m.RPC = &fakeminer.Miner{Replies: c.RPC, Multi: true, NUL: true}
		if err := m.RPC.Start(m.addr(at)); err != nil {
			return m, err
		}
		m.closers = append(m.closers, m.RPC.Close)
		*to = m.RPC.Port()
	}
	if s.EPIC {
		m.RPCHTTP = &PathLog{}
		srv, err := m.http(PortRPC, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.RPCHTTP.add(r.URL.Path)
			serveEPIC(w, r, c)
		}), false)
		if err != nil {
			return m, err
		}
		m.Target.Ports.RPC = port(srv)
	}
	if s.V3 {
		// Join: the documented firmware answers summary+edevs+pools at once.
		m.V3 = &btminerv3test.Server{Replies: c.V3, Join: true}
		if err := m.V3.Start(m.addr(PortV3)); err != nil {
			return m, err
		}
		m.closers = append(m.closers, m.V3.Close)
		m.V3Port = m.V3.Port()
	}
	if s.GRPC {
		ln, err := m.listen(PortGRPC)
		if err != nil {
			return m, err
		}
		m.GRPCConns = &atomic.Int32{}
		srv := grpc.NewServer()
		go func() { _ = srv.Serve(countingListener{ln, m.GRPCConns}) }()
		m.closers = append(m.closers, srv.Stop)
		m.Target.Ports.GRPC = ln.Addr().(*net.TCPAddr).Port
	}
	if s.REST {
		srv, err := m.http(PortREST, NewLogin("auradine", c.Web), false)
		if err != nil {
			return m, err
		}
		m.RESTPort = port(srv)
	}
	if s.Root != nil {
		m.WebReqs = &PathLog{}
		h, err := m.webHandler(c, s)
		if err != nil {
			return m, err
		}
		srv, err := m.http(PortWeb, h, false)
		if err != nil {
			return m, err
		}
		m.Target.Ports.Web = port(srv)
	}
	return m, nil
}

func (m *Miner) webHandler(c Capture, s Spec) (http.HandlerFunc, error) {
	rt := *s.Root
	var httpsURL string
	if rt.HTTPS != "" {
		// Another port of the miner's address (ephemeral on 127.0.0.1).
		srv, err := m.http(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.WebReqs.add("https:" + r.URL.Path)
			_, _ = w.Write([]byte(rt.HTTPS))
		}), true)
		if err != nil {
			return nil, err
		}
		httpsURL = srv.URL + "/"
	}
	var pages http.Handler
	if s.WebPages {
		pages = NewLogin(s.Family, c.Web)
	}
	return webUI(rt, pages, m.WebReqs, httpsURL), nil
}

// WebUI is family's web UI serving c's pages, as Serve starts it: its
// root page, the Digest realm the whole UI sits behind, and the pages
// behind the family's login. It takes no test: cmd/asic-sim serves it.
// A family it does not know, or whose root redirects to HTTPS, is an
// error.
func WebUI(family string, c Capture) (http.Handler, error) {
	rt, ok := FamilyRoot[family]
	if !ok || rt.HTTPS != "" {
		return nil, fmt.Errorf("capserve: no plain HTTP web UI for family %q", family)
	}
	return webUI(rt, NewLogin(family, c.Web), nil, ""), nil
}

// webUI serves the root page rt and, behind its realm, pages; log (when
// not nil) records every path asked.
func webUI(rt Root, pages http.Handler, log *PathLog, httpsURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if log != nil {
			log.add(r.URL.Path)
		}
		if rt.Realm != "" && !digestOK(r, rt.Realm) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm=%q, nonce=%q, qop="auth"`, rt.Realm, nonce))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case r.URL.Path == "/" && rt.HTTPS != "":
			w.Header().Set("Location", httpsURL)
			w.WriteHeader(http.StatusTemporaryRedirect)
		case r.URL.Path == "/":
			w.WriteHeader(rt.Status)
			_, _ = w.Write([]byte(rt.Body))
		case pages != nil:
			pages.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}
