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
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// startWeb serves pages behind Innosilicon's login (internal/capserve:
// POST /api/auth, a Bearer JWT; an unknown or expired one is answered HTTP
// 200 {"success":false,"token":"expired"}, as the firmware does),
// accepting pass.
func startWeb(t *testing.T, pass string, pages map[string][]byte) (*capserve.Login, int) {
	l := capserve.NewLogin("innosilicon", pages).WithPassword(pass, false)
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return l, srv.Listener.Addr().(*net.TCPAddr).Port
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
	f, fPort := startWeb(t, DefaultPassword, web)
	drv, err := drivers.New(Name)
	require.NoError(t, err)
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: fPort}}

	d, err := drv.Gather(ctx, target)
	require.NoError(t, err, "default admin/admin")
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "A11", d.Model)
	require.Equal(t, "3.4", d.APIVersion, "from 4028 version")
	require.InDelta(t, 0.00135305742679, *d.Hashrate, 1e-12, "TH/s")
	require.Len(t, d.Boards, 4)
	require.Len(t, d.Pools, 2, "from 4028 pools")
	require.NotNil(t, d.Errors)
	require.Equal(t, 1, f.Logins(), "one login")
	require.Equal(t, len(WebPages), f.Calls(), "one POST per page")
	require.Contains(t, m.Commands(), "summary+stats+pools+version", "one joined 4028 request")

	_, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Equal(t, 1, f.Logins(), "the JWT is reused across gathers")

	// Expired JWT, signalled with HTTP 200 and a body: renewed exactly once.
	f.Expire()
	f.ResetCalls()
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, 2, f.Logins())
	require.Equal(t, len(WebPages)+1, f.Calls(), "the first page retried once, the rest with the new JWT")

	// A firmware that refuses even a fresh JWT: one more login, no loop;
	// 4028 data is kept and the web failure reported.
	f.Refuse(true)
	d, err = drv.Gather(ctx, target)
	require.NoError(t, err, "4028 answered")
	require.Equal(t, 3, f.Logins(), "exactly one renewal")
	require.Len(t, d.Problems, len(WebPages))
	require.ErrorIs(t, d.Problems[0], drivers.ErrAuth)
	require.Equal(t, "3.4", d.APIVersion)
	require.Len(t, d.Pools, 2)
	f.Refuse(false)

	// Wrong credentials with 4028 down: auth_failed, one login per gather,
	// no secret in the error.
	g, gPort := startWeb(t, "Inno-Secret", web)
	down := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closedPort(t), Web: gPort}, Password: "bad-Guess"}
	_, err = drv.Gather(ctx, down)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "%v", err)
	require.NotContains(t, err.Error(), "bad-Guess")
	require.NotContains(t, err.Error(), "Inno-Secret")
	require.Equal(t, 1, g.Logins(), "one login per gather")
	require.Equal(t, 0, g.Calls())
	_, err = drv.Gather(ctx, down)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.Equal(t, 2, g.Logins())
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
	_, fPort := startWeb(t, DefaultPassword, web)
	d, err := (&Driver{}).Gather(ctx, drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: fPort}})
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
