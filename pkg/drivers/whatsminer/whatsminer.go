// Package whatsminer gathers MicroBT Whatsminer miners on stock btminer
// firmware, through API v3 (TCP 4433, firmware from late 2024; see v3.go)
// or the read-only API v2 on TCP 4028 (plain JSON; only write commands are
// encrypted).
//
// Choosing the API, per miner, deterministically, within the miner's one
// deadline:
//  1. An API that answered this miner before (remembered per RPC address)
//     is used. If it no longer answers at all (firmware changed, API
//     switched off) and the deadline is not spent, the other one is tried
//     and remembered instead.
//  2. Otherwise get.device.info is sent on 4433 with a third of the
//     deadline: a code-0 reply means API v3 (and is reused for the data).
//     Anything else falls back to API v2 on 4028 with what is left. v3 goes
//     first because v3 firmware still answers parts of 4028 (get_version),
//     which would look like a working but empty v2 miner; a v2 miner
//     refuses 4433 at once.
//  3. A remembered v2 miner whose v2 gather brings neither hashrate nor
//     boards is forgotten, so the next gather probes v3 again (a firmware
//     upgrade).
//
// API v2 commands and what they feed (units as converted here):
//   - summary (SUMMARY[0]): hashrate from "MHS 1m" (MH/s -> TH/s), expected
//     hashrate "Factory GHS" (GH/s -> TH/s), "Power" and "Power Limit" (W;
//     -1 = unknown), "Env Temp" (°C), "Elapsed" (s), "MAC", "Firmware
//     Version" (sent in single quotes), the two chassis fans "Fan Speed In"
//     and "Fan Speed Out" (RPM), the PSU fan "Power Fanspeed" (RPM) ->
//     PSUFanRPM, and "Error Code N" up to "Error Code Count".
//   - edevs, or devs on firmware without edevs, (DEVS[]): one board per entry,
//     index from "Slot" (else "ASC"), "MHS 1m" (TH/s), "Temperature" (PCB °C),
//     "Chip Temp Max" (else "Chip Temp Avg") (°C), "Effective Chips",
//     "Chip Frequency" (MHz), "PCB SN".
//   - stats, only when neither edevs nor devs exists (2018-19 cgminer-based
//     builds): boards from the SMn entries (PCB temp_N, chip_num, freqs_avg).
//   - pools: the standard cgminer mapping, index from Priority (btminer
//     numbers POOL from 1).
//   - devdetails: DEVDETAILS[].Model -> Model ("M30S+_VE41" -> "M30S+ VE40").
//   - get_version: fw_ver, api_ver ("whatsminer v1.4.0" -> "1.4.0").
//   - get_miner_info: mac, hostname, minersn, ledstat (not "auto" = fault light).
//   - status: mineroff -> IsMining (btmineroff is ignored: it reads "true" on
//     hashing miners). Asked only when the summary does not show the miner
//     hashing now ("MHS 5s" and "MHS 1m" above 0; a switched-off miner's 5 s
//     rate falls to 0 within seconds) or no firmware version is known
//     otherwise.
//   - get_error_code (API >= 2.0.1): error codes, messages from errorcodes.go.
//     Asked only when the summary carries no "Error Code Count" (builds whose
//     summary lists the errors are read from that list).
//   - get_psu: pin (W) and fan_speed (PSU fan RPM), only when summary has
//     no Power.
//
// Kept per miner between gathers (memory.go, dropped by Forget): the
// get_version reply for 10 minutes (it changes only with a firmware
// upgrade, which restarts btminer); the get_miner_info reply for 5 minutes
// (mac, hostname and serial are fixed; the fault light set by a person
// shows up to 5 minutes late); for 10 minutes, which of edevs, devs and
// stats the build answers (then joined with summary, pools and devdetails)
// and which get_* and status commands it answered "invalid cmd" to (not
// asked again). A steady gather of a 2019-2021 build that is hashing is
// then one connection.
//
// Quirks handled: get_* and status cannot be joined with "+", so those still
// needed go one per connection, all at once (one round trip of latency);
// the rest is joined where the firmware allows it (the transport falls back
// otherwise). Commands an older build lacks (STATUS E, Code 14 "invalid
// cmd") are skipped silently. 2020 builds send \' inside
// strings and API 2.0.4 sends error_code as ["110":"time"]: the transport
// repairs both.
package whatsminer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Name is the driver's registered name.
const Name = "whatsminer"

func init() {
	drivers.Register(Name, func() drivers.Driver { return New() })
}

// Driver gathers Whatsminer API v3 and v2. One value serves many miners
// concurrently; use a pointer and do not copy it after first use.
type Driver struct {
	// V3Port is the API v3 port: 4433 on every miner (the firmware fixes
	// it); tests point it at a loopback server. 0 means 4433.
	V3Port int

	mem memory
}

// New returns a Driver with the firmware's v3 port.
func New() *Driver { return &Driver{V3Port: btminerv3.DefaultPort} }

// Name implements drivers.Driver.
func (*Driver) Name() string { return Name }

// minerInfoFields asks get_miner_info for what Parse reads; firmware that
// ignores the parameter answers with all it has.
const minerInfoFields = "ip,proto,netmask,dns,mac,ledstat,gateway,hostname,minersn"

// Forget implements drivers.Forgetter: everything kept for the miner (which
// API answered, the cached replies, what its firmware lacks) is dropped.
func (d *Driver) Forget(host string) { d.mem.c.Forget(host) }

// Gather implements drivers.Driver; see the package comment for how the API
// is chosen.
func (d *Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	key := t.RPCAddr()
	switch d.mem.api(key) {
	case apiV3:
		data, err := d.gatherV3(ctx, t, jsonval.Obj{})
		if err == nil || ctx.Err() != nil {
			return data, err
		}
		data2, err2 := d.gatherV2(ctx, t)
		if err2 != nil {
			return nil, err
		}
		d.mem.setAPI(key, apiV2)
		return data2, nil
	case apiV2:
		data, err := d.gatherV2(ctx, t)
		if err == nil {
			if data.Hashrate == nil && len(data.Boards) == 0 {
				d.mem.forget(key)
			}
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		data3, err3 := d.gatherV3(ctx, t, jsonval.Obj{})
		if err3 != nil {
			return nil, err
		}
		d.mem.setAPI(key, apiV3)
		return data3, nil
	}

	pctx, cancel := context.WithTimeout(ctx, probeShare(ctx))
	info, perr := (&btminerv3.Client{Addr: d.v3Addr(t)}).Call(pctx, V3DeviceInfo, nil)
	cancel()
	if perr == nil {
		d.mem.setAPI(key, apiV3)
		return d.gatherV3(ctx, t, info)
	}
	data, err := d.gatherV2(ctx, t)
	if err != nil {
		// v2 is the primary API: its error classifies the result.
		return nil, fmt.Errorf("%w (API v3 on %s: %v)", err, d.v3Addr(t), perr) //nolint:errorlint // only v2 classifies
	}
	d.mem.setAPI(key, apiV2)
	return data, nil
}

// boardCmds are the commands boards are read from, in the order tried: a
// build answers one of them ("invalid cmd" to those before it).
var boardCmds = []string{"edevs", "devs", "stats"}

// gatherV2 asks API v2 on 4028. In the steady state it is one connection:
// the joined summary, board command (the one this build answered before),
// pools and devdetails; the get_* and status commands go out only when the
// summary does not already answer them, they are not cached, and the
// firmware has not said it lacks them (see the package comment).
func (d *Driver) gatherV2(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	key := t.RPCAddr()
	c := &cgminer.Client{Addr: key}
	r := NewReplies()
	now := time.Now()
	p := d.mem.plan(key, now)

	boards := p.boards
	if boards == "" {
		boards = boardCmds[0]
	}
	joined := [...]string{"summary", boards, "pools", "devdetails"}
	b := c.Multi(ctx, joined[:]...)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("whatsminer %s: %w", c.Addr, err)
	}
	r.Copy(b, joined[:]...)
	answered := ""
	if !lacking(r, boards) {
		if _, ok := r.Get(boards); ok {
			answered = boards
		}
	} else {
		// This build lacks the remembered (or first) board command: try
		// the others in order, one connection each, until one is known.
		for _, cmd := range boardCmds {
			if cmd == boards {
				continue
			}
			cgStyle(ctx, c, r, cmd)
			if !lacking(r, cmd) {
				if _, ok := r.Get(cmd); ok {
					answered = cmd
				}
				break
			}
		}
	}

	// btminer cannot join get_* and status: those still needed go one per
	// connection, all at once, so a miner costs one round trip of latency
	// here, not five. Firmware that lacks one answers "invalid cmd", which
	// Parse skips and the memory keeps for versionTTL.
	var mu sync.Mutex
	var wg sync.WaitGroup
	ask := func(cmd string, extra map[string]any) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obj, err := c.Do(ctx, cgminer.Request{Command: cmd, Extra: extra})
			mu.Lock()
			r.Set(cmd, obj, err)
			mu.Unlock()
		}()
	}
	sum := summaryOf(r) // read before the goroutines write r
	switch {
	case !p.version.IsNil():
		r.Set("get_version", p.version, nil)
	case p.lacks&lackVersion == 0:
		ask("get_version", nil)
	}
	switch {
	case !p.info.IsNil():
		r.Set("get_miner_info", p.info, nil)
	case p.lacks&lackMinerInfo == 0:
		ask("get_miner_info", map[string]any{"info": minerInfoFields})
	}
	if p.lacks&lackErrorCode == 0 && !hasErrorList(sum) {
		ask("get_error_code", nil)
	}
	if p.lacks&lackStatus == 0 && !(hashingNow(sum) && hasFirmware(sum, p.version)) {
		ask("status", nil)
	}
	if p.lacks&lackPSU == 0 && !hasPower(sum) {
		ask("get_psu", nil)
	}
	wg.Wait()

	var version, info jsonval.Obj
	if p.version.IsNil() {
		version, _ = r.Get("get_version")
	}
	if p.info.IsNil() {
		info, _ = r.Get("get_miner_info")
	}
	var lacks lack
	for cmd, bit := range map[string]lack{"get_version": lackVersion, "get_miner_info": lackMinerInfo, "get_error_code": lackErrorCode, "status": lackStatus, "get_psu": lackPSU} {
		if lacking(r, cmd) {
			lacks |= bit
		}
	}
	if !version.IsNil() || !info.IsNil() || lacks != 0 || (answered != "" && answered != p.boards) {
		d.mem.learned(key, now, version, info, lacks, answered)
	}

	if !r.Answered() {
		return nil, fmt.Errorf("whatsminer %s: %w", c.Addr, r.Err())
	}
	return Parse(r), nil
}

// cgStyle sends one cgminer-style command on its own connection.
func cgStyle(ctx context.Context, c *cgminer.Client, r *Replies, cmd string) {
	obj, err := c.Command(ctx, cmd)
	r.Set(cmd, obj, err)
}

// summaryOf is SUMMARY[0] of the summary reply, or nil.
func summaryOf(r *Replies) jsonval.Obj {
	o, ok := r.Get("summary")
	if !ok {
		return jsonval.Obj{}
	}
	if s := cgminer.Section(o, "SUMMARY"); len(s) > 0 {
		return s[0]
	}
	return jsonval.Obj{}
}

// hasPower: the summary reports the input power, so get_psu is not needed
// (Parse reads the PSU fan from summary too on every build that has Power).
func hasPower(s jsonval.Obj) bool {
	p := s.F("Power")
	return p != nil && *p > 0
}

// hasErrorList: the summary carries the error list ("Error Code Count" and
// "Error Code N", 2019-2021 builds), so get_error_code is not asked;
// builds without it in summary (cgminer-based 2018-19, and later ones that
// moved it out) are asked.
func hasErrorList(s jsonval.Obj) bool {
	_, ok := s.Get("Error Code Count")
	return ok
}

// hashingNow: both the 5 s and the 1 min hashrate are above zero. A miner
// switched off (mineroff) drops its 5 s rate to 0 within seconds, so
// status is asked only when the summary cannot already prove mining.
func hashingNow(s jsonval.Obj) bool {
	for _, k := range []string{"MHS 5s", "MHS 1m"} {
		if v := s.F(k); v == nil || !(*v > 0) {
			return false
		}
	}
	return true
}

// hasFirmware: the firmware version, which status also carries, is known
// from the summary or the cached get_version.
func hasFirmware(s jsonval.Obj, version jsonval.Obj) bool {
	return s.S("Firmware Version") != "" || !version.IsNil()
}
