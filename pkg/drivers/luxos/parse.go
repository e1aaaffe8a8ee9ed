package luxos

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Limits on indexes read from the miner, so a corrupt reply cannot make us
// allocate or loop without bound.
const (
	maxBoards = 16
	maxFans   = 16
)

// Parse turns the replies of Commands into MinerData. It does no I/O, so
// tests and fuzzing run it on recorded replies. A command that failed or a
// field that cannot be read is recorded in Problems; the rest is kept.
func Parse(b *cgminer.Batch) *drivers.MinerData {
	p := &parser{
		d:      &drivers.MinerData{Make: "Antminer", Firmware: Name, Algorithm: "sha256"},
		boards: map[int]*drivers.Board{},
	}
	r := cgminer.Replies(p.d, b, Commands, func(cmd string) bool { return optional[cmd] })

	// Identity first: the model decides the algorithm.
	if o := r["version"]; !o.IsNil() {
		p.version(o)
	}
	profile := ""
	if o := r["config"]; !o.IsNil() {
		profile = p.config(o)
	}
	if o := r["profiles"]; !o.IsNil() && profile != "" {
		p.profiles(o, profile)
	}
	if o := r["summary"]; !o.IsNil() {
		p.summary(o)
	}
	// Per-board sources, most precise first: each fills only what is
	// still unknown where sources overlap.
	if o := r["temps"]; !o.IsNil() {
		p.temps(o)
	}
	if o := r["devs"]; !o.IsNil() {
		p.devs(o)
	}
	if o := r["stats"]; !o.IsNil() {
		p.stats(o, r["fans"].IsNil())
	}
	p.applyFallbacks()
	if o := r["fans"]; !o.IsNil() {
		p.fans(o)
	}
	if o := r["power"]; !o.IsNil() {
		p.power(o)
	}
	if o := r["pools"]; !o.IsNil() {
		p.d.Pools = cgminer.Pools(o)
	}
	if o := r["events"]; !o.IsNil() {
		p.events(o)
	}
	if isScrypt(p.d.Model) {
		p.d.Algorithm = "scrypt"
	}

	idx := make([]int, 0, len(p.boards))
	for i := range p.boards {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		p.d.Boards = append(p.d.Boards, *p.boards[i])
	}
	sort.SliceStable(p.d.Fans, func(i, j int) bool { return p.d.Fans[i].Index < p.d.Fans[j].Index })
	return p.d
}

type parser struct {
	d      *drivers.MinerData
	boards map[int]*drivers.Board
	// Lower-precedence board values, applied where nothing better came.
	chainRate map[int]float64 // stats chain_rateN, TH/s (average since start)
	devsTemp  map[int]float64 // devs Temperature, °C
	statsMAC  string
}

func (p *parser) board(i int) *drivers.Board {
	b, ok := p.boards[i]
	if !ok {
		b = &drivers.Board{Index: i}
		p.boards[i] = b
	}
	return b
}

func (p *parser) f(cmd string) drivers.Fields { return drivers.CommandFields(p.d, cmd) }

func (p *parser) bad(cmd, field string, v any) { p.f(cmd).Bad(field, v) }

// first returns the first object of a section, reporting its absence.
func (p *parser) first(cmd string, o jsonval.Obj, section string) jsonval.Obj {
	objs := o.Objs(section)
	if len(objs) == 0 {
		p.f(cmd).Missing(section)
		return jsonval.Obj{}
	}
	return objs[0]
}

// num reads a number; absent is nil, present but unreadable (or negative
// when nonNeg) is a problem.
func (p *parser) num(cmd string, o jsonval.Obj, key string, nonNeg bool) *float64 {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		return nil
	}
	f := jsonval.Float(v)
	if f == nil || (nonNeg && *f < 0) {
		p.bad(cmd, key, v)
		return nil
	}
	return f
}

func (p *parser) integer(cmd string, o jsonval.Obj, key string) *int64 {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		return nil
	}
	i := jsonval.Int(v)
	if i == nil || *i < 0 {
		p.bad(cmd, key, v)
		return nil
	}
	return i
}

// index reads a 0-based slot number below limit.
func (p *parser) index(cmd string, o jsonval.Obj, limit int, keys ...string) (int, bool) {
	for _, k := range keys {
		v, ok := o.Lookup(k)
		if !ok || v == nil {
			continue
		}
		i := jsonval.Int(v)
		if i == nil || *i < 0 || *i >= int64(limit) {
			p.bad(cmd, k, v)
			return 0, false
		}
		return int(*i), true
	}
	return 0, false
}

func scaled(v *float64, div float64) *float64 {
	if v == nil {
		return nil
	}
	return drivers.Ptr(*v / div)
}

// cleanModel turns "Antminer S19k Pro" or "AntMiner S19 XP (LuxOS)" into
// "S19k Pro" / "S19 XP".
func cleanModel(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "("); i > 0 {
		s = s[:i]
	}
	for _, prefix := range []string{"antminer", "bitmain"} {
		if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
			s = s[len(prefix):]
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

// isScrypt: Bitmain's L-series (L3+, L7, L9) mine scrypt.
func isScrypt(model string) bool {
	return len(model) >= 2 && (model[0] == 'L' || model[0] == 'l') && model[1] >= '0' && model[1] <= '9'
}

// unitPerTH is how many of a rate unit make one TH/s.
func unitPerTH(u string) (float64, bool) {
	x, ok := hashunit.ParseUnit(u)
	if !ok {
		return 0, false
	}
	return float64(hashunit.TH) / float64(x), true
}

func (p *parser) version(o jsonval.Obj) {
	v := p.first("version", o, "VERSION")
	if v.IsNil() {
		return
	}
	p.d.FirmwareVersion = v.S("LUXminer", "Miner")
	p.d.APIVersion = v.S("API")
	p.d.Model = cleanModel(v.S("Type"))
}

// config fills identity and state and returns the active profile's name.
func (p *parser) config(o jsonval.Obj) string {
	c := p.first("config", o, "CONFIG")
	if c.IsNil() {
		return ""
	}
	if mac := c.S("MACAddr"); mac != "" {
		p.d.MAC = drivers.NormalizeMAC(mac)
	}
	p.d.Hostname = c.S("Hostname")
	p.d.SerialNumber = c.S("SerialNumber")
	if p.d.Model == "" {
		p.d.Model = cleanModel(c.S("Model"))
	}
	// "auto" is the firmware driving the LED from the miner's state (the
	// default), not an operator lighting it; on/blink are.
	switch led := strings.ToLower(c.S("RedLed")); led {
	case "":
	case "off", "auto":
		p.d.FaultLight = drivers.Ptr(false)
	default:
		p.d.FaultLight = drivers.Ptr(true)
	}
	// CurtailMode is "None" unless the miner was put to sleep/idle.
	if mode := c.S("CurtailMode"); mode != "" {
		p.d.IsMining = drivers.Ptr(strings.EqualFold(mode, "none"))
	}
	return c.S("Profile")
}

// profiles sets the power limit from the active profile's Watts.
func (p *parser) profiles(o jsonval.Obj, name string) {
	for _, pr := range o.Objs("PROFILES") {
		if pr.S("Profile Name") != name {
			continue
		}
		if w := p.num("profiles", pr, "Watts", true); w != nil && *w > 0 {
			p.d.PowerLimitWatts = w
		}
		return
	}
	p.f("profiles").Invalid("PROFILES", fmt.Sprintf("active profile %q (config Profile) not listed", name))
}

func (p *parser) summary(o jsonval.Obj) {
	s := p.first("summary", o, "SUMMARY")
	if s.IsNil() {
		return
	}
	// The 1-minute average; the 5 s value is noisy and only a fallback.
	if v := p.num("summary", s, "GHS 1m", true); v != nil {
		p.d.Hashrate = hashunit.ToTHs(v, hashunit.GH)
	} else if v := p.num("summary", s, "GHS 5s", true); v != nil {
		p.d.Hashrate = hashunit.ToTHs(v, hashunit.GH)
	}
	p.d.UptimeSeconds = p.integer("summary", s, "Elapsed")
}

// temps reads the per-board sensors; METADATA names each one.
func (p *parser) temps(o jsonval.Obj) {
	labels := map[string]string{}
	for _, m := range o.Objs("METADATA") {
		for k, v := range m.All() {
			if lo, ok := v.(jsonval.Obj); ok {
				labels[k] = strings.ToLower(jsonval.Obj(lo).S("Label"))
			}
		}
	}
	for pos, t := range o.Objs("TEMPS") {
		i, ok := p.index("temps", t, maxBoards, "ID", "TEMP")
		if !ok {
			if _, has := t.Get("ID", "TEMP"); has || pos >= maxBoards {
				continue
			}
			i = pos
		}
		var hot, inlet, outlet, chip *float64
		for _, k := range t.Keys() {
			if k == "ID" || k == "TEMP" {
				continue
			}
			label, named := labels[k]
			if !named && (len(labels) > 0 || jsonval.Float(t.V(k)) == nil) {
				continue // not a sensor
			}
			v := p.num("temps", t, k, false)
			if v == nil || *v == 0 { // 0: sensor missing
				continue
			}
			switch {
			case strings.Contains(label, "chip"):
				chip = maxOf(chip, *v)
				continue
			case strings.Contains(label, "intake") || strings.Contains(label, "inlet"):
				inlet = maxOf(inlet, *v)
			case strings.Contains(label, "exhaust") || strings.Contains(label, "outlet"):
				outlet = maxOf(outlet, *v)
			}
			hot = maxOf(hot, *v)
		}
		b := p.board(i)
		b.Temperature, b.InletTemperature, b.OutletTemperature = hot, inlet, outlet
		if chip != nil {
			b.ChipTemperature = chip
		}
	}
}

func maxOf(m *float64, v float64) *float64 {
	if m == nil || v > *m {
		return &v
	}
	return m
}

func (p *parser) devs(o jsonval.Obj) {
	for _, dv := range o.Objs("DEVS") {
		i, ok := p.index("devs", dv, maxBoards, "ID", "ASC")
		if !ok {
			continue
		}
		b := p.board(i)
		// 1-minute average per board; 5 s only when that is all there is.
		if v := p.num("devs", dv, "MHS 1m", true); v != nil {
			b.Hashrate = hashunit.ToTHs(v, hashunit.MH)
		} else if v := p.num("devs", dv, "MHS 5s", true); v != nil {
			b.Hashrate = hashunit.ToTHs(v, hashunit.MH)
		}
		if v := p.num("devs", dv, "Nominal MHS", true); v != nil && *v > 0 {
			b.ExpectedHashrate = hashunit.ToTHs(v, hashunit.MH)
		}
		b.SerialNumber = dv.S("SerialNumber")
		if st := dv.S("Status"); st != "" {
			alive := strings.EqualFold(st, "Alive")
			if en := dv.B("Enabled"); en != nil && !*en {
				alive = false
			}
			b.Active = &alive
		}
		if v := p.num("devs", dv, "Temperature", false); v != nil && *v != 0 {
			if p.devsTemp == nil {
				p.devsTemp = map[int]float64{}
			}
			p.devsTemp[i] = *v
		}
	}
}

// statsEntry is the STATS element with the miner's counters (index 1; index
// 0 repeats the version).
func statsEntry(o jsonval.Obj) jsonval.Obj {
	for _, s := range o.Objs("STATS") {
		if _, ok := s.Get("Elapsed", "chain_acn1", "rate_unit", "total_rateideal"); ok {
			return s
		}
	}
	return jsonval.Obj{}
}

func (p *parser) stats(o jsonval.Obj, wantFans bool) {
	s := statsEntry(o)
	if s.IsNil() {
		p.f("stats").Invalid("STATS", "no entry with counters")
		return
	}
	perTH := 1e3 // LUXminer reports GH unless it says otherwise
	if u := s.S("rate_unit"); u != "" {
		if f, ok := unitPerTH(u); ok {
			perTH = f
		} else {
			p.bad("stats", "rate_unit", u)
			perTH = 0
		}
	}
	if perTH > 0 {
		if v := p.num("stats", s, "total_rateideal", true); v != nil && *v > 0 {
			p.d.ExpectedHashrate = scaled(v, perTH)
		}
	}
	if p.d.UptimeSeconds == nil {
		p.d.UptimeSeconds = p.integer("stats", s, "Elapsed")
	}
	if id := s.S("miner_id"); len(id) == 12 {
		p.statsMAC = drivers.NormalizeMAC(id)
	}

	for n := 1; n <= maxBoards; n++ {
		sn := strconv.Itoa(n)
		acn := p.integer("stats", s, "chain_acn"+sn)
		rate := p.num("stats", s, "chain_rate"+sn, true)
		freq := p.num("stats", s, "freq"+sn, true)
		pcb := p.sensors("stats", s, "temp_pcb"+sn)
		chip := p.sensors("stats", s, "temp_chip"+sn)
		_, known := p.boards[n-1]
		nonZero := (acn != nil && *acn > 0) || (rate != nil && *rate > 0) || pcb != nil || chip != nil
		if !known && !nonZero {
			continue // an unused slot: padding, not a board
		}
		b := p.board(n - 1)
		b.Chips = acn
		if freq != nil && *freq > 0 {
			b.FrequencyMHz = freq
		}
		if b.Temperature == nil {
			b.Temperature = pcb
		}
		if b.ChipTemperature == nil {
			b.ChipTemperature = chip
		}
		if rate != nil && perTH > 0 {
			if p.chainRate == nil {
				p.chainRate = map[int]float64{}
			}
			p.chainRate[n-1] = *rate / perTH
		}
	}

	if wantFans {
		p.statsFans(s)
	}
}

// sensors reads a dash string like "47-34-34-47" and returns the hottest
// reading; 0 is an absent sensor.
func (p *parser) sensors(cmd string, o jsonval.Obj, key string) *float64 {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		return nil
	}
	if f := jsonval.Float(v); f != nil { // a plain number on some models
		if *f == 0 {
			return nil
		}
		return f
	}
	s, ok := v.(string)
	if !ok {
		p.bad(cmd, key, v)
		return nil
	}
	var hot *float64
	for _, part := range strings.Split(s, "-") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := jsonval.Float(part)
		if f == nil {
			p.bad(cmd, key, s)
			return nil
		}
		if *f != 0 {
			hot = maxOf(hot, *f)
		}
	}
	return hot
}

// statsFans is the fallback when the fans command is missing.
func (p *parser) statsFans(s jsonval.Obj) {
	count := maxFans
	if n := p.integer("stats", s, "fan_num"); n != nil && *n < int64(maxFans) {
		count = int(*n)
	}
	for n := 1; n <= count; n++ {
		rpm := p.integer("stats", s, "fan"+strconv.Itoa(n))
		if rpm == nil || (*rpm == 0 && s.V("fan_num") == nil) {
			continue
		}
		p.d.Fans = append(p.d.Fans, drivers.Fan{Index: n - 1, RPM: rpm})
	}
}

func (p *parser) applyFallbacks() {
	for i, b := range p.boards {
		if b.Hashrate == nil {
			if v, ok := p.chainRate[i]; ok {
				b.Hashrate = drivers.Ptr(v)
			}
		}
		if b.Temperature == nil {
			if v, ok := p.devsTemp[i]; ok {
				b.Temperature = drivers.Ptr(v)
			}
		}
	}
	if p.d.MAC == "" {
		p.d.MAC = p.statsMAC
	}
}

func (p *parser) fans(o jsonval.Obj) {
	seen := map[int]bool{}
	for pos, f := range o.Objs("FANS") {
		i, ok := p.index("fans", f, maxFans, "ID")
		if !ok {
			if _, has := f.Get("ID"); has || pos >= maxFans {
				continue
			}
			i = pos
		}
		if seen[i] {
			p.f("fans").Invalid("FANS", fmt.Sprintf("fan ID %d listed twice", i))
			continue
		}
		seen[i] = true
		fan := drivers.Fan{Index: i, RPM: p.integer("fans", f, "RPM")}
		if v := p.num("fans", f, "Speed", true); v != nil {
			if *v <= 100 {
				fan.Percent = v
			} else {
				p.bad("fans", "Speed", *v)
			}
		}
		if fan.RPM == nil && fan.Percent == nil {
			continue
		}
		p.d.Fans = append(p.d.Fans, fan)
	}
}

func (p *parser) power(o jsonval.Obj) {
	w := p.first("power", o, "POWER")
	if w.IsNil() {
		return
	}
	p.d.PowerWatts = p.num("power", w, "Watts", true)
}

// events are current conditions; the sleeping/shut-down ones mean the
// miner is not mining.
func (p *parser) events(o jsonval.Obj) {
	if _, ok := o.V("EVENTS").([]any); !ok {
		p.f("events").Invalid("EVENTS", "not a list")
		return
	}
	// Answered: an empty list is a clean report, not an unknown one.
	p.d.Errors = []drivers.MinerError{}
	for _, e := range o.Objs("EVENTS") {
		code := e.S("Code")
		msg := e.S("Description")
		if msg == "" {
			msg = code
		}
		if msg == "" {
			continue
		}
		if strings.EqualFold(e.S("Target"), "BOARD") {
			if id := e.I("ID"); id != nil {
				msg = fmt.Sprintf("board %d: %s", *id, msg)
			}
		}
		p.d.Errors = append(p.d.Errors, drivers.MinerError{Code: code, Message: msg})
		switch strings.ToUpper(code) {
		case "SLEEP", "IDLE", "NOPIC_PROTECTION":
			p.d.IsMining = drivers.Ptr(false)
		}
	}
}
