package braiins

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

const restDir = "testdata/handmade_S21_bos-24.09_rest"

// restFiles maps the fixture files to the methods they answer.
var restFiles = map[string]string{
	"details.json": mDetails, "stats.json": mStats, "hashboards.json": mHashboards,
	"errors.json": mErrors, "cooling.json": mCooling, "pools.json": mPools,
	"perfmode.json": mPerfMode, "tuner.json": mTuner, "config.json": mConfig,
	"locate.json": mLocate, "version.json": mVersion,
}

func loadREST(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for file, m := range restFiles {
		b, err := os.ReadFile(filepath.Join(restDir, file))
		require.NoError(t, err)
		if m == mErrors {
			// The hand-made error is one of this bosminer run: stamp it
			// now, or a gather (which keeps this run's errors) drops it.
			b = bytes.ReplaceAll(b, []byte("2025-03-06T10:01:02Z"), []byte(time.Now().UTC().Format(time.RFC3339)))
		}
		out[m] = b
	}
	return out
}

// restMiner is a fake Braiins OS REST API on 127.0.0.1.
type restMiner struct {
	bodies   map[string][]byte // by method; missing: 404
	password string
	mu       sync.Mutex
	logins   int
	tokens   map[string]bool
	gets     []string
}

func (m *restMiner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.URL.Path == "/api/v1/auth/login" {
		var req struct{ Username, Password string }
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		m.logins++
		if req.Username != "root" || req.Password != m.password {
			http.Error(w, `{"error":"invalid credentials"}`, http.StatusUnauthorized)
			return
		}
		tok := "tok" + strconv.Itoa(m.logins)
		if m.tokens == nil {
			m.tokens = map[string]bool{}
		}
		m.tokens[tok] = true
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"token":"` + tok + `","timeout_s":3600}`))
		return
	}
	m.gets = append(m.gets, r.URL.Path)
	if !m.tokens[r.Header.Get("Authorization")] { // the bare token
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	for method, path := range restPaths {
		if path == r.URL.Path {
			body, ok := m.bodies[method]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
	}
	http.NotFound(w, r)
}

func (m *restMiner) expireTokens() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = nil
}

func startREST(t *testing.T, m *restMiner) drivers.Target {
	t.Helper()
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	return drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: port, GRPC: closedPort(t), RPC: closedPort(t)}}
}

func gatherWith(t *testing.T, drv *Driver, target drivers.Target) (*drivers.MinerData, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return drv.Gather(ctx, target)
}

// checkS21REST asserts the values of the handmade S21 REST fixture, read off
// the JSON by hand.
func checkS21REST(t *testing.T, d *drivers.MinerData) {
	t.Helper()
	require.Empty(t, d.Problems)
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, "S21", d.Model) // miner_model "Antminer S21"
	require.Equal(t, "braiins", d.Firmware)
	require.Equal(t, "sha256", d.Algorithm)
	require.Equal(t, "24.09", d.FirmwareVersion) // "2024-09-02-0-ab2c2e0b-24.09-plus"
	require.Equal(t, "1.3.0", d.APIVersion)
	require.Equal(t, "02:2B:0F:A1:33:7C", d.MAC)
	require.Equal(t, "s21-a07", d.Hostname)
	require.Equal(t, "SMTTB2ZBDJAAJ0123", d.SerialNumber)
	require.Equal(t, i(7260), d.UptimeSeconds, "bosminer_uptime_s, s")
	require.Equal(t, b(true), d.IsMining, "status 2 = NORMAL")
	inDelta(t, f(201.2346), d.Hashrate, "hashrate TH/s: last_1m 201234.6 GH/s / 1e3")
	inDelta(t, f(200), d.ExpectedHashrate, "expected TH/s: nominal 200000 GH/s / 1e3")
	inDelta(t, f(3512), d.PowerWatts, "approximated_consumption W")
	inDelta(t, f(3500), d.PowerLimitWatts, "tunermode power target W")
	require.Equal(t, b(false), d.FaultLight)

	// IDs "2","1","3" arrive out of order: slots 0,1,2 by ID - 1.
	require.Len(t, d.Boards, 3)
	b0, b1, b2 := d.Boards[0], d.Boards[1], d.Boards[2]
	require.Equal(t, []int{0, 1, 2}, []int{b0.Index, b1.Index, b2.Index})
	inDelta(t, f(100.6173), b0.Hashrate, "board 0 TH/s: 100617.3 GH/s / 1e3")
	inDelta(t, f(100), b0.ExpectedHashrate, "board 0 nominal TH/s")
	inDelta(t, f(59.75), b0.Temperature, "board 0 board_temp °C")
	inDelta(t, f(73), b0.ChipTemperature, "board 0 highest chip °C")
	inDelta(t, f(46), b0.InletTemperature, "board 0 inlet °C")
	inDelta(t, f(61.5), b0.OutletTemperature, "board 0 outlet °C")
	require.Equal(t, i(108), b0.Chips)
	inDelta(t, f(13.8), b0.VoltageVolts, "board 0 V")
	inDelta(t, f(490), b0.FrequencyMHz, "board 0 MHz: 490000000 Hz / 1e6")
	require.Equal(t, "YNAHB2ZBDJAAF0001", b0.SerialNumber)
	inDelta(t, f(58.25), b1.Temperature, "board 1 °C")
	inDelta(t, f(71.5), b1.ChipTemperature, "board 1 chip °C")
	// Board 3 is dead but present: 0 chips, 0 TH/s, no chip sensor.
	require.Equal(t, i(0), b2.Chips)
	inDelta(t, f(0), b2.Hashrate, "dead board TH/s")
	inDelta(t, f(31), b2.Temperature, "dead board °C")
	require.Nil(t, b2.ChipTemperature)
	require.Nil(t, b2.InletTemperature)

	require.Len(t, d.Fans, 4)
	for idx, rpm := range []int64{3720, 3690, 3810, 3750} {
		require.Equal(t, idx, d.Fans[idx].Index)
		require.Equal(t, i(rpm), d.Fans[idx].RPM, "fan %d RPM", idx)
		inDelta(t, f(62), d.Fans[idx].Percent, "fan speed %: ratio 0.62 x 100")
	}

	require.Equal(t, []drivers.MinerError{{Code: "HB_CHIPS_MISSING", Message: "Hashboard 3: no chips detected"}}, d.Errors)

	// Pools: group Main (2 pools) then Backup (1), flattened.
	require.Len(t, d.Pools, 3)
	p0 := d.Pools[0]
	require.Equal(t, 0, p0.Index)
	require.Equal(t, "stratum.braiins.com", p0.URL.Host)
	require.Equal(t, 3333, p0.URL.Port)
	require.Equal(t, "fleet.s21a07", p0.User)
	require.Equal(t, i(5120), p0.Accepted)
	require.Equal(t, i(3), p0.Rejected)
	require.Equal(t, i(1), p0.Stale)
	require.Nil(t, p0.GetFailures, "not in the API")
	require.Nil(t, p0.RemoteFailures, "not in the API")
	require.Equal(t, b(true), p0.Active)
	require.Equal(t, b(true), p0.Alive)
	require.Equal(t, "v2.stratum.braiins.com", d.Pools[1].URL.Host)
	require.Equal(t, b(false), d.Pools[1].Active)
	p2 := d.Pools[2]
	require.Equal(t, 2, p2.Index)
	require.Equal(t, "btc.backup-pool.example", p2.URL.Host)
	require.Equal(t, 443, p2.URL.Port)
	require.Equal(t, i(17), p2.Accepted)
	require.Equal(t, i(2), p2.Rejected)
	require.Equal(t, i(4), p2.Stale)
	require.Equal(t, b(false), p2.Alive)
}

func TestParseREST(t *testing.T) {
	checkS21REST(t, ParseREST(&RESTReplies{Bodies: loadREST(t)}))
}

func TestRESTGather(t *testing.T) {
	m := &restMiner{bodies: loadREST(t), password: "s3cret-pw"}
	target := startREST(t, m)
	target.Password = "s3cret-pw"
	drv := &Driver{}
	d, err := gatherWith(t, drv, target)
	require.NoError(t, err)
	checkS21REST(t, d)
	require.Equal(t, 1, m.logins)

	// Token expiry: one new login, no loop.
	m.expireTokens()
	d, err = gatherWith(t, drv, target)
	require.NoError(t, err)
	checkS21REST(t, d)
	require.Equal(t, 2, m.logins, "one re-login after expiry")
}

func TestRESTDefaultPasswords(t *testing.T) {
	// Newer BOS ships without a password: "root" is refused, "" works.
	m := &restMiner{bodies: loadREST(t), password: ""}
	d, err := gatherWith(t, &Driver{}, startREST(t, m))
	require.NoError(t, err)
	require.Equal(t, "S21", d.Model)
	require.Equal(t, 2, m.logins)
}

func TestRESTLoginRefused(t *testing.T) {
	m := &restMiner{bodies: loadREST(t), password: "right"}
	target := startREST(t, m)
	target.Password = "wrong-Secret-123"
	d, err := gatherWith(t, &Driver{}, target)
	require.Nil(t, d)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.NotContains(t, err.Error(), "wrong-Secret-123")
	require.Equal(t, 1, m.logins, "one login, no loop")
	require.Empty(t, m.gets)
}

func TestRESTMissingAndBrokenSections(t *testing.T) {
	bodies := loadREST(t)
	delete(bodies, mErrors)                               // older firmware: 404, skipped silently
	delete(bodies, mPerfMode)                             // 404 too: power target from the tuner state
	bodies[mCooling] = []byte(`{"fans":[{"rpm":"fast"}]`) // truncated
	m := &restMiner{bodies: bodies, password: "root"}
	d, err := gatherWith(t, &Driver{}, startREST(t, m))
	require.NoError(t, err)
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), mCooling)
	require.Empty(t, d.Fans)
	require.Len(t, d.Boards, 3)
	inDelta(t, f(201.2346), d.Hashrate, "hashrate TH/s")
	inDelta(t, f(3500), d.PowerLimitWatts, "tuner current_target W")
	require.NotNil(t, d.Errors, "tuner state is the error report")
	require.Empty(t, d.Errors, "tuner state 2 = STABLE")
}

func TestParseRESTBadFields(t *testing.T) {
	bodies := loadREST(t)
	bodies[mHashboards] = []byte(`{"hashboards":[{"id":"1","enabled":true,"chips_count":-4,"board_temp":{"degree_c":"hot"},"stats":{"real_hashrate":{"last_1m":{"gigahash_per_second":100617.3}}}}]}`)
	d := ParseREST(&RESTReplies{Bodies: bodies})
	require.Len(t, d.Problems, 2)
	all := d.Problems[0].Error() + "\n" + d.Problems[1].Error()
	require.Contains(t, all, "hashboards[0].chips_count")
	require.Contains(t, all, "hashboards[0].board_temp.degree_c")
	require.Len(t, d.Boards, 1)
	inDelta(t, f(100.6173), d.Boards[0].Hashrate, "kept TH/s")
	require.Nil(t, d.Boards[0].Chips)
	require.Nil(t, d.Boards[0].Temperature)
}

// The REST API honours the plugin's TLS options (tls_ca, ...): with them
// the miner is asked over https and its certificate checked against them.
func TestRESTOverTLS(t *testing.T) {
	m := &restMiner{bodies: loadREST(t), password: "root"}
	srv := httptest.NewTLSServer(m)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: port, GRPC: closedPort(t), RPC: closedPort(t)}}

	// No TLS configured: plain http against a TLS port is not this API.
	_, err = gatherWith(t, &Driver{}, target)
	require.Error(t, err)

	// A CA that is not the miner's: refused by the certificate check.
	target.TLS = &tls.Config{RootCAs: x509.NewCertPool()}
	_, err = gatherWith(t, &Driver{}, target)
	require.Error(t, err)
	require.Zero(t, m.logins, "no credentials sent to an unverified miner")

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	target.TLS = &tls.Config{RootCAs: pool}
	d, err := gatherWith(t, &Driver{}, target)
	require.NoError(t, err)
	checkS21REST(t, d)
	require.Equal(t, 1, m.logins)
}

// A login that works but no page found (every path 404) is not this API:
// the gather goes on to 4028 instead of reporting an empty miner.
func TestRESTNoPageFallsTo4028(t *testing.T) {
	m := &restMiner{bodies: map[string][]byte{}, password: ""}
	target := startREST(t, m)
	rpc := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, filepath.Join(captures, "S9_bosminer-0.2.0-d360818")), Multi: true}
	require.NoError(t, rpc.Start("127.0.0.1:0"))
	t.Cleanup(rpc.Close)
	target.Ports.RPC = rpc.Port()
	d, err := gatherWith(t, &Driver{}, target)
	require.NoError(t, err)
	require.Equal(t, "0.2.0-d360818", d.FirmwareVersion, "read on 4028")
	inDelta(t, f(14.194945838709138), d.Hashrate, "MHS 1m / 1e6")
	require.Equal(t, 2, m.logins, "root refused, then the empty password")
}

// The Public API's pools have no get or remote failures; the 4028 API's
// do. A miner answering both gets them from 4028, matched by host, port
// and user: the first gather asks 4028 after REST answered, the later ones
// beside it. The 4028 pools reply is hand-made to match the hand-made REST
// fixture (bosminer's keys, as in the real replies of testdata/braiins).
func TestPoolFailuresFrom4028(t *testing.T) {
	m := &restMiner{bodies: loadREST(t), password: "root"}
	target := startREST(t, m)
	rpc := &fakeminer.Miner{Replies: map[string][]byte{"pools": []byte(`{"STATUS":[{"STATUS":"S","Code":7,"Msg":"2 Pool(s)"}],` +
		`"POOLS":[{"POOL":0,"URL":"stratum+tcp://stratum.braiins.com:3333","User":"fleet.s21a07","Status":"Alive","Accepted":5120,` +
		`"Rejected":3,"Stale":1,"Get Failures":2,"Remote Failures":5,"Stratum Active":true},` +
		`{"POOL":1,"URL":"stratum+tcp://other.pool:3333","User":"x","Get Failures":9,"Remote Failures":9}]}`)}}
	require.NoError(t, rpc.Start("127.0.0.1:0"))
	t.Cleanup(rpc.Close)
	target.Ports.RPC = rpc.Port()
	drv := &Driver{}
	for range 2 {
		d, err := gatherWith(t, drv, target)
		require.NoError(t, err)
		require.Empty(t, d.Problems)
		p0 := d.Pools[0]
		require.Equal(t, "stratum.braiins.com", p0.URL.Host)
		require.Equal(t, int64(5120), *p0.Accepted, "from REST")
		require.Equal(t, int64(2), *p0.GetFailures, "from 4028")
		require.Equal(t, int64(5), *p0.RemoteFailures, "from 4028")
		for _, p := range d.Pools[1:] {
			require.Nil(t, p.GetFailures, "pool %d: not on 4028", p.Index)
		}
	}
	require.Equal(t, []string{"pools", "pools"}, rpc.Commands())
}

// The 4028 pools request asked beside a known Public API ends with the
// Gather that asked, also when that API fails and the pools go unread.
func TestPoolsRequestEndsWithGather(t *testing.T) {
	m := &restMiner{bodies: loadREST(t), password: "root"}
	target := startREST(t, m)
	var slow atomic.Bool
	rpc := &fakeminer.Miner{
		Replies: map[string][]byte{"pools": []byte(`{"STATUS":[{"STATUS":"S","Code":7,"Msg":"0 Pool(s)"}],"POOLS":[]}`)},
		Latency: func() time.Duration {
			if slow.Load() {
				return time.Minute
			}
			return 0
		},
	}
	require.NoError(t, rpc.Start("127.0.0.1:0"))
	t.Cleanup(rpc.Close)
	target.Ports.RPC = rpc.Port()
	drv := &Driver{}
	_, err := gatherWith(t, drv, target)
	require.NoError(t, err, "REST is the known API from now on")

	slow.Store(true)
	m.mu.Lock()
	m.password, m.tokens = "changed", nil // the Public API now refuses us
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel() // only after the check: the Gather alone must end its request
	_, err = drv.Gather(ctx, target)
	require.ErrorIs(t, err, drivers.ErrAuth)
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	require.False(t, strings.Contains(stacks, "braiins.askPools"), "the pools request outlived its Gather")
}
