package identify

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3/btminerv3test"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// root is how a firmware answers GET /. None of the capture folders has a
// real root page, so these are HAND-MADE, each the smallest page or realm
// that carries the marker the firmware is known to serve (the markers of
// pyasic's MinerFactory, pyasic/miners/factory.py in UpstreamData/pyasic
// at e2b9d35756dbcc40f40c3b1d86863e60e3d4ff13, v0.78.10).
type root struct {
	status int
	realm  string // Digest realm of a 401
	body   string
	// https: a Whatsminer-style 307 to an HTTPS page with this body.
	https string
}

var (
	rootBitmain  = root{status: 401, realm: "antMiner Configuration"}
	rootBlack    = root{status: 401, realm: "blackMiner Configuration"}
	rootDaoge    = root{status: 401, realm: "Daoge"}
	rootBraiins  = root{status: 200, body: "<html><head><title>Braiins OS</title></head></html>"}
	rootLux      = root{status: 200, body: "<html><head><title>Luxor Firmware</title></head></html>"}
	rootVnish    = root{status: 200, body: "<html><head><title>AnthillOS</title></head></html>"}
	rootAxe      = root{status: 200, body: "<html><head><title>AxeOS</title></head></html>"}
	rootGold     = root{status: 200, body: `<html><body><div id="app" class="cloud-box"></div></body></html>`}
	rootEPIC     = root{status: 200, body: "<html><head><title>Miner Web Dashboard</title></head></html>"}
	rootIce      = root{status: 200, body: "<HTML><HEAD><TITLE>用户界面</TITLE></HEAD></HTML>"}
	rootAuradine = root{status: 200, body: "<html><head><title>Miner UI</title></head></html>"}
	rootAvalon   = root{status: 200, body: "<html><head><title>Avalon Device</title></head></html>"}
	rootWhats    = root{status: 307, https: `<html><head><meta http-equiv="refresh" content="0; URL=/cgi-bin/luci" /></head></html>`}
	rootInno     = root{status: 200, body: "<html><head><title>DragonMint</title></head></html>"}
	// SealMiner: the Amaze UI stylesheet asic-rs tells its web UI by; not
	// a marker identification uses (other UIs may load it too).
	rootSeal  = root{status: 200, body: `<html><head><link rel="stylesheet" href="/css/amazeui.min.css"></head></html>`}
	rootPlain = root{status: 200, body: "<html><head><title>index</title></head></html>"}
)

// familyRoot is the root page each family's firmware serves (hand-made,
// see root). MSKMiner and Hiveon keep Bitmain's web UI and realm; MaraFW
// too (its API sits under /kaonsu).
var familyRoot = map[string]root{
	"antminer": rootBitmain, "hiveon": rootBitmain, "marathon": rootBitmain,
	"braiins": rootBraiins, "luxos": rootLux, "vnish": rootVnish, "bitaxe": rootAxe,
	"goldshell": rootGold, "epic": rootEPIC, "iceriver": rootIce, "auradine": rootAuradine,
	"avalon": rootAvalon, "whatsminer": rootWhats, "hammer": rootBlack, "elphapex": rootDaoge,
	"innosilicon": rootInno, "sealminer": rootSeal,
}

// capture is a capture folder split by protocol.
type capture struct {
	rpc  map[string][]byte // cgminer command -> reply (4028, or Hammer's 8359)
	v3   map[string][]byte // Whatsminer API v3 (4433)
	web  map[string][]byte // page name -> body (web_<page>.json)
	name string
}

// loadCapture reads a folder as the drivers' tests do: <cmd>.json/.raw and
// rpc_<cmd>.json are 4028 replies, web_<page>.json web pages, a
// multi_<a>_<b>.json one joined reply (split here), get.device.info.json
// and friends Whatsminer API v3 replies.
func loadCapture(t testing.TB, dir string) capture {
	t.Helper()
	c := capture{rpc: map[string][]byte{}, web: map[string][]byte{}, name: filepath.Base(dir)}
	if _, err := os.Stat(filepath.Join(dir, "get.device.info.json")); err == nil {
		v3, err := btminerv3test.LoadDir(dir)
		require.NoError(t, err)
		c.v3 = v3
		return c
	}
	all, err := fakeminer.LoadDir(dir)
	require.NoError(t, err)
	for name, b := range all {
		switch {
		case strings.HasPrefix(name, "web_"):
			c.web[strings.TrimPrefix(name, "web_")] = b
		case strings.HasPrefix(name, "rpc_"):
			c.rpc[strings.TrimPrefix(name, "rpc_")] = b
		case strings.HasPrefix(name, "multi_") && !strings.HasSuffix(name, "_nan"):
			var m map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(cgminer.Repair(b), &m))
			for cmd, v := range m {
				var l []json.RawMessage
				if json.Unmarshal(v, &l) == nil && len(l) > 0 {
					c.rpc[cmd] = l[0]
				}
			}
		case strings.HasPrefix(name, "multi_"):
		default:
			c.rpc[name] = b
		}
	}
	return c
}

// fake is a loopback miner built from a capture: only the servers the
// firmware has are started; the other ports refuse.
type fake struct {
	target drivers.Target
	v3Port int

	rpc       *fakeminer.Miner
	v3        *btminerv3test.Server
	webReqs   *pathLog
	rpcHTTP   *pathLog // ePIC's HTTP API on the RPC port
	grpcConns *atomic.Int32
}

type pathLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *pathLog) add(p string) { l.mu.Lock(); l.paths = append(l.paths, p); l.mu.Unlock() }
func (l *pathLog) list() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.paths...)
}

// fakeSpec says which servers to start.
type fakeSpec struct {
	root     *root // nil: web port refused
	rpc      bool  // serve capture.rpc in the cgminer protocol
	epic     bool  // serve capture.web as ePIC's HTTP API on the RPC port
	v3       bool  // serve capture.v3 on the v3 port
	grpc     bool  // a gRPC server (Braiins OS+)
	webPages bool  // serve capture.web under the firmware's web paths
}

const nonce = "0a1b2c3d4e5f"

var digestParam = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))`)

func md5hex(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }

// digestOK checks a Digest Authorization for root:root, independently of
// the code under test.
func digestOK(r *http.Request, realm string) bool {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		return false
	}
	p := map[string]string{}
	for _, m := range digestParam.FindAllStringSubmatch(h, -1) {
		p[m[1]] = m[2] + m[3]
	}
	ha1 := md5hex("root:" + realm + ":root")
	ha2 := md5hex(r.Method + ":" + r.URL.RequestURI())
	want := md5hex(ha1 + ":" + nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	return p["username"] == "root" && p["nonce"] == nonce && p["response"] == want
}

func startFake(t testing.TB, c capture, s fakeSpec) *fake {
	t.Helper()
	f := &fake{target: drivers.Target{Host: "127.0.0.1"}}
	// Each absent server is its own refused port, as on a real miner.
	f.target.Ports = drivers.Ports{RPC: closedPort(t), Web: closedPort(t), GRPC: closedPort(t)}
	f.v3Port = closedPort(t)

	if s.rpc {
		f.rpc = &fakeminer.Miner{Replies: c.rpc, Multi: true, NUL: true}
		require.NoError(t, f.rpc.Start("127.0.0.1:0"))
		t.Cleanup(f.rpc.Close)
		f.target.Ports.RPC = f.rpc.Port()
	}
	if s.epic {
		f.rpcHTTP = &pathLog{}
		f.target.Ports.RPC = webServer(t, func(w http.ResponseWriter, r *http.Request) {
			f.rpcHTTP.add(r.URL.Path)
			if b, ok := c.web[strings.TrimPrefix(r.URL.Path, "/")]; ok {
				_, _ = w.Write(b)
				return
			}
			http.NotFound(w, r)
		})
	}
	if s.v3 {
		f.v3 = &btminerv3test.Server{Replies: c.v3}
		require.NoError(t, f.v3.Start("127.0.0.1:0"))
		t.Cleanup(f.v3.Close)
		f.v3Port = f.v3.Port()
	}
	if s.grpc {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		f.grpcConns = &atomic.Int32{}
		srv := grpc.NewServer()
		go func() { _ = srv.Serve(countingListener{ln, f.grpcConns}) }()
		t.Cleanup(srv.Stop)
		f.target.Ports.GRPC = ln.Addr().(*net.TCPAddr).Port
	}
	if s.root != nil {
		rt := *s.root
		f.webReqs = &pathLog{}
		var httpsURL string
		if rt.https != "" {
			tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f.webReqs.add("https:" + r.URL.Path)
				_, _ = w.Write([]byte(rt.https))
			}))
			t.Cleanup(tls.Close)
			httpsURL = tls.URL + "/"
		}
		f.target.Ports.Web = webServer(t, func(w http.ResponseWriter, r *http.Request) {
			f.webReqs.add(r.URL.Path)
			challenge := func() {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm=%q, nonce=%q, qop="auth"`, rt.realm, nonce))
				w.WriteHeader(http.StatusUnauthorized)
			}
			if rt.realm != "" && !digestOK(r, rt.realm) {
				challenge()
				return
			}
			switch {
			case r.URL.Path == "/" && rt.https != "":
				w.Header().Set("Location", httpsURL)
				w.WriteHeader(http.StatusTemporaryRedirect)
			case r.URL.Path == "/":
				w.WriteHeader(rt.status)
				_, _ = w.Write([]byte(rt.body))
			case s.webPages && webPage(c, r.URL.Path) != nil:
				_, _ = w.Write(webPage(c, r.URL.Path))
			default:
				http.NotFound(w, r)
			}
		})
	}
	return f
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

// webPrefixes are where each firmware serves the pages its capture folder
// holds as web_<page>.json (bitaxe's web_system_info is /api/system/info).
var webPrefixes = []string{"/kaonsu/v1/", "/mcb/", "/api/v1/", "/api/"}

// webPage is the captured page served at path, nil when none.
func webPage(c capture, path string) []byte {
	for _, p := range webPrefixes {
		if rest, ok := strings.CutPrefix(path, p); ok {
			if b, ok := c.web[strings.ReplaceAll(rest, "/", "_")]; ok {
				return b
			}
		}
	}
	return nil
}
