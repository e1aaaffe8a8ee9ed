package identify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// identifyTraced runs one identification and returns the connections it
// attempted outside HTTP (RPC, v3, gRPC; host:port, in order). HTTP
// requests are counted on the fake's web server.
func identifyTraced(t *testing.T, ctx context.Context, f *capserve.Miner) (Result, []string, error) {
	t.Helper()
	id := newIdentifier(f.Target, f.V3Port, families())
	r, err := id.run(ctx)
	return r, id.dials, err
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func capDir(key string) string { return captureRoot + "/" + key }

// Identification costs few round trips, counted on the fakes: requests per
// server and connections attempted per port.
func TestIdentifyRoundTrips(t *testing.T) {
	load := func(key string) capserve.Capture { return capserve.Load(t, capDir(key)) }

	t.Run("stock antminer: root, 4028 version, MaraFW check", func(t *testing.T) {
		c := load("antminer/S19Pro_49.0.1.3")
		f := capserve.Start(t, c, capserve.Spec{Root: &capserve.RootBitmain, RPC: true})
		r, dials, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, Result{Driver: "antminer", Make: "Antminer", Model: "S19 Pro", Firmware: "stock"}, r)
		// The MaraFW check answers the root's Digest challenge directly:
		// one request, 404 on stock firmware.
		require.Equal(t, []string{"/", "/kaonsu/v1/brief"}, f.WebReqs.List())
		require.Equal(t, []string{"version"}, f.RPC.Commands())
		require.Equal(t, []string{addr(f.Target.Ports.RPC)}, dials, "no v3, gRPC or ePIC probe")
	})

	t.Run("hiveon behind Bitmain's realm: root and version, no MaraFW check", func(t *testing.T) {
		f := capserve.Start(t, load("hiveon/S9_Hiveon_30.0.1.3_rwglr_20191120"), capserve.Spec{Root: &capserve.RootBitmain, RPC: true})
		r, dials, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, "hiveon", r.Driver)
		require.Equal(t, []string{"/"}, f.WebReqs.List())
		require.Equal(t, []string{"version"}, f.RPC.Commands())
		require.Len(t, dials, 1)
	})

	t.Run("certain page: one request", func(t *testing.T) {
		f := capserve.Start(t, load("luxos/S19kPro_2025.4.8.220305"), capserve.Spec{Root: &capserve.RootLux, RPC: true})
		r, dials, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, "luxos", r.Driver)
		require.Equal(t, []string{"/"}, f.WebReqs.List())
		require.Empty(t, f.RPC.Commands())
		require.Empty(t, dials)
	})

	t.Run("marathon: realm, 4028 refused, kaonsu JSON", func(t *testing.T) {
		f := capserve.Start(t, load("marathon/KS5Pro_rel3.14_584"), capserve.Spec{Root: &capserve.RootBitmain, WebPages: true})
		r, dials, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, Result{Driver: "marathon", Make: "Antminer", Firmware: "marathon"}, r)
		require.Equal(t, []string{"/", "/kaonsu/v1/brief"}, f.WebReqs.List())
		require.Equal(t, []string{addr(f.Target.Ports.RPC)}, dials, "4028 refused once, then left alone; kaonsu before gRPC or v3")
	})

	t.Run("marafw whose 4028 says only Antminer: kaonsu decides", func(t *testing.T) {
		c := load("antminer/S19Pro_49.0.1.3")
		c.Web = load("marathon/KS5Pro_rel3.14_584").Web // HAND-COMBINED: no MaraFW 4028 capture exists
		f := capserve.Start(t, c, capserve.Spec{Root: &capserve.RootBitmain, RPC: true, WebPages: true})
		r, _, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, Result{Driver: "marathon", Make: "Antminer", Model: "S19 Pro", Firmware: "marathon"}, r)
		require.Equal(t, []string{"/", "/kaonsu/v1/brief"}, f.WebReqs.List())
		require.Equal(t, []string{"version"}, f.RPC.Commands())
	})

	t.Run("whatsminer: 307 to HTTPS, its LuCI page", func(t *testing.T) {
		f := capserve.Start(t, load("whatsminer/M31S_20210109.22.REL"), capserve.Spec{Root: &capserve.RootWhats, RPC: true})
		r, dials, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, "whatsminer", r.Driver)
		require.Equal(t, []string{"/", "https:/"}, f.WebReqs.List())
		require.Empty(t, f.RPC.Commands())
		require.Empty(t, dials)
	})

	t.Run("vnish 1.2 api only: version invalid, then its stats", func(t *testing.T) {
		f := capserve.Start(t, load("vnish/S21Pro_1.2.7"), capserve.Spec{RPC: true})
		r, _, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, Result{Driver: "vnish", Make: "Antminer", Model: "S21 Pro", Firmware: "vnish"}, r)
		// Braiins' devdetails comes first in the round and says "Bitmain":
		// a guess of stock firmware, which stops the questions that only
		// look for other families (Whatsminer's summary) but not Vnish's
		// stats, which names it.
		require.Equal(t, []string{"version", "devdetails", "stats"}, f.RPC.Commands())
	})

	t.Run("every port refuses: one connect per port", func(t *testing.T) {
		f := capserve.Start(t, capserve.Capture{}, capserve.Spec{})
		start := time.Now()
		_, dials, err := identifyTraced(t, testCtx(t), f)
		require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
		require.Equal(t, []string{addr(f.Target.Ports.RPC), addr(f.Target.Ports.GRPC), addr(f.V3Port)}, dials,
			"no retries, no ePIC probe on the refused 4028 port")
		require.Less(t, time.Since(start), time.Second)
	})

	t.Run("goldshell: plain root, 4028 summary names intminer", func(t *testing.T) {
		f := capserve.Start(t, load("goldshell/sc5proii_2.2.0"), capserve.Spec{Root: &capserve.RootPlain, RPC: true, WebPages: true})
		r, _, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		require.Equal(t, "goldshell", r.Driver)
		require.Equal(t, []string{"/"}, f.WebReqs.List(), "4028 settled it before /mcb/status")
		// version and devdetails refused; Whatsminer's summary question
		// gets intminer's answer.
		require.Equal(t, []string{"version", "devdetails", "summary"}, f.RPC.Commands())
	})

	t.Run("goldshell: plain root, 4028 refused, /mcb/status", func(t *testing.T) {
		f := capserve.Start(t, load("goldshell/sc5proii_2.2.0"), capserve.Spec{Root: &capserve.RootPlain, WebPages: true})
		r, _, err := identifyTraced(t, testCtx(t), f)
		require.NoError(t, err)
		// /mcb/status model "Goldshell-SC5ProⅡ": "Goldshell-" dropped, "Ⅱ" -> "II".
		require.Equal(t, Result{Driver: "goldshell", Make: "Goldshell", Model: "SC5 Pro II", Firmware: "stock"}, r)
		require.Contains(t, f.WebReqs.List(), "/mcb/status")
	})
}

// A gRPC server alone (Braiins OS+ with 4028 and the web UI off).
func TestIdentifyGRPC(t *testing.T) {
	f := capserve.Start(t, capserve.Capture{}, capserve.Spec{GRPC: true})
	r, err := IdentifyMiner(testCtx(t), f.Target, f.V3Port)
	require.NoError(t, err)
	require.Equal(t, Result{Driver: "braiins", Make: "Antminer", Firmware: "braiins"}, r)
	require.Equal(t, int32(1), f.GRPCConns.Load())
}

// A miner that accepts and never answers costs at most a probe timeout per
// port it accepted on, and the caller's deadline bounds everything.
func TestIdentifySilentMiner(t *testing.T) {
	port, accepted := silentPort(t)
	closed := closedPort(t)
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: closed, RPC: port, GRPC: closed}}

	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Identify(ctx, target, closed)
	require.Less(t, time.Since(start), 1200*time.Millisecond, "the miner's deadline bounds identification")
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "%v", err)
	require.Equal(t, int32(1), accepted.Load(), "a silent 4028 is asked once")

	// Without a deadline: one cgminer command, one HTTP request (ePIC's
	// API sits on that port), each bounded by the probe timeout.
	accepted.Store(0)
	start = time.Now()
	_, err = Identify(context.Background(), target, closed)
	require.Less(t, time.Since(start), 2*probeTimeout+time.Second)
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err), "%v", err)
	require.Equal(t, int32(2), accepted.Load())
}

// silentPort accepts connections and never reads nor answers.
func silentPort(t *testing.T) (int, *atomic.Int32) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	n := &atomic.Int32{}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().(*net.TCPAddr).Port, n
}

// A certain answer naming a family whose driver is not registered is
// unsupported at once, naming the firmware.
func TestIdentifyUnregistered(t *testing.T) {
	f := capserve.Start(t, capserve.Capture{}, capserve.Spec{Root: &capserve.Root{Status: 200, Body: "<title>Miner UI</title>"}})
	fams := append([]family{{name: "nosuchdriver", id: drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("miner ui") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
	}}}, families()...)
	_, err := newIdentifier(f.Target, f.V3Port, fams).run(testCtx(t))
	require.ErrorIs(t, err, drivers.ErrUnsupported)
	require.ErrorIs(t, err, errNotRegistered)
	require.Contains(t, err.Error(), "nosuchdriver")
}

// What identification costs each real capture served as its firmware
// really is (fullSpec): at most two web requests (the root and one
// follow-up: MaraFW's check behind Bitmain's realm, Whatsminer's HTTPS
// page), at most two cgminer commands (version, and stats when version is
// refused), one HTTP request on the RPC port, and no connection to a port
// the firmware does not have beyond the RPC port.
func TestIdentifyCostOnEveryCapture(t *testing.T) {
	fams, err := os.ReadDir(captureRoot)
	require.NoError(t, err)
	for _, fam := range fams {
		if !drivers.Registered(fam.Name()) {
			continue // captures of a family no driver reads yet
		}
		dirs, _ := os.ReadDir(filepath.Join(captureRoot, fam.Name()))
		for _, d := range dirs {
			if !d.IsDir() {
				continue
			}
			key := fam.Name() + "/" + d.Name()
			c := capserve.Load(t, filepath.Join(captureRoot, key))
			f := capserve.Start(t, c, capserve.FullSpec(fam.Name(), c))
			r, dials, err := identifyTraced(t, testCtx(t), f)
			require.NoError(t, err, key)
			require.Equal(t, fam.Name(), r.Driver, key)
			require.LessOrEqual(t, len(f.WebReqs.List()), 2, "%s: %v", key, f.WebReqs.List())
			if f.RPC != nil {
				require.LessOrEqual(t, len(f.RPC.Commands()), 2, "%s: %v", key, f.RPC.Commands())
			}
			require.LessOrEqual(t, len(f.RPCHTTP.List()), 1, key)
			for _, a := range dials {
				require.Equal(t, addr(f.Target.Ports.RPC), a, "%s: only the RPC port outside HTTP", key)
			}
		}
	}
}

// BenchmarkIdentifyStockAntminer is one identification of the commonest
// miner: Bitmain's realm, MaraFW's check, version.
func BenchmarkIdentifyStockAntminer(b *testing.B) {
	c := capserve.Load(b, capDir("antminer/S19Pro_49.0.1.3"))
	f := capserve.Start(b, c, capserve.Spec{Root: &capserve.RootBitmain, RPC: true})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := IdentifyMiner(ctx, f.Target, f.V3Port); err != nil {
			b.Fatal(err)
		}
	}
}

// identifyKnownTraced is identifyTraced with what a scan learnt.
func identifyKnownTraced(t *testing.T, ctx context.Context, f *capserve.Miner, k Known) (Result, []int, []string, error) {
	t.Helper()
	id := newIdentifier(f.Target, f.V3Port, families())
	id.know(k)
	r, err := id.run(ctx)
	require.False(t, id.cut, "nothing timed out")
	return r, id.open(), id.dials, err
}

// Ports a scan saw refuse are not asked again: a Whatsminer on API v3
// only (its 4028 and web closed, as on recent firmware with the old API
// off) is identified with the one v3 connection, where without the scan's
// knowledge the refused 4028 and gRPC ports are dialled too.
func TestIdentifyKnownRefusedPortsAreNotAsked(t *testing.T) {
	c := capserve.Load(t, capDir("whatsminer/M60S_v3_20251209.16.Rel2"))
	f := capserve.Start(t, c, capserve.Spec{V3: true})
	v3 := addr(f.V3Port)
	r, open, dials, err := identifyKnownTraced(t, testCtx(t), f, Known{})
	require.NoError(t, err)
	require.Equal(t, "whatsminer", r.Driver)
	require.Contains(t, dials, addr(f.Target.Ports.RPC), "without knowledge the refused 4028 is dialled")
	require.Greater(t, len(dials), 1, "%v", dials)
	require.Equal(t, []int{f.V3Port}, open)

	k := Known{Refused: []int{f.Target.Ports.RPC, f.Target.Ports.Web, f.Target.Ports.GRPC}}
	r2, _, dials, err := identifyKnownTraced(t, testCtx(t), f, k)
	require.NoError(t, err)
	require.Equal(t, r, r2, "the same identification")
	require.NotEmpty(t, dials)
	for _, d := range dials {
		require.Equal(t, v3, d, "only the v3 port is dialled: %v", dials)
	}
}

// A miner whose every port refused the scan is connection_refused without
// a single dial.
func TestIdentifyKnownAllRefused(t *testing.T) {
	f := capserve.Start(t, capserve.Capture{}, capserve.Spec{})
	k := Known{Refused: []int{f.Target.Ports.RPC, f.Target.Ports.Web, f.V3Port, f.Target.Ports.GRPC}}
	_, open, dials, err := identifyKnownTraced(t, testCtx(t), f, k)
	require.ErrorIs(t, err, drivers.ErrRefused)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
	require.Empty(t, dials)
	require.Empty(t, open)
}
