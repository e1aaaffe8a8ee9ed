// Package braiins gathers Braiins OS / OS+ miners. Three APIs are tried in
// this order, and the one that answers is remembered per miner:
//
//  1. The Braiins OS Public API over gRPC (plaintext HTTP/2, port 50051;
//     grpc.go), for BOS+ 23.03 and later.
//  2. The same API as JSON over HTTP under /api/v1 on the web port (rest.go),
//     for firmware whose gRPC port is closed; through the shared web
//     transport (httpapi), so https with the tls_* options when they are set.
//  3. The bosminer cgminer-style API on TCP 4028 (parse.go), for older
//     firmware.
//
// When the Public API answers, the 4028 API's pools are asked too (beside
// it once the miner is known): they carry the get and remote failures the
// Public API lacks, added to its pools matched by host, port and user. A
// refused 4028 port is no problem.
//
// Public API (gRPC method / REST path) and what it feeds, after
// normalisation (api.go does the mapping for both transports):
//   - Login / POST auth/login: a session token, sent as "authorization"
//     (gRPC metadata) or "Authorization" (REST), bare. Cached per miner and
//     renewed once when the miner says it expired. Without a
//     configured password, "root" and then the empty password are tried.
//   - GetMinerDetails / miner/details: MAC, Hostname, SerialNumber,
//     FirmwareVersion (the release, "24.09", from bos_version.current),
//     Make/Model (miner_identity; "Braiins" for BMM boards), UptimeSeconds
//     (bosminer_uptime_s), IsMining (status NORMAL), ExpectedHashrate
//     fallback (sticker_hashrate, GH/s -> TH/s).
//   - GetMinerStats / miner/stats: Hashrate (real_hashrate last_1m, last_5s
//     when missing; GH/s -> TH/s), ExpectedHashrate (nominal_hashrate),
//     PowerWatts (approximated_consumption).
//   - GetHashboards / miner/hw/hashboards: per board Hashrate and
//     ExpectedHashrate (TH/s), Temperature (board_temp), ChipTemperature
//     (highest_chip_temp), Inlet/OutletTemperature (hydro), Chips,
//     VoltageVolts, FrequencyMHz (sent in Hz), Active (enabled),
//     SerialNumber. IDs 1,2,3 (6,7,8 on the S9) become slots 0,1,2.
//   - GetCoolingState / cooling/state: fans RPM and Percent
//     (target_speed_ratio x 100).
//   - GetPoolGroups / pools/: the groups' pools flattened in priority order.
//   - GetActivePerformanceMode / performance/mode: PowerLimitWatts (the tuner
//     power target); GetTunerState and GetMinerConfiguration are fallbacks.
//   - GetErrors / miner/errors: Errors, the entries since bosminer started,
//     each once (the reply is a log kept across restarts); without it, a
//     tuner in ERROR state.
//   - GetLocateDeviceStatus / actions/locate: FaultLight.
//   - GetApiVersion / version/: APIVersion.
//
// A method the firmware does not implement (gRPC Unimplemented, HTTP 404)
// is skipped silently; any other failed method is a Problem and the rest is
// kept.
//
// 4028 commands and what they feed (units after normalisation):
//   - version:     FirmwareVersion (the BOSer / BOSminer+ / BOSminer / BMMiner
//     value as sent), APIVersion (API); Type/platform ("am1-s9") as a model
//     fallback.
//   - summary:     Hashrate from "MHS 1m" (MH/s -> TH/s; the 1-minute average,
//     "MHS 5s" only when it is missing), UptimeSeconds from Elapsed (s).
//   - devs:        per board Hashrate "MHS 1m", ExpectedHashrate "Nominal MHS"
//     (MH/s -> TH/s), Active (Enabled and Status "Alive"); the miner's
//     ExpectedHashrate is the sum of the boards'; IsMining = any board > 0.
//   - devdetails:  Model ("Bitmain Antminer S9" -> "S9"), per board Chips,
//     FrequencyMHz (sent in Hz), VoltageVolts.
//   - temps:       per board Temperature (Board) and ChipTemperature (Chip),
//     °C; 0 means "no sensor" (bosminer without the tuner sends Chip 0).
//   - fans:        RPM and Speed (percent of PWM).
//   - tunerstatus: PowerWatts (ApproximateMinerPowerConsumption), PowerLimitWatts
//     (PowerLimit), and one MinerError per chain whose tuner Status is not a
//     normal one (stable, tuning, testing a profile).
//   - pools:       the standard cgminer POOLS mapping.
//
// Quirks handled: chain IDs are 6,7,8 on the S9 (am1) and 1,2,3 on later
// platforms, mapped to 0-based slots per command; bosminer lists four fan
// slots on a two-fan S9, so trailing 0 RPM slots are dropped; old versions
// lack devdetails/tunerstatus/devs ("Invalid command"), which is skipped
// silently; the firmware version is taken from any reply's STATUS
// Description when version itself is missing. The 4028 API carries no MAC,
// hostname, serial number or fault light.
package braiins

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Name is the driver name and the firmware tag.
const Name = "braiins"

// Commands are asked in one joined request where the firmware allows it.
var Commands = []string{"version", "summary", "devs", "devdetails", "temps", "fans", "tunerstatus", "pools"}

func init() {
	drivers.Register(Name, func() drivers.Driver { return &Driver{} })
}

// Driver is the Braiins OS driver. The zero value is ready to use; one
// Driver keeps the session tokens and the API each miner answered on.
type Driver struct {
	// Web is the HTTP transport of the REST API; nil makes one on first use.
	Web *httpapi.Transport

	mu     sync.Mutex                // guards Web
	tokens minercache.Cache[string]  // gRPC session tokens; REST's are Web's
	paths  minercache.Cache[apiPath] // which API each miner answered on
}

// Forget implements drivers.Forgetter.
func (drv *Driver) Forget(host string) {
	drv.tokens.Forget(host)
	drv.paths.Forget(host)
	drv.mu.Lock()
	web := drv.Web
	drv.mu.Unlock()
	if web != nil {
		web.Forget(host)
	}
}

type apiPath int

const (
	pathNone apiPath = iota
	pathGRPC
	pathREST
	pathRPC
)

func (p apiPath) String() string {
	switch p {
	case pathGRPC:
		return "gRPC"
	case pathREST:
		return "REST"
	case pathRPC:
		return "4028"
	}
	return "none"
}

// Name implements drivers.Driver.
func (*Driver) Name() string { return Name }

func (drv *Driver) token(host, key string) string {
	tok, _ := drv.tokens.Get(host, key)
	return tok
}

func (drv *Driver) setToken(host, key, tok string) {
	if tok == "" {
		drv.tokens.Delete(host, key)
		return
	}
	drv.tokens.Put(host, key, tok)
}

func (drv *Driver) path(host, key string) apiPath {
	p, _ := drv.paths.Get(host, key)
	return p
}

func (drv *Driver) setPath(host, key string, p apiPath) {
	if p == pathNone {
		drv.paths.Delete(host, key)
		return
	}
	drv.paths.Put(host, key, p)
}

func username(t drivers.Target) string {
	if t.Username != "" {
		return t.Username
	}
	return "root"
}

// passwords are the candidates for one login: the configured one, or the
// two defaults BOS ships with ("root" on older releases, none on newer).
func passwords(t drivers.Target) []string {
	if t.Password != "" {
		return []string{t.Password}
	}
	return []string{"root", ""}
}

// probeConnect bounds the TCP connect of an API that is only being probed,
// so a filtered port leaves time for the next one.
func probeConnect(ctx context.Context) time.Duration {
	const maxProbe = 2 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		if q := time.Until(dl) / 4; q < maxProbe {
			return max(q, 50*time.Millisecond)
		}
	}
	return maxProbe
}

// Gather tries the remembered API first, then gRPC, REST and 4028, all
// within ctx's deadline.
func (drv *Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	key := fmt.Sprintf("%s|%d|%d|%d", t.Host, t.Ports.GRPC, t.Ports.Web, t.Ports.RPC)
	known := drv.path(t.Host, key)
	order := []apiPath{pathGRPC, pathREST, pathRPC}
	if known != pathNone {
		order = append([]apiPath{known}, without(order, known)...)
	}
	// The 4028 API's pools carry what the Public API's lack (get and
	// remote failures): asked beside a Public API known to answer, after
	// one that answered for the first time.
	var rpcPools func() ([]poolmetrics.Pool, error)
	if known == pathGRPC || known == pathREST {
		var stop func()
		rpcPools, stop = askPools(ctx, t)
		defer stop() // a Public API that failed leaves it unread: not past Gather
	}
	var answered, last error
	for _, p := range order {
		connect := probeConnect(ctx)
		if p == known {
			connect = 0 // the deadline of ctx alone
		}
		d, err := drv.gatherVia(ctx, t, p, connect)
		if err == nil {
			drv.setPath(t.Host, key, p)
			if p != pathRPC {
				if rpcPools == nil {
					var stop func()
					rpcPools, stop = askPools(ctx, t)
					defer stop()
				}
				ps, perr := rpcPools()
				if perr = drivers.OneFailed(perr, true); perr != nil {
					d.Problem(fmt.Errorf("4028 pools: %w", perr))
				}
				addPoolFailures(d.Pools, ps)
			}
			return d, nil
		}
		if errors.Is(err, drivers.ErrAuth) {
			return nil, err // the API is there; the credentials are wrong
		}
		last = fmt.Errorf("braiins %s: %w", p, err)
		if answered == nil && !errors.Is(err, errNotServed) && drivers.Result(err) != drivers.ResultConnectionRefused {
			answered = last
		}
		if ctx.Err() != nil {
			break
		}
	}
	drv.setPath(t.Host, key, pathNone)
	if answered != nil {
		return nil, answered
	}
	return nil, last
}

func without(ps []apiPath, p apiPath) []apiPath {
	out := make([]apiPath, 0, len(ps))
	for _, x := range ps {
		if x != p {
			out = append(out, x)
		}
	}
	return out
}

func (drv *Driver) gatherVia(ctx context.Context, t drivers.Target, p apiPath, connect time.Duration) (*drivers.MinerData, error) {
	switch p {
	case pathGRPC:
		s, err := drv.gatherGRPC(ctx, t, connect)
		if err != nil {
			return nil, err
		}
		s.At = time.Now()
		return ParseAPI(s), nil
	case pathREST:
		raw, err := drv.gatherREST(ctx, t, connect)
		if err != nil {
			return nil, err
		}
		raw.At = time.Now()
		return ParseREST(raw), nil
	}
	return cgminer.Gather(ctx, t, Commands, Parse)
}

// askPools asks the 4028 API's pools in the background: wait waits for the
// answer; stop ends the request if it is still going and waits for it to
// end, so nothing of it outlives the Gather that asked.
func askPools(ctx context.Context, t drivers.Target) (wait func() ([]poolmetrics.Pool, error), stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var ps []poolmetrics.Pool
	var err error
	go func() {
		defer close(done)
		var o jsonval.Obj
		if o, err = (&cgminer.Client{Addr: t.RPCAddr()}).Command(ctx, "pools"); err == nil {
			ps = cgminer.Pools(o)
		}
	}()
	wait = func() ([]poolmetrics.Pool, error) { <-done; return ps, err }
	stop = func() { cancel(); <-done }
	return wait, stop
}

// addPoolFailures fills the counters only the 4028 API keeps into the
// Public API's pools, matched by host, port and user (the two APIs number
// the pools differently when there are several groups).
func addPoolFailures(pools, rpc []poolmetrics.Pool) {
	for i := range pools {
		p := &pools[i]
		for _, r := range rpc {
			if !r.URL.Parsed || r.URL.Host != p.URL.Host || r.URL.Port != p.URL.Port || r.User != p.User {
				continue
			}
			p.GetFailures = cmp.Or(p.GetFailures, r.GetFailures)
			p.RemoteFailures = cmp.Or(p.RemoteFailures, r.RemoteFailures)
			break
		}
	}
}
