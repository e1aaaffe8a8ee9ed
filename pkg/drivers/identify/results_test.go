package identify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// The examples: an AxeOS device whose root page is unfamiliar but
// whose /api/system/info answers.
func TestAxeOSByItsAPI(t *testing.T) {
	c := capserve.Load(t, capDir("bitaxe/Supra401_v2.4.5"))
	f := capserve.Start(t, c, capserve.Spec{Root: &capserve.RootPlain, WebPages: true})
	r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
	require.NoError(t, err)
	// ASICModel "BM1368" with no deviceModel: the Supra.
	require.Equal(t, Result{Driver: "bitaxe", Make: "Bitaxe", Model: "Supra", Firmware: "esp-miner"}, r)
	require.Equal(t, 1, strings.Count(strings.Join(f.WebReqs.List(), " "), "/api/system/info"), "asked once")
}

// A Whatsminer whose summary, get_version and devs answer while version,
// devdetails and stats are refused ("Invalid command").
func TestWhatsminerRefusingVersion(t *testing.T) {
	full := capserve.Load(t, capDir("whatsminer/M20SV10_20210322.22.REL"))
	for _, keep := range [][]string{
		{"summary", "get_version", "devs"},
		{"get_version"}, // "whatsminer v1.4.0" alone
		{"devs"},        // Fan Speed In/Out, asked by Goldshell's round
	} {
		c := capserve.Capture{RPC: map[string][]byte{}}
		for _, k := range keep {
			c.RPC[k] = full.RPC[k]
		}
		f := capserve.Start(t, c, capserve.Spec{RPC: true})
		r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
		require.NoError(t, err, "%v", keep)
		require.Equal(t, "whatsminer", r.Driver, "%v", keep)
		seen := map[string]int{}
		for _, cmd := range f.RPC.Commands() {
			seen[cmd]++
			require.Equal(t, 1, seen[cmd], "%v: %s asked twice", keep, cmd)
		}
	}
}

// The result rules: unsupported when anything answered (saying what),
// connection_refused only when every port refused, timeout only when
// nothing answered.
func TestIdentifyResultClasses(t *testing.T) {
	toaster := capserve.Capture{RPC: map[string][]byte{ // HAND-MADE: a cgminer that names no known firmware
		"version": []byte(`{"STATUS":[{"STATUS":"S","Msg":"versions","Description":"toaster 1.0"}],"VERSION":[{"Type":"Toaster 3000"}],"id":1}`),
	}}

	t.Run("unknown RPC, other ports refused: unsupported, not refused", func(t *testing.T) {
		f := capserve.Start(t, toaster, capserve.Spec{RPC: true})
		_, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
		require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
		require.Contains(t, err.Error(), addr(f.Target.Ports.RPC)+` RPC "version": "{\"STATUS\":[{\"STATUS\":\"S\",\"Msg\":\"versions\",\"Descr"...`)
	})

	t.Run("unknown web page, RPC refused: unsupported", func(t *testing.T) {
		f := capserve.Start(t, capserve.Capture{}, capserve.Spec{Root: &capserve.Root{Status: 200, Body: "<html><title>router\x01</title></html>"}})
		f.Target.Password = "s3cret-pass"
		_, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
		require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
		require.Contains(t, err.Error(), addr(f.Target.Ports.Web)+` GET /: HTTP 200 "<html><title>router\x01</title></html>"`, "quoted, control bytes escaped")
		require.NotContains(t, err.Error(), "s3cret-pass")
	})

	t.Run("unknown 401 realm: unsupported, the realm said", func(t *testing.T) {
		f := capserve.Start(t, capserve.Capture{}, capserve.Spec{Root: &capserve.Root{Status: 401, Realm: "Router Admin"}})
		_, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
		require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
		require.Contains(t, err.Error(), `HTTP 401 "Digest realm=\"Router Admin\"`)
	})

	t.Run("garbage on the RPC port: unsupported", func(t *testing.T) {
		g := &fakeminer.Miner{Mode: fakeminer.Garbage, Replies: map[string][]byte{}}
		require.NoError(t, g.Start("127.0.0.1:0"))
		t.Cleanup(g.Close)
		closed := closedPort(t)
		_, err := IdentifyMiner(testCtx(t), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: g.Port(), Web: closed, GRPC: closed}}, closed)
		require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
		require.Contains(t, err.Error(), `RPC "version": "\xff\xfe{{[[\x01\x02garbage`)
		require.Equal(t, 1, strings.Count(err.Error(), "127.0.0.1:"+strconv.Itoa(g.Port())), "the first thing a port said, once")
	})

	t.Run("a port that closes on HTTP gets one request", func(t *testing.T) {
		port, accepts := closingPort(t)
		closed := closedPort(t)
		_, err := IdentifyMiner(testCtx(t), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: port, Web: closed, GRPC: closed}}, closed)
		require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
		// version (garbage), then ePIC's /capabilities (closed on); not
		// /summary.
		require.Equal(t, int32(2), accepts.Load())
	})

	t.Run("every port refused: connection_refused", func(t *testing.T) {
		f := capserve.Start(t, capserve.Capture{}, capserve.Spec{})
		_, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
		require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
		require.Contains(t, err.Error(), "127.0.0.1")
	})

	t.Run("silent and refused ports: timeout", func(t *testing.T) {
		port, _ := silentPort(t)
		closed := closedPort(t)
		_, err := IdentifyMiner(testCtx(t), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closed, Web: port, GRPC: closed}}, closed)
		require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "%v", err)
	})
}

// bitmainBased are the families on Bitmain hardware whose replies also say
// "Antminer": one of their replies alone may honestly look like stock
// firmware.
var bitmainBased = map[string]bool{"hiveon": true, "vnish": true, "luxos": true, "braiins": true, "marathon": true}

// Each RPC reply of every capture, alone (every other command refused):
// the family when that reply holds something unique to it, antminer for
// a Bitmain-based firmware's reply that only says "Antminer", else
// unsupported. Never another family, never refused or timeout.
func TestIdentifyFromEachReplyAlone(t *testing.T) {
	fams, err := os.ReadDir(captureRoot)
	require.NoError(t, err)
	identified := map[string]int{}
	for _, fam := range fams {
		dirs, _ := os.ReadDir(filepath.Join(captureRoot, fam.Name()))
		for _, d := range dirs {
			if !d.IsDir() || fam.Name() == "epic" {
				continue
			}
			c := capserve.Load(t, filepath.Join(captureRoot, fam.Name(), d.Name()))
			for cmd, body := range c.RPC {
				f := capserve.Start(t, capserve.Capture{RPC: map[string][]byte{cmd: body}}, capserve.Spec{RPC: true})
				r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
				name := fam.Name() + "/" + d.Name() + " " + cmd
				if err != nil {
					require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%s: %v", name, err)
					continue
				}
				if r.Driver != fam.Name() {
					require.True(t, r.Driver == "antminer" && bitmainBased[fam.Name()], "%s: identified as %s", name, r.Driver)
				}
				if r.Driver == fam.Name() {
					identified[fam.Name()]++
				}
			}
		}
	}
	// Families whose own 4028 replies name them (Innosilicon's handmade
	// capture says only "cgminer a10-1.1.0").
	for _, fam := range []string{"antminer", "auradine", "avalon", "braiins", "goldshell", "hiveon", "luxos", "vnish", "whatsminer"} {
		require.Positive(t, identified[fam], "%s: no reply alone identified it", fam)
	}
}

// closingPort answers every connection with garbage and closes it.
func closingPort(t *testing.T) (int, *atomic.Int32) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	n := &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			_, _ = c.Write([]byte("\x15\x03garbage"))
			_ = c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, n
}

// The tls_* options are honoured: with TLS configured, the web port is
// asked over https, verified against the configured CA.
func TestIdentifyOverTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html><head><title>AxeOS</title></head></html>")) // HAND-MADE, as capserve.RootAxe
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	closed := closedPort(t)
	target := drivers.Target{Host: "127.0.0.1", TLS: &tls.Config{RootCAs: pool, ServerName: "example.com"},
		Ports: drivers.Ports{Web: srv.Listener.Addr().(*net.TCPAddr).Port, RPC: closed, GRPC: closed}}
	r, err := IdentifyMiner(testCtx(t), target, closed)
	require.NoError(t, err)
	require.Equal(t, "bitaxe", r.Driver)

	// An untrusted certificate is an answer, not a known firmware.
	target.TLS = &tls.Config{RootCAs: x509.NewCertPool()}
	_, err = IdentifyMiner(testCtx(t), target, closed)
	require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
	require.Contains(t, err.Error(), "TLS")
}

// A miner that answered but whose identification the caller's deadline
// cut short is still unsupported (something answered: DESIGN.md's rule),
// but the identification says it was incomplete, so a caller does not
// take the verdict for a final one. With time for every Ask it is
// complete.
func TestIdentifyCutByDeadlineIsIncomplete(t *testing.T) {
	// A cgminer API that calls every command invalid: each family's own
	// commands are worth asking.
	rpc := &fakeminer.Miner{Replies: map[string][]byte{}, NUL: true, Latency: func() time.Duration { return 150 * time.Millisecond }}
	require.NoError(t, rpc.Start("127.0.0.1:0"))
	t.Cleanup(rpc.Close)
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: rpc.Port(), Web: closedPort(t), GRPC: closedPort(t)}}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, seen, err := IdentifyKnown(ctx, target, closedPort(t), Known{})
	require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
	require.False(t, seen.Incomplete)
	require.Equal(t, []int{rpc.Port()}, seen.Open)
	require.Greater(t, len(rpc.Commands()), 1, "the families' own commands are asked")

	ctx, cancel = context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	_, seen, err = IdentifyKnown(ctx, target, closedPort(t), Known{})
	require.Equal(t, drivers.ResultUnsupported, drivers.Result(err), "%v", err)
	require.True(t, seen.Incomplete)
	require.ErrorContains(t, err, `RPC "version"`, "what answered is said")
}
