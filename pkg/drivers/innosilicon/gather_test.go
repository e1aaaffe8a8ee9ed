package innosilicon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// fakeWeb is a loopback Innosilicon web UI: POST /api/auth hands out JWTs,
// every other POST /api/<page> wants one and answers an unknown or expired
// one with HTTP 200 {"success":false,"token":"expired"}, as the firmware.
type fakeWeb struct {
	user, pass string
	pages      map[string][]byte

	mu     sync.Mutex
	valid  map[string]bool
	n      int
	refuse bool // refuse every token, even fresh ones

	logins, calls, expired atomic.Int32
	srv                    *httptest.Server
}

func startWeb(t *testing.T, pass string, pages map[string][]byte) *fakeWeb {
	f := &fakeWeb{user: "admin", pass: pass, pages: pages, valid: map[string]bool{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeb) port() int {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(f.srv.URL, "http://"))
	n, _ := strconv.Atoi(p)
	return n
}

func (f *fakeWeb) expire() {
	f.mu.Lock()
	f.valid = map[string]bool{}
	f.mu.Unlock()
}

func (f *fakeWeb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/api/") {
		http.Error(w, "no", http.StatusMethodNotAllowed)
		return
	}
	page := strings.TrimPrefix(r.URL.Path, "/api/")
	if page == "auth" {
		f.logins.Add(1)
		if r.ParseForm() != nil || r.PostForm.Get("username") != f.user || r.PostForm.Get("password") != f.pass {
			fmt.Fprint(w, `{"success":false,"message":"username or password error"}`)
			return
		}
		f.mu.Lock()
		f.n++
		tok := "jwt" + strconv.Itoa(f.n)
		f.valid[tok] = true
		f.mu.Unlock()
		fmt.Fprintf(w, `{"success":true,"jwt":%q}`, tok)
		return
	}
	f.calls.Add(1)
	f.mu.Lock()
	ok := f.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] && !f.refuse
	f.mu.Unlock()
	if !ok {
		f.expired.Add(1)
		fmt.Fprint(w, `{"success":false,"token":"expired"}`)
		return
	}
	b, found := f.pages[page]
	if !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html") // not trusted either way
	_, _ = w.Write(b)
}

func startRPC(t *testing.T, replies map[string][]byte, multi bool) *fakeminer.Miner {
	m := &fakeminer.Miner{Replies: replies, Multi: multi, NUL: true}
	require.NoError(t, m.Start("127.0.0.1:0"))
	t.Cleanup(m.Close)
	return m
}

func TestGatherEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rpc, web := load(t, filepath.Join(capDir, "a11_a10-1.1.0_handmade"))
	m := startRPC(t, rpc, true)
	f := startWeb(t, DefaultPassword, web)
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: f.port()}}

	d, err := drv.Gather(ctx, target)
	require.NoError(t, err, "default admin/admin")
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "A11", d.Model)
	require.Equal(t, "3.4", d.APIVersion, "from 4028 version")
	require.InDelta(t, 0.00135305742679, *d.Hashrate, 1e-12, "TH/s")
	require.Len(t, d.Boards, 4)
	require.Len(t, d.Pools, 2, "from 4028 pools")
	require.NotNil(t, d.Errors)
	require.Equal(t, int32(1), f.logins.Load(), "one login")
	require.Equal(t, int32(len(WebPages)), f.calls.Load(), "one POST per page")
	require.Contains(t, m.Commands(), "summary+stats+pools+version", "one joined 4028 request")

	_, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, int32(1), f.logins.Load(), "the JWT is reused across gathers")

	// Expired JWT, signalled with HTTP 200 and a body: renewed exactly once.
	f.expire()
	f.calls.Store(0)
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, int32(2), f.logins.Load())
	require.Equal(t, int32(len(WebPages)+1), f.calls.Load(), "the first page retried once, the rest with the new JWT")

	// A firmware that refuses even a fresh JWT: one more login, no loop;
	// 4028 data is kept and the web failure reported.
	f.mu.Lock()
	f.refuse = true
	f.mu.Unlock()
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err, "4028 answered")
	require.Equal(t, int32(3), f.logins.Load(), "exactly one renewal")
	require.Len(t, d.Problems, len(WebPages))
	require.ErrorIs(t, d.Problems[0], drivers.ErrAuth)
	require.Equal(t, "3.4", d.APIVersion)
	require.Len(t, d.Pools, 2)
	f.mu.Lock()
	f.refuse = false
	f.mu.Unlock()

	// Wrong credentials with 4028 down: auth_failed, one login per gather,
	// no secret in the error.
	g := startWeb(t, "Inno-Secret", web)
	down := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closedPort(t), Web: g.port()}, Password: "bad-Guess"}
	_, err = drv.Gather(ctx, down)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "%v", err)
	require.NotContains(t, err.Error(), "bad-Guess")
	require.NotContains(t, err.Error(), "Inno-Secret")
	require.Equal(t, int32(1), g.logins.Load(), "one login per gather")
	require.Equal(t, int32(0), g.calls.Load())
	_, err = drv.Gather(ctx, down)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.Equal(t, int32(2), g.logins.Load())
	down.Password = "Inno-Secret"
	d, err = drv.Gather(ctx, down)
	require.NoError(t, err, "web only")
	require.Equal(t, "A11", d.Model)
	require.Len(t, d.Boards, 4)

	// Nothing listening anywhere: connection_refused.
	_, err = (&Driver{Web: httpapi.NewTransport(httpapi.Options{})}).Gather(ctx,
		drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closedPort(t), Web: closedPort(t)}})
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
}

func TestGatherWithoutMulti(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rpc, web := load(t, filepath.Join(capDir, "a11_a10-1.1.0_handmade"))
	m := startRPC(t, rpc, false) // rejects "a+b": one command per connection
	f := startWeb(t, DefaultPassword, web)
	d, err := (&Driver{}).Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: f.port()}})
	require.NoError(t, err)
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "a10-1.1.0", d.FirmwareVersion)
	require.Equal(t, int64(501560), *d.UptimeSeconds, "s, from stats")
	require.Len(t, d.Pools, 2)
	require.Contains(t, m.Commands(), "pools", "asked alone after the joined request was refused")
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

// A careless firmware that echoes what it was sent, on the login and on
// the pages: neither the password nor the JWT comes back in an error.
func TestSecretsNotReflected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const pw = "Refl3cted-PW"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		seen := r.PostForm.Encode() + " " + r.Header.Get("Authorization")
		if r.URL.Path == "/api/auth" && r.PostForm.Get("password") == pw {
			fmt.Fprint(w, `{"success":true,"jwt":"JWT-`+pw+`"}`)
			return
		}
		fmt.Fprintf(w, "wrong %s", seen) // HTTP 200, not JSON
	}))
	defer srv.Close()
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	port, _ := strconv.Atoi(p)
	for _, pass := range []string{"wrong-" + pw, pw} {
		d, err := (&Driver{Web: httpapi.NewTransport(httpapi.Options{})}).Gather(ctx,
			drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closedPort(t), Web: port}, Password: pass})
		require.Error(t, err)
		require.Nil(t, d)
		require.NotContains(t, err.Error(), pw)
		require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "%v", err)
	}
}
