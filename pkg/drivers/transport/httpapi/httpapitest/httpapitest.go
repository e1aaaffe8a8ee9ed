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
	Conns    atomic.Int32 // TCP connections accepted
	Requests atomic.Int32
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
	s.Requests.Add(1)
	if !s.authorized(r) {
		s.Unauth.Add(1)
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm=%q, nonce=%q, qop="auth"`, s.Realm, nonce))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "<html><head><title>401 - Unauthorized</title></head><body><h1>401 - Unauthorized</h1></body></html>\n")
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/cgi-bin/")
	name, ok2 := strings.CutSuffix(name, ".cgi")
	body, have := s.Pages[name]
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

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		return false
	}
	p := map[string]string{}
	for _, m := range paramRe.FindAllStringSubmatch(h, -1) {
		p[m[1]] = m[2] + m[3]
	}
	ha1 := md5hex(s.User + ":" + s.Realm + ":" + s.Password)
	ha2 := md5hex(r.Method + ":" + r.URL.RequestURI())
	want := md5hex(ha1 + ":" + nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	return p["username"] == s.User && p["nonce"] == nonce && p["qop"] == "auth" && p["response"] == want &&
		p["uri"] == r.URL.RequestURI()
}
