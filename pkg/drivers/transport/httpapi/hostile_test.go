package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

const hostileSecret = "H0STILE-secret-pw"

// tokenLogin is a minimal token login: POST /login, {"token":...}.
func tokenLogin(ctx context.Context, c *Client) (http.Header, error) {
	r, err := c.Send(ctx, Request{Method: http.MethodPost, Path: "/login?pw=" + hostileSecret,
		Body: []byte(`{"pw":"` + hostileSecret + `"}`), NoAuth: true})
	if err != nil {
		return nil, err
	}
	o, err := ParseJSON(r.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: login: %w", c.cfg.Addr, err)
	}
	if o.S("token") == "" {
		return nil, fmt.Errorf("%s: login: %w: no token", c.cfg.Addr, drivers.ErrAuth)
	}
	return http.Header{"Authorization": {o.S("token")}}, nil
}

// Every hostile mode that applies to HTTP, with no auth, Digest and a token
// login: each returns within its deadline with the expected class, names
// the miner and never the password or the login query, keeps no heap,
// and leaves no goroutine (idle keep-alive connections closed first).
func TestHostileMiners(t *testing.T) {
	const deadline = 1500 * time.Millisecond
	want := map[hostile.Mode]string{
		hostile.Silent:       drivers.ResultTimeout,
		hostile.Slowloris:    drivers.ResultTimeout,
		hostile.Stream:       drivers.ResultBadResponse, // body over the 4 MiB limit
		hostile.Reset:        drivers.ResultBadResponse,
		hostile.Half:         drivers.ResultBadResponse, // unexpected EOF
		hostile.Garbage:      drivers.ResultBadResponse,
		hostile.HTML:         drivers.ResultBadResponse,
		hostile.TLS:          drivers.ResultBadResponse,
		hostile.DeepJSON:     drivers.ResultBadResponse,
		hostile.HugeNumber:   drivers.ResultSuccess,
		hostile.HugeString:   drivers.ResultSuccess,
		hostile.HugeLength:   drivers.ResultBadResponse, // read stops at the limit
		hostile.RedirectLoop: drivers.ResultBadResponse,
		hostile.RedirectAway: drivers.ResultBadResponse,
		hostile.Unauthorized: drivers.ResultAuthFailed,
	}
	modes := hostile.Modes(hostile.HTTP)
	require.Len(t, want, len(modes), "a case per mode")
	for _, mode := range modes {
		for _, auth := range []string{"none", "digest", "token"} {
			t.Run(mode.String()+"/"+auth, func(t *testing.T) {
				s := hostile.Start(t, hostile.HTTP, mode)
				var away atomic.Int32
				if mode == hostile.RedirectAway {
					// The "other host": it must never be contacted.
					ln, err := net.Listen("tcp", net.JoinHostPort(hostile.AwayHost, strconv.Itoa(s.Port())))
					require.NoError(t, err)
					go func() {
						for {
							c, err := ln.Accept()
							if err != nil {
								return
							}
							away.Add(1)
							c.Close()
						}
					}()
					defer ln.Close()
				}
				tr := NewTransport(Options{MaxBody: DefaultMaxBody})
				cfg := Config{Addr: s.Addr(), API: "test API", Username: "root", Password: hostileSecret}
				switch auth {
				case "digest":
					cfg.Digest = true
				case "token":
					cfg.Login = tokenLogin
				}
				c := tr.Client(cfg)
				var got jsonval.Obj
				err := hostile.Contain(t, s, deadline, func(ctx context.Context) error {
					r, err := c.GetJSON(ctx, "/cgi-bin/summary.cgi?token="+hostileSecret)
					got = r
					return err
				}, tr.CloseIdle)
				result := want[mode]
				if auth == "token" && result == drivers.ResultSuccess {
					// The login got a JSON reply without a token.
					result = drivers.ResultAuthFailed
				}
				class := drivers.Result(err)
				if mode == hostile.Reset && class == drivers.ResultConnectionRefused {
					// A reset that lands during the dial is classified as
					// refused by netErr (the cgminer client calls it
					// bad_response); see the report. Contained either way.
					class = result
				}
				require.Equal(t, result, class, "error: %v", err)
				require.Zero(t, away.Load(), "a redirect reached another host")
				if err != nil {
					require.Contains(t, err.Error(), s.Addr(), "the error names the miner")
					require.NotContains(t, err.Error(), hostileSecret)
				}
				switch {
				case err != nil && (mode == hostile.HugeNumber || mode == hostile.HugeString):
				case mode == hostile.HugeNumber:
					require.Nil(t, got.Objs("SUMMARY")[0].F("GHS 5s"))
					require.Nil(t, got.Objs("SUMMARY")[0].I("Elapsed"))
				case mode == hostile.HugeString:
					require.Len(t, got.Objs("SUMMARY")[0].S("Type"), hostile.HugeStringLen)
				case mode == hostile.RedirectLoop:
					require.ErrorContains(t, err, "redirect loop")
					require.LessOrEqual(t, s.Requests(), maxRedirects+3, "a loop is cut short")
				case mode == hostile.RedirectAway:
					require.ErrorContains(t, err, "another host")
				case mode == hostile.Unauthorized:
					// One attempt per gather: Digest answers the challenge
					// once; a token login is tried once. Then the client
					// fails at once without asking again.
					require.LessOrEqual(t, s.Requests(), 2, "no login loop")
					n := s.Requests()
					_, err2 := c.Get(context.Background(), "/cgi-bin/pools.cgi")
					require.ErrorIs(t, err2, drivers.ErrAuth)
					require.Equal(t, n, s.Requests(), "a refused client asks no more")
				}
			})
		}
	}
}
