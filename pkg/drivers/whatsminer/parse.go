package whatsminer

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Replies are the answers to the commands of one gather: a reply or an error
// for every command that was sent, in the transports' shared reply set.
type Replies = replies.Set

// NewReplies returns an empty set.
func NewReplies() *Replies { return replies.New() }

// lacking tells whether cmd failed only because this firmware does not know
// it (btminer: STATUS E, Code 14, "invalid cmd"). Such commands are skipped
// silently: older firmware has no get_* commands and no edevs.
func lacking(r *Replies, cmd string) bool {
	_, err := r.Reply(cmd)
	return cgminer.IsInvalidCommand(err)
}

// failedSorted are the commands that failed, by name.
func failedSorted(r *Replies) []string { return slices.Sorted(slices.Values(r.Failed())) }

// ParseRaw runs Parse over recorded reply bytes keyed by command, through
// the same repair and decoding as replies on the wire. Tests and fuzzing
// use it.
func ParseRaw(raw map[string][]byte) *drivers.MinerData {
	cmds := make([]string, 0, len(raw))
	for cmd := range raw {
		cmds = append(cmds, cmd)
	}
	r := NewReplies()
	r.Copy(cgminer.BatchFromRaw("recorded", raw), cmds...)
	return Parse(r)
}

// Parse turns the replies of one gather into MinerData. It never fails: a
// command or field that cannot be read is recorded in Problems and the rest
// is kept.
func Parse(r *Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Whatsminer", Firmware: "stock", Algorithm: "sha256"}
	for _, cmd := range failedSorted(r) {
		if lacking(r, cmd) {
			continue
		}
		_, err := r.Reply(cmd)
		d.Problem(drivers.CommandErr(cmd, err))
	}
	if o, ok := r.Get("get_version"); ok {
		parseVersion(d, o)
	}
	if o, ok := r.Get("summary"); ok {
		parseSummary(d, o)
	}
	if o, ok := r.Get("get_miner_info"); ok {
		parseMinerInfo(d, o)
	}
	if o, ok := r.Get("status"); ok {
		parseStatus(d, o)
	}
	if o, ok := r.Get("get_psu"); ok && (d.PowerWatts == nil || d.PSUFanRPM == nil) {
		parsePSU(d, o)
	}
	if o, ok := r.Get("get_error_code"); ok {
		parseErrorCodes(d, o)
	}
	if o, ok := r.Get("devdetails"); ok {
		parseDevDetails(d, o)
	}
	switch {
	case hasSection(r, "edevs", "DEVS"):
		o, _ := r.Get("edevs")
		parseDevs(d, "edevs", o)
	case hasSection(r, "devs", "DEVS"):
		o, _ := r.Get("devs")
		parseDevs(d, "devs", o)
	default:
		if o, ok := r.Get("stats"); ok {
			parseStats(d, o)
		}
	}
	if o, ok := r.Get("pools"); ok {
		parsePools(d, o)
	}
	// Hashing proves mining; zero hashrate proves nothing (boot, tuning),
	// so it leaves IsMining unknown rather than false.
	if d.IsMining == nil && d.Hashrate != nil && *d.Hashrate > 0 {
		d.IsMining = drivers.Ptr(true)
	}
	return d
}

func hasSection(r *Replies, cmd, section string) bool {
	o, ok := r.Get(cmd)
	if !ok {
		return false
	}
	_, present := o.Lookup(section)
	return present
}

// msg returns the Msg object of a Whatsminer-style reply.
func msg(o jsonval.Obj) jsonval.Obj { return o.O("Msg", "msg") }

// firstSection returns the first object of a cgminer section, or nil with a
// problem recorded when the reply has none.
func firstSection(d *drivers.MinerData, cmd string, o jsonval.Obj, name string) jsonval.Obj {
	s := cgminer.Section(o, name)
	if len(s) == 0 {
		drivers.CommandFields(d, cmd).Missing(name)
		return jsonval.Obj{}
	}
	return s[0]
}

// finite returns v when it is a usable number: present, finite and, when
// positive is set, above zero.
func finite(v *float64, positive bool) *float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	if positive && *v <= 0 {
		return nil
	}
	return v
}

// field reads a numeric field of cmd's reply (drivers.Fields).
func field(d *drivers.MinerData, cmd string, o jsonval.Obj, keys ...string) *float64 {
	return drivers.Fields{D: d, Source: "command " + strconv.Quote(cmd)}.Float(o, keys...)
}

func intField(d *drivers.MinerData, cmd string, o jsonval.Obj, keys ...string) *int64 {
	return drivers.Fields{D: d, Source: "command " + strconv.Quote(cmd)}.Int(o, keys...)
}

// trimVersion removes the single quotes btminer wraps around versions.
func trimVersion(s string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `'"`))
}

func parseVersion(d *drivers.MinerData, o jsonval.Obj) {
	if m := msg(o); !m.IsNil() {
		if v := trimVersion(m.S("fw_ver")); v != "" {
			d.FirmwareVersion = v
		}
		d.APIVersion = apiVersion(m.S("api_ver", "rpc_ver"))
		return
	}
	// Some builds answer with the version string as Msg.
	d.APIVersion = apiVersion(o.S("Msg", "msg"))
}

// apiVersion strips the "whatsminer v" prefix: "whatsminer v1.4.0" -> "1.4.0".
func apiVersion(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(strings.ToLower(s), " v"); i >= 0 {
		s = s[i+2:]
	}
	return strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
}

func parseSummary(d *drivers.MinerData, o jsonval.Obj) {
	const cmd = "summary"
	s := firstSection(d, cmd, o, "SUMMARY")
	if s.IsNil() {
		return
	}
	// The 1-minute average: the 5 s value swings by 20 % on these miners.
	if v := finite(field(d, cmd, s, "MHS 1m", "MHS 5s"), false); v != nil && *v >= 0 {
		d.Hashrate = hashunit.ToTHs(v, hashunit.MH)
	}
	if v := finite(field(d, cmd, s, "Factory GHS"), true); v != nil {
		d.ExpectedHashrate = hashunit.ToTHs(v, hashunit.GH)
	}
	// Power is -1 when the PSU does not report it.
	d.PowerWatts = finite(field(d, cmd, s, "Power"), true)
	d.PowerLimitWatts = finite(field(d, cmd, s, "Power Limit"), true)
	d.EnvTemperature = finite(field(d, cmd, s, "Env Temp"), false)
	if v := intField(d, cmd, s, "Elapsed"); v != nil && *v >= 0 {
		d.UptimeSeconds = v
	}
	if mac := s.S("MAC"); mac != "" {
		d.MAC = drivers.NormalizeMAC(mac)
	}
	if d.FirmwareVersion == "" {
		d.FirmwareVersion = trimVersion(s.S("Firmware Version"))
	}
	if m := s.S("Model", "Type"); m != "" && d.Model == "" {
		d.Model = NormalizeModel(m)
	}
	parseSummaryFans(d, s)
	if d.Errors == nil {
		d.Errors = summaryErrors(d, s)
	}
}

// parseSummaryFans reads the two chassis fans. Both are reported even at 0
// RPM on air-cooled miners (a stopped fan is what an operator must see);
// liquid-cooled miners have no chassis fans and report 0, so there only a
// turning fan counts. "Power Fanspeed" is the PSU's fan: PSUFanRPM.
func parseSummaryFans(d *drivers.MinerData, s jsonval.Obj) {
	if v := intField(d, "summary", s, "Power Fanspeed"); v != nil && *v >= 0 {
		d.PSUFanRPM = v
	}
	liquid := s.B("Liquid Cooling")
	for i, key := range []string{"Fan Speed In", "Fan Speed Out"} {
		v := intField(d, "summary", s, key)
		if v == nil || *v < 0 {
			continue
		}
		if *v == 0 && liquid != nil && *liquid {
			continue
		}
		d.Fans = append(d.Fans, drivers.Fan{Index: i, RPM: v})
	}
}

// summaryErrors reads "Error Code 0" .. "Error Code <count-1>". The
// "Factory Error Code" entries are results of the factory test, not current
// faults.
func summaryErrors(d *drivers.MinerData, s jsonval.Obj) []drivers.MinerError {
	n := intField(d, "summary", s, "Error Code Count")
	if n == nil {
		return nil
	}
	if *n <= 0 {
		return []drivers.MinerError{} // known: no errors
	}
	count := min(*n, 256) // a sane bound against a hostile count
	out := []drivers.MinerError{}
	seen := map[string]bool{}
	for i := int64(0); i < count; i++ {
		raw := s.S("Error Code " + strconv.FormatInt(i, 10))
		if raw == "" {
			continue
		}
		code, m := minerError(raw)
		if seen[code] {
			continue
		}
		seen[code] = true
		out = append(out, drivers.MinerError{Code: code, Message: m})
	}
	return out
}

func parseMinerInfo(d *drivers.MinerData, o jsonval.Obj) {
	m := msg(o)
	if m.IsNil() {
		drivers.CommandFields(d, "get_miner_info").Missing("Msg")
		return
	}
	if mac := m.S("mac"); mac != "" {
		d.MAC = drivers.NormalizeMAC(mac)
	}
	if h := m.S("hostname"); h != "" {
		d.Hostname = h
	}
	if sn := m.S("minersn"); sn != "" {
		d.SerialNumber = sn
	}
	// "auto" is the normal LED; anything else was set by a person to find
	// the miner.
	if led := m.S("ledstat"); led != "" {
		d.FaultLight = drivers.Ptr(!strings.EqualFold(led, "auto"))
	}
}

// parseStatus reads mineroff. btmineroff is not used: real miners report
// "true" there while hashing (see the M20S V10 and M31S captures).
func parseStatus(d *drivers.MinerData, o jsonval.Obj) {
	m := msg(o)
	if m.IsNil() {
		return
	}
	if off := jsonval.Bool(m.V("mineroff")); off != nil {
		d.IsMining = drivers.Ptr(!*off)
	}
	if d.FirmwareVersion == "" {
		d.FirmwareVersion = trimVersion(m.S("Firmware Version"))
	}
}

func parsePSU(d *drivers.MinerData, o jsonval.Obj) {
	m := msg(o)
	if m.IsNil() {
		return
	}
	if d.PowerWatts == nil {
		if v := finite(field(d, "get_psu", m, "pin", "Pin"), true); v != nil && *v < 100000 {
			d.PowerWatts = v
		}
	}
	if d.PSUFanRPM == nil {
		if v := intField(d, "get_psu", m, "fan_speed"); v != nil && *v >= 0 { // "6000"
			d.PSUFanRPM = v
		}
	}
}

// parseErrorCodes reads get_error_code Msg.error_code: a list of codes, a
// list of {code: time} objects, or ({code: time, ...}) an object.
func parseErrorCodes(d *drivers.MinerData, o jsonval.Obj) {
	m := msg(o)
	if m.IsNil() {
		return
	}
	raw, ok := m.Get("error_code")
	if !ok {
		return
	}
	var codes []string
	addKeys := func(obj jsonval.Obj) {
		for _, k := range obj.Keys() {
			if k != "reason" {
				codes = append(codes, k)
			}
		}
	}
	switch v := raw.(type) {
	case []any:
		for _, e := range v {
			if obj, ok := e.(jsonval.Obj); ok {
				addKeys(obj)
				continue
			}
			if s := jsonval.String(e); s != "" {
				codes = append(codes, s)
			}
		}
	case jsonval.Obj:
		addKeys(v)
	default:
		drivers.CommandFields(d, "get_error_code").Invalid("error_code", "not a list")
		return
	}
	out := []drivers.MinerError{}
	seen := map[string]bool{}
	for _, c := range codes {
		code, message := minerError(c)
		if code == "" || seen[code] {
			continue
		}
		seen[code] = true
		out = append(out, drivers.MinerError{Code: code, Message: message})
	}
	// An empty list is a real answer (no errors), unlike a missing one.
	d.Errors = out
}

func parseDevDetails(d *drivers.MinerData, o jsonval.Obj) {
	for _, e := range cgminer.Section(o, "DEVDETAILS") {
		if m := e.S("Model"); m != "" {
			d.Model = NormalizeModel(m)
			return
		}
	}
}

var (
	vendorPrefix = regexp.MustCompile(`(?i)^\s*(micro\s*bt\s+)?whats\s*miner\s*`)
	// M30S+VE41, M20SV10: the V-suffix glued to the base model.
	gluedSuffix = regexp.MustCompile(`^(M\d+[A-Z]*\+*)(V[A-Z]?\d+)$`)
)

// NormalizeModel turns what btminer reports ("M30S+_VE41", "WhatsMiner
// M20S_V10") into the model table's form ("M30S+ VE40", "M20S V10"): the
// board revision's last digit is a production variant, so it becomes 0.
func NormalizeModel(s string) string {
	s = strings.ToUpper(strings.TrimSpace(vendorPrefix.ReplaceAllString(s, "")))
	if s == "" {
		return ""
	}
	base, suffix, ok := strings.Cut(s, "_")
	if !ok {
		if m := gluedSuffix.FindStringSubmatch(s); m != nil {
			base, suffix = m[1], m[2]
		} else if b, suf, ok := strings.Cut(s, " "); ok {
			base, suffix = b, suf
		}
	}
	base, suffix = strings.TrimSpace(base), strings.TrimSpace(suffix)
	if suffix == "" {
		return base
	}
	if n := len(suffix); suffix[0] == 'V' && n > 1 && suffix[n-1] >= '0' && suffix[n-1] <= '9' {
		suffix = suffix[:n-1] + "0"
	}
	return base + " " + suffix
}

// parseDevs reads DEVS (edevs or devs): one entry per hashboard the firmware
// found, dead ones included.
func parseDevs(d *drivers.MinerData, cmd string, o jsonval.Obj) {
	for i, e := range cgminer.Section(o, "DEVS") {
		b := drivers.Board{Index: i}
		// Slot is the physical position; ASC is the device number, equal to
		// it on every capture but renumbered when a board is missing.
		if v := e.I("Slot", "ASC"); v != nil && *v >= 0 && *v < 64 {
			b.Index = int(*v)
		}
		if v := finite(field(d, cmd, e, "MHS 1m", "MHS 5s"), false); v != nil && *v >= 0 {
			b.Hashrate = hashunit.ToTHs(v, hashunit.MH)
		}
		// btminer writes 0 for a sensor it could not read.
		b.Temperature = finite(field(d, cmd, e, "Temperature"), true)
		b.ChipTemperature = finite(field(d, cmd, e, "Chip Temp Max", "Chip Temp Avg"), true)
		if v := intField(d, cmd, e, "Effective Chips"); v != nil && *v >= 0 {
			b.Chips = v
		}
		b.FrequencyMHz = finite(field(d, cmd, e, "Chip Frequency", "Frequency", "freq"), true)
		b.SerialNumber = e.S("PCB SN")
		switch {
		case b.Hashrate != nil:
			b.Active = drivers.Ptr(*b.Hashrate > 0)
		case e.S("Status") != "":
			b.Active = drivers.Ptr(strings.EqualFold(e.S("Status"), "Alive"))
		}
		d.Boards = append(d.Boards, b)
	}
}

var smID = regexp.MustCompile(`^SM(\d{1,2})$`)

// parseStats reads the per-chain STATS entries (ID "SM0".."SM2") of 2018-19
// cgminer-based firmware that has neither edevs nor devs. They carry no
// per-board hashrate and no chip temperature: temp_N are PCB sensors, 0 when
// the sensor is absent.
func parseStats(d *drivers.MinerData, o jsonval.Obj) {
	const cmd = "stats"
	for _, e := range cgminer.Section(o, "STATS") {
		m := smID.FindStringSubmatch(e.S("ID"))
		if m == nil {
			continue // POOLn entries
		}
		idx, _ := strconv.Atoi(m[1])
		if v := e.I("slot"); v != nil && *v >= 0 && *v < 64 {
			idx = int(*v)
		}
		b := drivers.Board{Index: idx}
		var hottest *float64
		for n := 1; n <= 16; n++ {
			if v := finite(field(d, cmd, e, "temp_"+strconv.Itoa(n)), true); v != nil && (hottest == nil || *v > *hottest) {
				hottest = v
			}
		}
		if hottest == nil {
			hottest = finite(field(d, cmd, e, "temp_now_max"), true)
		}
		b.Temperature = hottest
		if v := intField(d, cmd, e, "chip_num"); v != nil && *v >= 0 {
			b.Chips = v
		}
		b.FrequencyMHz = finite(field(d, cmd, e, "freqs_avg"), true)
		d.Boards = append(d.Boards, b)
	}
	sort.SliceStable(d.Boards, func(i, j int) bool { return d.Boards[i].Index < d.Boards[j].Index })
}

// parsePools uses the standard mapping, but btminer numbers POOL from 1
// since late 2020 while the schema's index is the 0-based priority: Priority
// is used, else the position in the list.
func parsePools(d *drivers.MinerData, o jsonval.Obj) {
	pools := cgminer.Pools(o)
	entries := o.Objs("POOLS")
	if len(entries) != len(pools) {
		d.Pools = pools
		return
	}
	out := make([]poolmetrics.Pool, len(pools))
	for i, p := range pools {
		p.Index = i
		if v := entries[i].I("Priority"); v != nil && *v >= 0 && *v < 1<<16 {
			p.Index = int(*v)
		}
		out[i] = p
	}
	d.Pools = out
}
