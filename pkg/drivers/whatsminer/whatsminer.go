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
//     hashing miners).
//   - get_error_code (API >= 2.0.1): error codes, messages from errorcodes.go.
//   - get_psu: pin (W) and fan_speed (PSU fan RPM), only when summary has
//     none.
//
// Quirks handled: get_* and status cannot be joined with "+", so they go one
// per connection; the rest is joined where the firmware allows it (the
// transport falls back otherwise). Commands an older build lacks (STATUS E,
// Code 14 "invalid cmd") are skipped silently; the get_* and status go out
// at once, so lacking ones cost no latency. 2020 builds send \' inside
// strings and API 2.0.4 sends error_code as ["110":"time"]: the transport
// repairs both.
package whatsminer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
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

// joinable are the cgminer-style commands btminer accepts joined with "+".
var joinable = []string{"summary", "edevs", "pools", "devdetails"}

// minerInfoFields asks get_miner_info for what Parse reads; firmware that
// ignores the parameter answers with all it has.
const minerInfoFields = "ip,proto,netmask,dns,mac,ledstat,gateway,hostname,minersn"

// Forget implements drivers.Forgetter: which API the miner answered on
// and its cached version reply are dropped.
func (d *Driver) Forget(host string) { d.mem.c.Forget(host) }

// Gather implements drivers.Driver; see the package comment for how the API
// is chosen.
func (d *Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	key := t.RPCAddr()
	switch d.mem.api(key) {
	case apiV3:
		data, err := d.gatherV3(ctx, t, nil)
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
		data3, err3 := d.gatherV3(ctx, t, nil)
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

// gatherV2 asks API v2 on 4028.
func (d *Driver) gatherV2(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	c := &cgminer.Client{Addr: t.RPCAddr()}
	r := NewReplies()

	b := c.Multi(ctx, joinable...)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("whatsminer %s: %w", c.Addr, err)
	}
	r.Copy(b, joinable...)
	if lacking(r, "edevs") {
		cgStyle(ctx, c, r, "devs")
		if lacking(r, "devs") {
			cgStyle(ctx, c, r, "stats")
		}
	}

	// btminer cannot join get_* and status: they go one per connection, all
	// at once, so a miner costs one round trip of latency here, not five.
	// Firmware that lacks one answers "invalid cmd", which Parse skips.
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
	needPSU := !summaryHasPower(r) // read before the goroutines write r
	now := time.Now()
	version := d.mem.cachedVersion(t.RPCAddr(), now)
	if version != nil {
		r.Set("get_version", version, nil)
	} else {
		ask("get_version", nil)
	}
	ask("get_miner_info", map[string]any{"info": minerInfoFields})
	ask("get_error_code", nil)
	ask("status", nil)
	if needPSU {
		ask("get_psu", nil)
	}
	wg.Wait()
	if version == nil {
		if v, ok := r.Get("get_version"); ok {
			d.mem.setVersion(t.RPCAddr(), v, now)
		}
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

func summaryHasPower(r *Replies) bool {
	o, ok := r.Get("summary")
	if !ok {
		return false
	}
	s := cgminer.Section(o, "SUMMARY")
	if len(s) == 0 {
		return false
	}
	p := s[0].F("Power")
	return p != nil && *p > 0
}
