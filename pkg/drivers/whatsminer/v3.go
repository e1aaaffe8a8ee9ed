package whatsminer

// API v3 (TCP 4433, btminer firmware from late 2024). Replies are
// {"code":0,"msg":{...}}; units are already TH/s, W, °C, RPM and seconds.
//
//   - get.device.info: network.mac, network.hostname, system.api,
//     system.fwversion, system.ledstatus (not "auto" = fault light),
//     miner.type (model), miner.miner-sn, miner.pcbsn<slot> (board serials),
//     miner.board-num (else hardware.boards: expected boards),
//     miner.working (is mining), miner.power-limit-set and power.pin (W, only
//     when the summary has none), error-code (list of codes, numeric
//     strings, {"531":"<time>","reason":".."} or {"code":531} objects:
//     deduplicated, sorted, junk ignored; messages from errorcodes.go, else
//     the firmware's reason). power.fanspeed is the PSU fan (RPM) ->
//     PSUFanRPM, not a chassis fan.
//   - get.miner.status "summary": hash-1min (else hash-realtime, the 5 s
//     value), factory-hash (<= 0 is unknown), power-realtime, power-limit,
//     elapsed, environment-temperature, fan-speed-in/-out (fans 0 and 1),
//     board-temperature[] (PCB °C per board position; 0 = no sensor).
//   - get.miner.status "edevs": one board per entry, index from slot (else
//     id, else position): hash-average (TH/s; per board the firmware has no
//     1-minute value), factory-hash, chip-temp-max (else -avg), effective-
//     chips, freq (MHz).
//   - get.miner.status "pools": url, account, status ("alive"),
//     stratum-active; index from pool-priority, else id-1 (id counts from
//     1), else position. The API carries no share counters.
//
// The three get.miner.status sections are asked in one request
// ("summary+edevs+pools", documented); what a firmware leaves out of the
// joined reply is asked one section per connection.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Reply keys of an API v3 gather: the command, plus "." and the parameter.
const (
	V3DeviceInfo = "get.device.info"
	V3Summary    = "get.miner.status.summary"
	V3Edevs      = "get.miner.status.edevs"
	V3Pools      = "get.miner.status.pools"
)

const cmdStatus = "get.miner.status"

var v3Sections = []struct{ key, param string }{
	{V3Summary, "summary"}, {V3Edevs, "edevs"}, {V3Pools, "pools"},
}

// v3Command is the command name behind a reply key, for errors.
func v3Command(key string) string {
	if strings.HasPrefix(key, cmdStatus+".") {
		return cmdStatus
	}
	return key
}

// gatherV3 asks API v3. info is the get.device.info reply when the probe
// already has it.
func (d *Driver) gatherV3(ctx context.Context, t drivers.Target, info jsonval.Obj) (*drivers.MinerData, error) {
	c := &btminerv3.Client{Addr: d.v3Addr(t)}
	r := NewReplies()
	if info.IsNil() {
		obj, err := c.Call(ctx, V3DeviceInfo, nil)
		r.Set(V3DeviceInfo, obj, err)
	} else {
		r.Set(V3DeviceInfo, info, nil)
	}

	key := t.RPCAddr()
	var missing []string
	if !d.mem.split(key) {
		obj, err := c.Call(ctx, cmdStatus, "summary+edevs+pools")
		var msg jsonval.Obj
		if err == nil {
			msg = obj.O("msg")
		}
		for _, s := range v3Sections {
			if _, ok := msg.Lookup(s.param); ok {
				r.Set(s.key, obj, nil)
			} else {
				missing = append(missing, s.param)
			}
		}
		if err != nil && errors.Is(err, drivers.ErrTimeout) {
			for _, s := range v3Sections {
				r.Set(s.key, jsonval.Obj{}, err)
			}
			missing = nil
		} else if len(missing) == len(v3Sections) && (err == nil || isAPIError(err)) {
			// The firmware does not join sections: ask one by one from now.
			d.mem.setSplit(key)
		}
	} else {
		for _, s := range v3Sections {
			missing = append(missing, s.param)
		}
	}
	for _, p := range missing {
		obj, err := c.Call(ctx, cmdStatus, p)
		r.Set(cmdStatus+"."+p, obj, err)
	}
	if !r.Answered() {
		return nil, fmt.Errorf("whatsminer %s (API v3): %w", c.Addr, r.Err())
	}
	return ParseV3(r), nil
}

// isAPIError tells a refusal by the miner from a transport failure.
func isAPIError(err error) bool {
	var ae *drivers.APIError
	return errors.As(err, &ae)
}

func (d *Driver) v3Addr(t drivers.Target) string {
	port := d.V3Port
	if port == 0 {
		port = btminerv3.DefaultPort
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(port))
}

// probeShare is the part of the deadline a first v3 probe may use, so a
// miner that silently drops 4433 leaves most of it to API v2.
func probeShare(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl) / 3
	}
	return 2 * time.Second
}

// ParseRawV3 runs ParseV3 over recorded reply payloads keyed as V3DeviceInfo,
// V3Summary, V3Edevs and V3Pools. Tests and fuzzing use it.
func ParseRawV3(raw map[string][]byte) *drivers.MinerData {
	r := NewReplies()
	for key, b := range raw {
		obj, err := btminerv3.ParseReply("recorded", v3Command(key), b)
		r.Set(key, obj, err)
	}
	return ParseV3(r)
}

// ParseV3 turns the replies of one API v3 gather into MinerData. It never
// fails: what cannot be read is recorded in Problems and the rest is kept.
func ParseV3(r *Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Whatsminer", Firmware: "stock", Algorithm: "sha256"}
	for _, key := range failedSorted(r) {
		_, err := r.Reply(key)
		if btminerv3.IsInvalidCommand(err) {
			continue // a section this firmware does not have
		}
		d.Problem(drivers.CommandErr(v3Command(key), err))
	}
	var info jsonval.Obj
	if o, ok := r.Get(V3DeviceInfo); ok {
		info = v3Msg(d, V3DeviceInfo, o, "")
		parseDeviceInfo(d, info)
	}
	var boardTemps []any
	if o, ok := r.Get(V3Summary); ok {
		if s := v3Msg(d, V3Summary, o, "summary"); !s.IsNil() {
			boardTemps = parseV3Summary(d, s)
		}
	}
	if o, ok := r.Get(V3Edevs); ok {
		parseV3Edevs(d, o, info, boardTemps)
	}
	if o, ok := r.Get(V3Pools); ok {
		parseV3Pools(d, o)
	}
	if !info.IsNil() {
		if d.PowerWatts == nil {
			d.PowerWatts = finite(field(d, V3DeviceInfo, info.O("power"), "pin"), true)
		}
		if d.PowerLimitWatts == nil {
			d.PowerLimitWatts = finite(field(d, V3DeviceInfo, info.O("miner"), "power-limit-set"), true)
		}
		if v := intField(d, V3DeviceInfo, info.O("power"), "fanspeed"); v != nil && *v >= 0 {
			d.PSUFanRPM = v
		}
	}
	if d.IsMining == nil && d.Hashrate != nil && *d.Hashrate > 0 {
		d.IsMining = drivers.Ptr(true)
	}
	return d
}

// v3Msg returns msg (or msg.<section>) as an object, reporting its absence.
func v3Msg(d *drivers.MinerData, key string, o jsonval.Obj, section string) jsonval.Obj {
	m := drivers.CommandFields(d, v3Command(key)).Obj(o, "msg")
	if m.IsNil() || section == "" {
		return m
	}
	return drivers.CommandFields(d, v3Command(key)).Under("msg").Obj(m, section)
}

func parseDeviceInfo(d *drivers.MinerData, m jsonval.Obj) {
	if m.IsNil() {
		return
	}
	nw, sys, miner := m.O("network"), m.O("system"), m.O("miner")
	if mac := nw.S("mac"); mac != "" {
		d.MAC = drivers.NormalizeMAC(mac)
	}
	d.Hostname = nw.S("hostname")
	d.APIVersion = apiVersion(sys.S("api"))
	d.FirmwareVersion = trimVersion(sys.S("fwversion"))
	if led := sys.S("ledstatus"); led != "" {
		d.FaultLight = drivers.Ptr(!strings.EqualFold(led, "auto"))
	}
	d.Model = NormalizeModel(miner.S("type"))
	d.SerialNumber = miner.S("miner-sn")
	if w := jsonval.Bool(miner.V("working")); w != nil {
		d.IsMining = w
	}
	if n := intField(d, V3DeviceInfo, miner, "board-num"); n != nil && *n > 0 && *n <= 64 {
		d.ExpectedBoards = n
	} else if n := intField(d, V3DeviceInfo, m.O("hardware"), "boards"); n != nil && *n > 0 && *n <= 64 {
		d.ExpectedBoards = n
	}
	if raw, ok := m.Get("error-code"); ok {
		d.Errors = v3Errors(d, raw)
	}
}

// v3Errors reads the error-code list. A value that is not a list ("btminer
// process is down err" was seen in place of one) is reported, not guessed.
func v3Errors(d *drivers.MinerData, raw any) []drivers.MinerError {
	list, ok := raw.([]any)
	if !ok {
		drivers.CommandFields(d, V3DeviceInfo).Invalid("error-code", "not a list")
		return nil
	}
	reasons := map[int64]string{}
	add := func(v any, reason string) {
		n := jsonval.Int(v)
		if n == nil || *n < 0 {
			return // junk: not a code
		}
		if _, seen := reasons[*n]; !seen || reasons[*n] == "" {
			reasons[*n] = reason
		}
	}
	for _, e := range list {
		obj, isObj := e.(jsonval.Obj)
		if !isObj {
			if _, nested := e.([]any); !nested {
				add(e, "")
			}
			continue
		}
		reason := jsonval.String(obj.V("reason"))
		if c, ok := obj.Lookup("code"); ok {
			add(c, reason)
			continue
		}
		for k := range obj.All() {
			if k != "reason" {
				add(k, reason)
			}
		}
	}
	codes := make([]int64, 0, len(reasons))
	for c := range reasons {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	out := make([]drivers.MinerError, 0, len(codes))
	for _, c := range codes {
		m := ErrorMessage(c)
		if m == unknownError && reasons[c] != "" {
			m = reasons[c]
		}
		out = append(out, drivers.MinerError{Code: strconv.FormatInt(c, 10), Message: m})
	}
	return out
}

// parseV3Summary fills the miner totals and returns board-temperature.
func parseV3Summary(d *drivers.MinerData, s jsonval.Obj) []any {
	const cmd = cmdStatus
	// The 1-minute average; hash-realtime (5 s) swings too much.
	if v := finite(field(d, cmd, s, "hash-1min", "hash-realtime", "hash-average"), false); v != nil && *v >= 0 {
		d.Hashrate = hashunit.ToTHs(v, hashunit.TH)
	}
	// pyasic saw -0.001 per board here on miners that do not know it.
	d.ExpectedHashrate = hashunit.ToTHs(finite(field(d, cmd, s, "factory-hash"), true), hashunit.TH)
	d.PowerWatts = finite(field(d, cmd, s, "power-realtime"), true)
	d.PowerLimitWatts = finite(field(d, cmd, s, "power-limit"), true)
	d.EnvTemperature = finite(field(d, cmd, s, "environment-temperature"), false)
	if v := intField(d, cmd, s, "elapsed"); v != nil && *v >= 0 {
		d.UptimeSeconds = v
	}
	for i, key := range []string{"fan-speed-in", "fan-speed-out"} {
		if v := intField(d, cmd, s, key); v != nil && *v >= 0 {
			d.Fans = append(d.Fans, drivers.Fan{Index: i, RPM: v})
		}
	}
	return s.L("board-temperature")
}

func parseV3Edevs(d *drivers.MinerData, o jsonval.Obj, info jsonval.Obj, boardTemps []any) {
	const cmd = cmdStatus
	m := v3Msg(d, V3Edevs, o, "")
	if m.IsNil() {
		return
	}
	list := drivers.CommandFields(d, cmd).Under("msg").Section(m, "edevs")
	miner := info.O("miner")
	for i, ev := range list {
		b := drivers.Board{Index: i}
		if v := ev.I("slot", "id"); v != nil && *v >= 0 && *v < 64 {
			b.Index = int(*v)
		}
		if v := finite(field(d, cmd, ev, "hash-average", "hash-realtime"), false); v != nil && *v >= 0 {
			b.Hashrate = hashunit.ToTHs(v, hashunit.TH)
		}
		b.ExpectedHashrate = hashunit.ToTHs(finite(field(d, cmd, ev, "factory-hash"), true), hashunit.TH)
		// 0 is a sensor that could not be read.
		b.ChipTemperature = finite(field(d, cmd, ev, "chip-temp-max", "chip-temp-avg"), true)
		if v := intField(d, cmd, ev, "effective-chips"); v != nil && *v >= 0 {
			b.Chips = v
		}
		b.FrequencyMHz = finite(field(d, cmd, ev, "freq"), true)
		if b.Index < len(boardTemps) {
			b.Temperature = finite(jsonval.Float(boardTemps[b.Index]), true)
		}
		b.SerialNumber = miner.S("pcbsn" + strconv.Itoa(b.Index))
		switch {
		case b.Hashrate != nil:
			b.Active = drivers.Ptr(*b.Hashrate > 0)
		case ev.S("status") != "":
			b.Active = drivers.Ptr(strings.EqualFold(ev.S("status"), "alive"))
		}
		if isPadding(d, b) {
			continue
		}
		d.Boards = append(d.Boards, b)
	}
	sort.SliceStable(d.Boards, func(i, j int) bool { return d.Boards[i].Index < d.Boards[j].Index })
}

// isPadding tells an all-zero entry beyond the board count the firmware
// reports: an empty slot, not a dead board.
func isPadding(d *drivers.MinerData, b drivers.Board) bool {
	if d.ExpectedBoards == nil || int64(b.Index) < *d.ExpectedBoards {
		return false
	}
	zero := func(v *float64) bool { return v == nil || *v == 0 }
	return zero(b.Hashrate) && b.ChipTemperature == nil && (b.Chips == nil || *b.Chips == 0)
}

func parseV3Pools(d *drivers.MinerData, o jsonval.Obj) {
	const cmd = cmdStatus
	m := v3Msg(d, V3Pools, o, "")
	if m.IsNil() {
		return
	}
	list := drivers.CommandFields(d, cmd).Under("msg").Section(m, "pools")
	for i, pe := range list {
		p := poolmetrics.Pool{
			Index:  i,
			URL:    poolmetrics.ParseURL(pe.S("url")),
			User:   pe.S("account"),
			Active: pe.B("stratum-active"),
		}
		if v := pe.I("pool-priority"); v != nil && *v >= 0 && *v < 1<<16 {
			p.Index = int(*v)
		} else if v := pe.I("id"); v != nil && *v >= 1 && *v <= 1<<16 {
			p.Index = int(*v - 1)
		}
		if st := pe.S("status"); st != "" {
			p.Alive = drivers.Ptr(strings.EqualFold(st, "alive"))
		}
		d.Pools = append(d.Pools, p)
	}
}
