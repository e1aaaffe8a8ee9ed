package asic

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/auradine"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3/btminerv3test"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/whatsminer"
)

const sentinelPW = "S3NT1NEL-pw-Zk7"

// reflectingWeb is a hostile web UI for the token and cookie logins: it
// accepts the right password, and on a wrong one answers with a page that
// repeats every credential it was sent (query, body, headers), the way a
// careless firmware's error page might. Nothing of it may come back out.
func reflectingWeb(t *testing.T, right string) int {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		seen := r.URL.RawQuery + " " + string(body) + " " + r.Header.Get("Authorization") + " " + r.Header.Get("Cookie")
		ok := strings.Contains(seen, right) || strings.Contains(seen, "tok-"+right[:3])
		reflect := func(code int) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(code)
			fmt.Fprintf(w, "wrong password %s for %s", seen, r.URL.String())
		}
		token := "tok-" + right[:3]
		switch r.URL.Path {
		case "/api/v1/unlock", "/api/v1/auth/login": // vnish, braiins REST
			if !ok {
				reflect(http.StatusUnauthorized)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"token": token})
		case "/user/login": // goldshell
			if !ok {
				reflect(http.StatusOK)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"JWT Token": token})
		case "/token": // auradine
			if !ok {
				reflect(http.StatusUnauthorized)
				return
			}
			fmt.Fprintf(w, `{"Token":[{"Token":%q}]}`, token)
		case "/user/loginpost": // iceriver
			if !ok {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprintf(w, "<html><title>login</title>wrong %s</html>", seen)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "session", Value: token})
			fmt.Fprint(w, `{"error":0}`)
		default:
			if !ok {
				reflect(http.StatusUnauthorized)
				return
			}
			fmt.Fprintf(w, `{"echo":%q}`, seen) // even a good page repeats what it got
		}
	}))
	t.Cleanup(srv.Close)
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	var port int
	_, _ = fmt.Sscan(p, &port)
	return port
}

// Every auth path, run with the sentinel as the configured password, the
// miner expecting it (right) or something else (wrong): the sentinel
// appears in no log line, error, metric tag or field.
func TestSecretsNeverLeakAnyAuthPath(t *testing.T) {
	closed := closedPort(t)
	digestPages := map[string]string{
		"antminer": "antminer/S19Pro_49.0.1.3", "elphapex": "elphapex/DG1Plus_1.0.2",
		"hammer": "hammer/D10_2023-05-28", "marathon": "elphapex/DG1Plus_1.0.2",
	}
	// A setup configures p; what it returns runs after Init (a driver
	// instance on a test port).
	type setup func(t *testing.T, p *Asic, serverPW string) func()
	cases := map[string]setup{}
	for drv, dir := range digestPages {
		cases[drv+" Digest"] = func(t *testing.T, p *Asic, serverPW string) func() {
			srv := httpapitest.Start(t, httpapitest.LoadWebDir(t, "../../../testdata/"+dir), "root", serverPW)
			p.Driver, p.Ports.Web = drv, srv.Port()
			return nil
		}
	}
	for _, drv := range []string{"vnish", "goldshell", "iceriver", "braiins"} {
		cases[drv+" token/cookie"] = func(t *testing.T, p *Asic, serverPW string) func() {
			p.Driver, p.Ports.Web = drv, reflectingWeb(t, serverPW)
			return nil
		}
	}
	cases["auradine token"] = func(t *testing.T, p *Asic, serverPW string) func() {
		p.Driver = "auradine"
		port := reflectingWeb(t, serverPW)
		return func() { p.fixed = auradine.Driver{WebPort: port} }
	}
	cases["braiins gRPC"] = func(t *testing.T, p *Asic, serverPW string) func() {
		mode := hostile.Unauthorized
		if serverPW == sentinelPW {
			mode = hostile.StallCalls // logged in; then every call stalls
		}
		p.Driver, p.Ports.GRPC = "braiins", hostile.Start(t, hostile.GRPC, mode).Port()
		return nil
	}
	cases["whatsminer v3 (no password on reads)"] = func(t *testing.T, p *Asic, _ string) func() {
		raw, err := btminerv3test.LoadDir("../../../testdata/whatsminer/M60S_v3_20251209.16.Rel2")
		require.NoError(t, err)
		s := &btminerv3test.Server{Replies: raw, Join: true}
		require.NoError(t, s.Start("127.0.0.1:0"))
		t.Cleanup(s.Close)
		p.Driver = "whatsminer"
		return func() { d := whatsminer.New(); d.V3Port = s.Port(); p.fixed = d }
	}
	for name, set := range cases {
		for _, right := range []bool{false, true} {
			serverPW := "not-the-sentinel"
			if right {
				serverPW = sentinelPW
			}
			t.Run(fmt.Sprintf("%s/right=%v", name, right), func(t *testing.T) {
				log := &testutil.CaptureLogger{}
				p := New()
				p.Miners = []string{"127.0.0.1"}
				p.Username = config.NewSecret([]byte("root"))
				p.Password = config.NewSecret([]byte(sentinelPW))
				p.Ports = Ports{RPC: closed, Web: closed, GRPC: closed}
				p.Timeout = config.Duration(2 * time.Second)
				p.Log = log
				after := set(t, p, serverPW)
				require.NoError(t, p.Init())
				if after != nil {
					after()
				}
				var acc testutil.Accumulator
				require.NoError(t, p.Gather(&acc))

				var seen strings.Builder
				for _, e := range acc.Errors {
					fmt.Fprintln(&seen, e.Error())
				}
				for _, m := range log.Messages() {
					fmt.Fprintln(&seen, m)
				}
				for _, m := range acc.GetTelegrafMetrics() {
					fmt.Fprintln(&seen, m.Name(), m.Tags(), m.Fields())
				}
				require.Contains(t, seen.String(), "asic_status")
				for _, m := range acc.GetTelegrafMetrics() {
					if m.Name() == "asic_status" {
						// The refusal is seen as such (goldshell: its wrong-password
						// page is not JSON, and 4028 is closed; whatsminer reads
						// need no password).
						if !right && !strings.Contains(name, "goldshell") && !strings.Contains(name, "whatsminer") {
							if r := m.Tags()["result"]; r != "timeout" || !loaded() {
								require.Equal(t, "auth_failed", r)
							}
						}
					}
				}
				require.NotContains(t, seen.String(), sentinelPW)
				require.NotContains(t, seen.String(), sentinelPW[:8], "not even a prefix of it")
			})
		}
	}
}
