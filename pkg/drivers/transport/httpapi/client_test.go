package httpapi

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

const secret = "s3cret-Pa55"

// RFC 7616 §3.9.1: the MD5 and SHA-256 responses for the same request.
func TestDigestRFC7616Vectors(t *testing.T) {
	old := cnonceFunc
	cnonceFunc = func() string { return "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ" }
	defer func() { cnonceFunc = old }()
	for alg, want := range map[string]string{
		"MD5":     "8ca523f5e9506fed4657c9700eebdbec",
		"SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
	} {
		ch, ok := pickDigest(parseAuthHeader([]string{`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=` + alg +
			`, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`}))
		require.True(t, ok, alg)
		h := ch.authorize("Mufasa", "Circle of Life", "GET", "/dir/index.html", 1)
		require.Contains(t, h, `response="`+want+`"`, alg)
		require.Contains(t, h, `nc=00000001`)
		require.Contains(t, h, `opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`)
		require.Contains(t, h, "algorithm="+alg)
	}
}

func TestParseAuthHeaderSeveralChallenges(t *testing.T) {
	cs := parseAuthHeader([]string{`Basic realm="x", Digest realm="r", nonce="n1", algorithm=MD5, qop="auth"`,
		`Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth"`})
	require.Len(t, cs, 3)
	ch, ok := pickDigest(cs)
	require.True(t, ok)
	require.Equal(t, "SHA-256", ch.algorithm, "the stronger algorithm is chosen")
	require.Equal(t, "n2", ch.nonce)
	_, ok = pickDigest(parseAuthHeader([]string{`Digest realm="r", nonce="n", qop="auth-int"`}))
	require.False(t, ok, "auth-int only is not answerable")
}

// digestServer enforces Digest auth with its own verification code.
type digestServer struct {
	user, pass, realm, alg string
	mu                     sync.Mutex
	nonce                  string
	requests               atomic.Int32
	unauth                 atomic.Int32
	conns                  atomic.Int32
	staleOnce              atomic.Bool
	handler                http.HandlerFunc
}

var paramRe = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))`)

func (s *digestServer) hash(parts ...string) string {
	j := strings.Join(parts, ":")
	if s.alg == "SHA-256" {
		x := sha256.Sum256([]byte(j))
		return hex.EncodeToString(x[:])
	}
	x := md5.Sum([]byte(j))
	return hex.EncodeToString(x[:])
}

func (s *digestServer) challenge(w http.ResponseWriter, stale bool) {
	s.unauth.Add(1)
	v := fmt.Sprintf(`Digest realm=%q, nonce=%q, qop="auth", algorithm=%s, opaque="op"`, s.realm, s.nonce, s.alg)
	if stale {
		v += ", stale=true"
	}
	w.Header().Set("WWW-Authenticate", v)
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `<html>401 Unauthorized</html>`)
}

func (s *digestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		s.challenge(w, false)
		return
	}
	p := map[string]string{}
	for _, m := range paramRe.FindAllStringSubmatch(h, -1) {
		p[m[1]] = m[2] + m[3]
	}
	s.mu.Lock()
	nonce := s.nonce
	s.mu.Unlock()
	ha1 := s.hash(s.user, s.realm, s.pass)
	want := s.hash(ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], s.hash(r.Method, r.URL.RequestURI()))
	if p["username"] != s.user || p["response"] != want || p["uri"] != r.URL.RequestURI() || p["opaque"] != "op" {
		s.challenge(w, false)
		return
	}
	if p["nonce"] != nonce {
		s.challenge(w, true)
		return
	}
	if s.staleOnce.CompareAndSwap(true, false) {
		s.mu.Lock()
		s.nonce += "x"
		s.mu.Unlock()
		s.challenge(w, true)
		return
	}
	if s.handler != nil {
		s.handler(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html") // as Bitmain's CGI scripts do
	fmt.Fprintf(w, `{"path":%q,"ok":true}`, r.URL.Path)
}

func startDigest(t *testing.T, alg string) (*digestServer, *httptest.Server) {
	s := &digestServer{user: "root", pass: secret, realm: "antMiner Configuration", alg: alg, nonce: "abc123"}
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return s, srv
}

func addr(srv *httptest.Server) string {
	return strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://")
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestDigestGoodCredentialsReuseConnectionAndChallenge(t *testing.T) {
	for _, alg := range []string{"MD5", "SHA-256"} {
		s, srv := startDigest(t, alg)
		tr := NewTransport(Options{})
		cfg := Config{Addr: addr(srv), Digest: true, Username: "root", Password: secret}
		c := tr.Client(cfg)
		ctx := ctxT(t, 5*time.Second)
		for _, p := range []string{"/cgi-bin/a.cgi", "/cgi-bin/b.cgi", "/cgi-bin/c.cgi?x=1"} {
			o, err := c.GetJSON(ctx, p)
			require.NoError(t, err, alg)
			require.Equal(t, strings.Split(p, "?")[0], o.S("path"))
		}
		// One 401 for the first request; later ones answer the cached
		// challenge pre-emptively. All on one keep-alive connection.
		require.Equal(t, int32(4), s.requests.Load(), alg)
		require.Equal(t, int32(1), s.unauth.Load(), alg)
		require.Equal(t, int32(1), s.conns.Load(), alg)

		// Next gather: a new Client, the challenge is still cached.
		_, err := tr.Client(cfg).GetJSON(ctx, "/d")
		require.NoError(t, err)
		require.Equal(t, int32(1), s.unauth.Load(), alg)
	}
}

// OneShot (identification's transport) keeps no connection: every
// request has its own, so net/http queues no waiter per miner host.
func TestOneShotKeepsNoConnection(t *testing.T) {
	s, srv := startDigest(t, "MD5")
	tr := NewTransport(Options{OneShot: true})
	c := tr.Client(Config{Addr: addr(srv), Digest: true, Username: "root", Password: secret})
	ctx := ctxT(t, 5*time.Second)
	for _, p := range []string{"/a", "/b"} {
		_, err := c.GetJSON(ctx, p)
		require.NoError(t, err)
	}
	require.Equal(t, int32(3), s.requests.Load(), "one 401, then the cached challenge")
	require.Equal(t, int32(3), s.conns.Load(), "a connection per request")
}

func TestDigestStaleNonceRetriedOnce(t *testing.T) {
	s, srv := startDigest(t, "MD5")
	c := NewTransport(Options{}).Client(Config{Addr: addr(srv), Digest: true, Username: "root", Password: secret})
	ctx := ctxT(t, 5*time.Second)
	_, err := c.GetJSON(ctx, "/a")
	require.NoError(t, err)
	s.staleOnce.Store(true)
	_, err = c.GetJSON(ctx, "/b")
	require.NoError(t, err, "a stale nonce is renewed, not an auth failure")
}

func TestDigestWrongAndMissingCredentials(t *testing.T) {
	for name, cfg := range map[string]Config{
		"wrong":   {Digest: true, Username: "root", Password: "not-" + secret},
		"missing": {},
		"no user": {Digest: true},
	} {
		s, srv := startDigest(t, "MD5")
		cfg.Addr = addr(srv)
		c := NewTransport(Options{}).Client(cfg)
		ctx := ctxT(t, 5*time.Second)
		_, err := c.GetJSON(ctx, "/cgi-bin/stats.cgi")
		require.Error(t, err, name)
		require.ErrorIs(t, err, drivers.ErrAuth, name)
		require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), name)
		require.Contains(t, err.Error(), cfg.Addr, "the error names the miner")
		require.Contains(t, err.Error(), "web API", "and the API")
		require.NotContains(t, err.Error(), secret)
		require.NotContains(t, err.Error(), "not-"+secret)
		n := s.requests.Load()
		require.LessOrEqual(t, n, int32(2), "%s: no login loop", name)
		// The rest of the gather fails at once, without traffic.
		_, err = c.GetJSON(ctx, "/cgi-bin/pools.cgi")
		require.ErrorIs(t, err, drivers.ErrAuth)
		require.Equal(t, n, s.requests.Load(), name)
	}
}

func TestBodyLimitHTMLAndLenientJSON(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"a":"`+strings.Repeat("x", 2000)+`"}`)
	})
	mux.HandleFunc("/portal", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json") // lies
		fmt.Fprint(w, "\n  <!DOCTYPE html><html><body>Please log in to the hotel wifi</body></html>")
	})
	mux.HandleFunc("/lenient", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "{\"STATS\":[{\"a\":1}{\"b\":NaN}],\"t\":\"x\ty\",}\x00")
	})
	mux.HandleFunc("/array", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `[1,2]`) })
	mux.HandleFunc("/500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := NewTransport(Options{MaxBody: 1024}).Client(Config{Addr: addr(srv)})
	ctx := ctxT(t, 5*time.Second)

	_, err := c.GetJSON(ctx, "/big")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "%v", err)
	require.Contains(t, err.Error(), "larger than 1024 bytes")

	_, err = c.GetJSON(ctx, "/portal")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
	require.Contains(t, err.Error(), "HTML")

	o, err := c.GetJSON(ctx, "/lenient")
	require.NoError(t, err)
	st := o.Objs("STATS")
	require.Len(t, st, 2, `"}{" repaired`)
	require.Nil(t, st[1].F("b"), "NaN is absent")
	require.Equal(t, "x\ty", o.S("t"))

	_, err = c.GetJSON(ctx, "/array")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))

	_, err = c.GetJSON(ctx, "/nope")
	require.True(t, IsNotFound(err), "%v", err)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
	_, err = c.GetJSON(ctx, "/500")
	require.False(t, IsNotFound(err))
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
}

func TestRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("a redirect was followed to another host")
	}))
	defer other.Close()
	s, srv := startDigest(t, "MD5")
	s.handler = func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/new", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		case "/loop1":
			http.Redirect(w, r, "/loop2", http.StatusMovedPermanently)
		case "/loop2":
			http.Redirect(w, r, "/loop1", http.StatusMovedPermanently)
		default:
			fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
		}
	}
	c := NewTransport(Options{}).Client(Config{Addr: addr(srv), Digest: true, Username: "root", Password: secret})
	ctx := ctxT(t, 5*time.Second)
	o, err := c.GetJSON(ctx, "/old")
	require.NoError(t, err)
	require.Equal(t, "/new", o.S("path"), "same-host redirect followed, re-authenticated")

	_, err = c.GetJSON(ctx, "/away")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
	require.Contains(t, err.Error(), "another host")

	_, err = c.GetJSON(ctx, "/loop1")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
	require.Contains(t, err.Error(), "loop")
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok":true}`) }))
	defer srv.Close()
	ctx := ctxT(t, 5*time.Second)
	cfg := Config{Addr: addr(srv), HTTPS: true}

	_, err := NewTransport(Options{}).Client(cfg).GetJSON(ctx, "/")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "self-signed cert refused by default: %v", err)
	require.Contains(t, err.Error(), "TLS")

	o, err := NewTransport(Options{TLS: &tls.Config{InsecureSkipVerify: true}}).Client(cfg).GetJSON(ctx, "/") //nolint:gosec // the option under test
	require.NoError(t, err)
	require.Equal(t, true, *o.B("ok"))

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	_, err = NewTransport(Options{TLS: &tls.Config{RootCAs: pool}}).Client(cfg).GetJSON(ctx, "/")
	require.NoError(t, err, "a pinned CA verifies")

	// Plain http against the TLS port is a bad response, not a hang.
	_, err = NewTransport(Options{}).Client(Config{Addr: addr(srv)}).GetJSON(ctx, "/")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))
}

func TestTimeoutAndRefused(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx := ctxT(t, 300*time.Millisecond)
	began := time.Now()
	_, err := NewTransport(Options{}).Client(Config{Addr: addr(srv)}).GetJSON(ctx, "/slow")
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "%v", err)
	require.Less(t, time.Since(began), 2*time.Second, "the context deadline bounds the request")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a := ln.Addr().String()
	ln.Close()
	c := NewTransport(Options{}).Client(Config{Addr: a, Digest: true, Username: "root", Password: secret})
	_, err = c.GetJSON(ctxT(t, 2*time.Second), "/x?password="+secret)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
	require.NotContains(t, err.Error(), secret, "the query is not in errors")
	r := c.GetAll(ctxT(t, 2*time.Second), []string{"a", "b"}, func(n string) string { return "/" + n })
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(r.Err()))
}

// tokenServer accepts Bearer tokens it issued; expire invalidates them.
type tokenServer struct {
	mu     sync.Mutex
	valid  map[string]bool
	n      int
	logins atomic.Int32
	deny   bool // reject every token, even fresh ones
	// ok200 answers a refused token with HTTP 200 and this body instead
	// of a 401 (Innosilicon style).
	ok200 string
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/login" {
		s.logins.Add(1)
		if r.URL.Query().Get("pw") != secret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.n++
		tok := fmt.Sprintf("tok%d", s.n)
		s.valid[tok] = true
		s.mu.Unlock()
		fmt.Fprintf(w, `{"token":%q}`, tok)
		return
	}
	s.mu.Lock()
	ok := s.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] && !s.deny
	s.mu.Unlock()
	if !ok && s.ok200 != "" {
		fmt.Fprint(w, s.ok200)
		return
	}
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	fmt.Fprint(w, `{"ok":true}`)
}

func (s *tokenServer) expire() {
	s.mu.Lock()
	s.valid = map[string]bool{}
	s.mu.Unlock()
}

func bearerLogin(pw string) TokenLogin {
	return func(ctx context.Context, c *Client) (http.Header, error) {
		resp, err := c.Send(ctx, Request{Path: "/login?pw=" + pw, NoAuth: true})
		if err != nil {
			return nil, err
		}
		o, err := ParseJSON(resp.Body)
		if err != nil {
			return nil, err
		}
		if o.S("token") == "" {
			return nil, errors.New("no token")
		}
		return http.Header{"Authorization": {"Bearer " + o.S("token")}}, nil
	}
}

func TestTokenLogin(t *testing.T) {
	s := &tokenServer{valid: map[string]bool{}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx := ctxT(t, 5*time.Second)
	tr := NewTransport(Options{})
	cfg := Config{Addr: addr(srv), Login: bearerLogin(secret)}

	c := tr.Client(cfg)
	for range 3 {
		_, err := c.GetJSON(ctx, "/data")
		require.NoError(t, err)
	}
	_, err := tr.Client(cfg).GetJSON(ctx, "/data")
	require.NoError(t, err)
	require.Equal(t, int32(1), s.logins.Load(), "the token is cached per miner across gathers")

	s.expire()
	_, err = tr.Client(cfg).GetJSON(ctx, "/data")
	require.NoError(t, err, "an expired token is renewed")
	require.Equal(t, int32(2), s.logins.Load(), "exactly once")

	s.deny = true
	_, err = tr.Client(cfg).GetJSON(ctx, "/data")
	require.ErrorIs(t, err, drivers.ErrAuth)
	require.Equal(t, int32(3), s.logins.Load(), "one renewal, then auth_failed: no login loop")

	// Wrong password: the login's own 401 is auth_failed; one attempt per gather.
	s2 := &tokenServer{valid: map[string]bool{}}
	srv2 := httptest.NewServer(s2)
	defer srv2.Close()
	c2 := tr.Client(Config{Addr: addr(srv2), Login: bearerLogin("wrong-" + secret)})
	_, err = c2.GetJSON(ctx, "/a")
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "%v", err)
	require.NotContains(t, err.Error(), secret)
	_, err = c2.GetJSON(ctx, "/b")
	require.ErrorIs(t, err, drivers.ErrAuth)
	require.Equal(t, int32(1), s2.logins.Load())
}

func TestTokenExpiredBody(t *testing.T) {
	const expiredBody = `{"success":false,"token":"expired"}`
	s := &tokenServer{valid: map[string]bool{}, ok200: expiredBody}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx := ctxT(t, 5*time.Second)
	tr := NewTransport(Options{})
	var asked atomic.Int32
	expired := func(status int, body []byte) bool {
		asked.Add(1)
		return status == http.StatusOK && bytes.Contains(body, []byte(`"expired"`))
	}
	cfg := Config{Addr: addr(srv), Login: bearerLogin(secret), Expired: expired}

	o, err := tr.Client(cfg).GetJSON(ctx, "/data")
	require.NoError(t, err)
	require.Equal(t, true, *o.B("ok"))
	require.Equal(t, int32(1), s.logins.Load())
	require.Equal(t, int32(1), asked.Load(), "the hook is asked about the authenticated reply, not the login's")

	s.expire()
	o, err = tr.Client(cfg).GetJSON(ctx, "/data")
	require.NoError(t, err, "a token refused with HTTP 200 and a body is renewed")
	require.Equal(t, true, *o.B("ok"), "the renewed request's reply, not the expired one's")
	require.Equal(t, int32(2), s.logins.Load(), "renewed exactly once")

	s.deny = true
	c := tr.Client(cfg)
	_, err = c.GetJSON(ctx, "/data")
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "%v", err)
	require.Equal(t, int32(3), s.logins.Load(), "one renewal, then auth_failed: no login loop")
	_, err = c.GetJSON(ctx, "/more")
	require.ErrorIs(t, err, drivers.ErrAuth)
	require.Equal(t, int32(3), s.logins.Load(), "no further login in the same gather")

	// Without the hook the 200 body is passed through as a reply (the
	// transport does not guess at firmware semantics).
	s.deny = false
	s.expire()
	s2cfg := Config{Addr: addr(srv), Login: bearerLogin(secret), Username: "other"}
	tr2 := NewTransport(Options{})
	_, err = tr2.Client(s2cfg).GetJSON(ctx, "/data")
	require.NoError(t, err)
	s.expire()
	o, err = tr2.Client(s2cfg).GetJSON(ctx, "/data")
	require.NoError(t, err)
	require.Equal(t, "expired", o.S("token"))
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"STATS":[{}{}]}`, "<html>", "\xef\xbb\xbf{\"x\":NaN}", `{"a":[1,2,}`, "", "\x00{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseJSON(b)
		if err == nil && o.IsNil() {
			t.Fatal("nil object without error")
		}
		_ = RepliesFromRaw(map[string][]byte{"x": b}).Err()
	})
}

// A driver's login hook that fails on its own (no token in the reply)
// still yields an error naming the miner and the API, and no secret.
func TestLoginHookErrorNamesMiner(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	hook := func(context.Context, *Client) (http.Header, error) {
		return nil, fmt.Errorf("no token in the reply: %w", drivers.ErrAuth)
	}
	c := NewTransport(Options{}).Client(Config{Addr: addr(srv), API: "Vnish web API", Login: hook, Password: "S3NT1NEL"})
	_, err := c.GetJSON(context.Background(), "/api/v1/summary")
	require.ErrorIs(t, err, drivers.ErrAuth)
	require.Contains(t, err.Error(), addr(srv))
	require.Contains(t, err.Error(), "Vnish web API")
	require.NotContains(t, err.Error(), "S3NT1NEL")
}

// A login hook whose own request failed returns the transport's error: it
// names the miner already (by type, whatever its text), so it is not
// named twice; a hook's error that merely quotes the address still is.
func TestLoginErrorNamedOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	tr := NewTransport(Options{})
	viaTransport := func(ctx context.Context, c *Client) (http.Header, error) {
		_, err := c.Send(ctx, Request{Path: "/login", NoAuth: true})
		return nil, err
	}
	c := tr.Client(Config{Addr: addr(srv), API: "Vnish web API", Login: viaTransport})
	_, err := c.GetJSON(context.Background(), "/api/v1/summary")
	require.Error(t, err)
	var re *RequestError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "/login", re.Path)
	require.Equal(t, 1, strings.Count(err.Error(), addr(srv)), err.Error())
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))

	quoting := func(context.Context, *Client) (http.Header, error) {
		return nil, fmt.Errorf("no token from %s: %w", addr(srv), drivers.ErrAuth)
	}
	c = tr.Client(Config{Addr: addr(srv), API: "Vnish web API", Login: quoting})
	_, err = c.GetJSON(context.Background(), "/api/v1/summary")
	require.Equal(t, addr(srv)+" Vnish web API: login: no token from "+addr(srv)+": authentication failed", err.Error())
}

// WithConnectTimeout bounds the TCP connect of requests made under it (a
// probe), and only those.
func TestWithConnectTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok":true}`) }))
	defer srv.Close()
	ctx := context.Background()
	conn, err := dialUntilDeadline(nil)(ctx, "tcp", addr(srv))
	require.NoError(t, err)
	require.NoError(t, conn.Close())

	_, err = dialUntilDeadline(nil)(WithConnectTimeout(ctx, time.Nanosecond), "tcp", addr(srv))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout(), "a connect bound already spent: %v", err)

	tr := NewTransport(Options{})
	_, err = tr.Client(Config{Addr: addr(srv)}).GetJSON(WithConnectTimeout(ctx, time.Nanosecond), "/")
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "the transport's requests use it")
	o, err := tr.Client(Config{Addr: addr(srv)}).GetJSON(ctx, "/")
	require.NoError(t, err)
	require.Equal(t, true, o.V("ok"))
}
