// Package httpapitest is a loopback miner web UI for tests: it serves
// recorded CGI replies behind HTTP Digest auth, checked with its own code
// (not the client's), and counts what it was asked. Test infrastructure.
package httpapitest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Server serves Pages at /cgi-bin/<name>.cgi to clients that answer its
// Digest challenge (MD5, qop=auth) with User and Password.
type Server struct {
	User, Password, Realm string
	// Pages maps a page name ("stats") to its body. Missing pages are 404.
	Pages map[string][]byte

	srv      *httptest.Server
	mu       sync.Mutex
	paths    []string
	Unauth   atomic.Int32 // 401 answers
	Stale    atomic.Int32 // 401 answers to a request signed with an old nonce
	Conns    atomic.Int32 // TCP connections accepted
	Requests atomic.Int32

	prefix, suffix string // where a page is, once As set it: prefix+name+suffix
	as             bool
	rotate         atomic.Int32
	gen            int
}

// As makes s another firmware's Digest UI: its realm, and its pages at
// prefix+name+suffix instead of /cgi-bin/<name>.cgi (MaraFW: "MaraFW",
// "/kaonsu/v1/", "").
func (s *Server) As(realm, prefix, suffix string) *Server {
	s.mu.Lock()
	s.Realm, s.prefix, s.suffix, s.as = realm, prefix, suffix, true
	s.mu.Unlock()
	return s
}

// Rotate changes the nonce every n requests (0: never): a request signed
// with an old one gets 401 with stale=true, as firmware whose nonces
// expire.
func (s *Server) Rotate(n int32) { s.rotate.Store(n) }

// DeletePage removes a page: a firmware without it (404).
func (s *Server) DeletePage(name string) {
	s.mu.Lock()
	delete(s.Pages, name)
	s.mu.Unlock()
}

// LoadWebDir reads web_<name>.json files of a capture folder into pages.
func LoadWebDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "web_") || !strings.HasSuffix(n, ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(n, "web_"), ".json")] = b
	}
	return out
}

// Start serves on 127.0.0.1 until the test ends.
func Start(t testing.TB, pages map[string][]byte, user, password string) *Server {
	s := &Server{User: user, Password: password, Realm: "antMiner Configuration", Pages: pages}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.Conns.Add(1)
		}
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// Port is the port the server listens on.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(s.srv.URL, "http://"))
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Paths lists the paths served successfully, in order.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

const nonce = "5f3a9c0e1b7d"

var paramRe = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))`)

func md5hex(s string) string {
	x := md5.Sum([]byte(s))
	return hex.EncodeToString(x[:])
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.Requests.Add(1)
	s.mu.Lock()
	if rot := s.rotate.Load(); rot > 0 && n%rot == 0 {
		s.gen++
	}
	current := nonce
	if s.gen > 0 {
		current += "-" + strconv.Itoa(s.gen)
	}
	prefix, suffix, realm, as := s.prefix, s.suffix, s.Realm, s.as
	s.mu.Unlock()
	if !as {
		prefix, suffix = "/cgi-bin/", ".cgi"
	}
	if good, fresh := s.authorized(r, realm, current); !good || !fresh {
		s.Unauth.Add(1)
		stale := ""
		if good {
			stale = ", stale=true"
			s.Stale.Add(1)
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm=%q, nonce=%q, qop="auth"%s`, realm, current, stale))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "<html><head><title>401 - Unauthorized</title></head><body><h1>401 - Unauthorized</h1></body></html>\n")
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, prefix)
	name, ok2 := strings.CutSuffix(name, suffix)
	s.mu.Lock()
	body, have := s.Pages[name]
	s.mu.Unlock()
	if !ok || !ok2 || !have {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.paths = append(s.paths, r.URL.Path)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html") // as the real CGI scripts do
	_, _ = w.Write(body)
}

// authorized checks the Digest response against the nonce the client
// used (good) and tells whether that nonce is the current one (fresh).
func (s *Server) authorized(r *http.Request, realm, current string) (good, fresh bool) {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		return false, false
	}
	p := map[string]string{}
	for _, m := range paramRe.FindAllStringSubmatch(h, -1) {
		p[m[1]] = m[2] + m[3]
	}
	ha1 := md5hex(s.User + ":" + realm + ":" + s.Password)
	ha2 := md5hex(r.Method + ":" + r.URL.RequestURI())
	want := md5hex(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	good = p["username"] == s.User && strings.HasPrefix(p["nonce"], nonce) && p["qop"] == "auth" &&
		p["response"] == want && p["uri"] == r.URL.RequestURI()
	return good, p["nonce"] == current
}
