package braiins

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// maxSlots bounds board slots taken from chain IDs, so a corrupt ID cannot
// create thousands of boards.
const maxSlots = 32

// Parse turns the replies of one gather into MinerData. It does no I/O.
// Commands the firmware lacks ("Invalid command") or that were not asked
// are skipped silently; any other failure is recorded as a Problem and the
// rest is kept.
func Parse(b *cgminer.Batch) *drivers.MinerData {
	p := &parser{
		d:      &drivers.MinerData{Make: "Antminer", Firmware: Name, Algorithm: "sha256"},
		boards: map[int]*drivers.Board{},
	}
	r := cgminer.Replies(p.d, b, Commands, cgminer.AnyMayLack)
	for _, cmd := range Commands {
		if obj := r[cmd]; !obj.IsNil() && p.description == "" {
			p.description = statusDescription(obj)
		}
	}
	if o := r["version"]; !o.IsNil() {
		p.version(o)
	}
	if o := r["summary"]; !o.IsNil() {
		p.summary(o)
	}
	// Boards come from devs and devdetails first, so that temps can tell a
	// real board from an empty slot.
	if o := r["devs"]; !o.IsNil() {
		p.devs(o)
	}
	if o := r["devdetails"]; !o.IsNil() {
		p.devdetails(o)
	}
	if o := r["temps"]; !o.IsNil() {
		p.temps(o)
	}
	if o := r["fans"]; !o.IsNil() {
		p.fans(o)
	}
	if o := r["tunerstatus"]; !o.IsNil() {
		p.tunerstatus(o)
	}
	if o := r["pools"]; !o.IsNil() {
		if _, ok := o.Lookup("POOLS"); !ok {
			p.f("pools").Missing("POOLS")
		} else {
			p.d.Pools = cgminer.Pools(o)
		}
	}
	p.finish()
	return p.d
}

type parser struct {
	d           *drivers.MinerData
	boards      map[int]*drivers.Board
	description string // STATUS Description of the first reply: version fallback
	platform    string // e.g. "am1-s9", from version strings
}

func statusDescription(obj jsonval.Obj) string {
	for _, st := range obj.Objs("STATUS") {
		if s := st.S("Description"); s != "" {
			return s
		}
	}
	return ""
}

// section returns the objects of name in cmd's reply, reporting a missing
// section.
func (p *parser) section(cmd string, obj jsonval.Obj, name string) []jsonval.Obj {
	return p.f(cmd).Section(obj, name)
}

// f reads fields of cmd's reply.
func (p *parser) f(cmd string) drivers.Fields {
	return drivers.Fields{D: p.d, Source: "command " + strconv.Quote(cmd)}
}

func mhsToTHs(v *float64) *float64 {
	return hashunit.ToTHs(v, hashunit.MH)
}

func (p *parser) version(o jsonval.Obj) {
	vs := p.section("version", o, "VERSION")
	if len(vs) == 0 {
		return
	}
	v := vs[0]
	p.d.APIVersion = v.S("API")
	// The key names the miner program: BOSer on the gRPC generation,
	// BOSminer(+) on bosminer, BMMiner on the 2018 cgminer-based bOS.
	p.d.FirmwareVersion = v.S("BOSer", "BOSminer+", "BOSminer", "BMMiner", "Miner")
	p.platform = platform(p.d.FirmwareVersion + " " + v.S("Type"))
}

var platformRE = regexp.MustCompile(`am[0-9]+-[a-z0-9]+`)

func platform(s string) string {
	return platformRE.FindString(strings.ToLower(s))
}

func (p *parser) summary(o jsonval.Obj) {
	ss := p.section("summary", o, "SUMMARY")
	if len(ss) == 0 {
		return
	}
	s := ss[0]
	// The 1-minute average; the 5 s value only when it is missing.
	p.d.Hashrate = mhsToTHs(p.f("summary").NonNegFloat(s, "MHS 1m", "MHS 5s"))
	p.d.UptimeSeconds = p.f("summary").NonNegInt(s, "Elapsed")
}

// chain pairs a reply entry with its board slot.
type chain struct {
	slot int
	e    jsonval.Obj
}

// chains maps the entries' chain IDs to 0-based slots. bosminer numbers
// chains by connector: 6,7,8 on the S9, 1,2,3 on later platforms; an
// offset found per command keeps a dead first chain from shifting the rest.
func (p *parser) chains(cmd string, entries []jsonval.Obj, idKey string) []chain {
	ids := make([]int64, 0, len(entries))
	keep := make([]jsonval.Obj, 0, len(entries))
	for _, e := range entries {
		id := p.f(cmd).NonNegInt(e, idKey)
		if id == nil {
			if _, ok := e.Lookup(idKey); !ok {
				p.f(cmd).Missing(idKey)
			}
			continue
		}
		ids = append(ids, *id)
		keep = append(keep, e)
	}
	if len(ids) == 0 {
		return nil
	}
	low := ids[0]
	for _, id := range ids {
		low = min(low, id)
	}
	var off int64
	switch {
	case low >= 6:
		off = 6
	case low >= 1:
		off = 1
	}
	out := make([]chain, 0, len(ids))
	for i, id := range ids {
		slot := id - off
		if slot < 0 || slot >= maxSlots {
			p.f(cmd).OutOfRange(idKey, id)
			continue
		}
		out = append(out, chain{slot: int(slot), e: keep[i]})
	}
	return out
}

func (p *parser) board(slot int) *drivers.Board {
	b, ok := p.boards[slot]
	if !ok {
		b = &drivers.Board{Index: slot}
		p.boards[slot] = b
	}
	return b
}

func (p *parser) devs(o jsonval.Obj) {
	for _, c := range p.chains("devs", p.section("devs", o, "DEVS"), "ID") {
		b := p.board(c.slot)
		b.Hashrate = mhsToTHs(p.f("devs").NonNegFloat(c.e, "MHS 1m", "MHS 5s"))
		b.ExpectedHashrate = mhsToTHs(p.f("devs").NonNegFloat(c.e, "Nominal MHS"))
		status, enabled := c.e.S("Status"), c.e.B("Enabled")
		if status != "" || enabled != nil {
			active := (enabled == nil || *enabled) && (status == "" || strings.EqualFold(status, "Alive"))
			b.Active = &active
		}
	}
}

func (p *parser) devdetails(o jsonval.Obj) {
	for _, c := range p.chains("devdetails", p.section("devdetails", o, "DEVDETAILS"), "ID") {
		b := p.board(c.slot)
		b.Chips = p.f("devdetails").NonNegInt(c.e, "Chips")
		if f := p.f("devdetails").NonNegFloat(c.e, "Frequency"); f != nil {
			// bosminer sends Hz (799682118); accept MHz should a version
			// send that instead.
			mhz := *f
			if mhz > 1e5 {
				mhz /= 1e6
			}
			b.FrequencyMHz = &mhz
		}
		b.VoltageVolts = p.f("devdetails").NonNegFloat(c.e, "Voltage")
		if p.d.Model == "" {
			if raw := c.e.S("Model"); raw != "" {
				p.setModel(raw)
			}
		}
	}
}

func (p *parser) temps(o jsonval.Obj) {
	for _, c := range p.chains("temps", p.section("temps", o, "TEMPS"), "ID") {
		board := positive(p.f("temps").Float(c.e, "Board"))
		chip := positive(p.f("temps").Float(c.e, "Chip"))
		if _, known := p.boards[c.slot]; !known && board == nil && chip == nil {
			continue // an empty slot, not a board
		}
		b := p.board(c.slot)
		b.Temperature = board
		b.ChipTemperature = chip
	}
}

// positive drops the 0 that stands for a missing sensor.
func positive(v *float64) *float64 {
	if v == nil || *v == 0 {
		return nil
	}
	return v
}

func (p *parser) fans(o jsonval.Obj) {
	entries := p.section("fans", o, "FANS")
	// A two-fan S9 still lists four slots; slots after the last turning fan
	// are not fitted. A stopped fan between turning ones is kept.
	last := -1
	fs := make([]drivers.Fan, 0, len(entries))
	for i, e := range entries {
		f := drivers.Fan{Index: i}
		if n := p.f("fans").NonNegInt(e, "FAN", "ID"); n != nil && *n < maxSlots {
			f.Index = int(*n)
		}
		f.RPM = p.f("fans").NonNegInt(e, "RPM")
		f.Percent = p.f("fans").NonNegFloat(e, "Speed")
		if f.RPM != nil && *f.RPM > 0 {
			last = i
		}
		fs = append(fs, f)
	}
	seen := map[int]bool{}
	for i := 0; i <= last; i++ {
		if !seen[fs[i].Index] { // a repeated index would collide in the fan tag
			seen[fs[i].Index] = true
			p.d.Fans = append(p.d.Fans, fs[i])
		}
	}
}

// normalTuner are the tuner chain states of a healthy chain.
var normalTuner = map[string]bool{
	"stable":                      true,
	"tuning individual chips":     true,
	"testing performance profile": true,
}

func (p *parser) tunerstatus(o jsonval.Obj) {
	ts := p.section("tunerstatus", o, "TUNERSTATUS")
	if len(ts) == 0 {
		return
	}
	t := ts[0]
	p.d.PowerWatts = p.f("tunerstatus").NonNegFloat(t, "ApproximateMinerPowerConsumption")
	p.d.PowerLimitWatts = p.f("tunerstatus").NonNegFloat(t, "PowerLimit")
	if _, ok := t.V("TunerChainStatus").([]any); ok && p.d.Errors == nil {
		// The tuner's chain report is this firmware's error report: clean
		// is an empty list, not "unknown".
		p.d.Errors = []drivers.MinerError{}
	}
	for _, c := range p.chains("tunerstatus", t.Objs("TunerChainStatus"), "HashchainIndex") {
		status := c.e.S("Status")
		// Some versions append details in braces: "Failed {..}".
		key, _, _ := strings.Cut(status, " {")
		key = strings.ToLower(strings.TrimSpace(key))
		if key == "" || normalTuner[key] {
			continue
		}
		p.d.Errors = append(p.d.Errors, drivers.MinerError{
			Message: fmt.Sprintf("hashboard %d: tuner: %s", c.slot, status),
		})
	}
}

var (
	modelPrefixes = []string{"bitmain ", "antminer ", "braiins "}
	// "S19XP" -> "S19 XP", "S19jPro" -> "S19j Pro".
	modelGlued = regexp.MustCompile(`([0-9][a-z]*)(XP|Pro|Hydro)\b`)
)

func (p *parser) setModel(raw string) {
	lower := strings.ToLower(raw)
	if strings.HasPrefix(lower, "braiins") || strings.Contains(lower, "bmm") {
		p.d.Make = "Braiins"
	}
	p.d.Model = cleanModel(raw)
}

// cleanModel strips vendor prefixes and "(...)" suffixes: "Bitmain Antminer
// S9" -> "S9".
func cleanModel(raw string) string {
	s := strings.TrimSpace(raw)
	if i := strings.Index(s, "("); i > 0 {
		s = s[:i]
	}
	for again := true; again; {
		again = false
		for _, pre := range modelPrefixes {
			if len(s) > len(pre) && strings.EqualFold(s[:len(pre)], pre) {
				s = strings.TrimSpace(s[len(pre):])
				again = true
			}
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	return modelGlued.ReplaceAllString(s, "$1 $2")
}

// platformModels are the bosminer platforms that name exactly one model.
var platformModels = map[string]string{"am1-s9": "S9"}

func (p *parser) finish() {
	d := p.d
	if d.FirmwareVersion == "" && p.description != "" {
		// "BOSminer bosminer-plus-am1-s9 0.4.0-908ca41d": the first word
		// names the program, the rest is the version.
		if prog, rest, ok := strings.Cut(p.description, " "); ok && isProgram(prog) {
			d.FirmwareVersion = strings.TrimSpace(rest)
		}
	}
	if p.platform == "" {
		p.platform = platform(d.FirmwareVersion)
	}
	if d.Model == "" {
		d.Model = platformModels[p.platform]
	}

	slots := make([]int, 0, len(p.boards))
	for s := range p.boards {
		slots = append(slots, s)
	}
	sort.Ints(slots)
	var expected float64
	haveExpected := false
	for _, s := range slots {
		b := *p.boards[s]
		d.Boards = append(d.Boards, b)
		if b.ExpectedHashrate != nil {
			expected += *b.ExpectedHashrate
			haveExpected = true
		}
	}
	if haveExpected {
		d.ExpectedHashrate = &expected
	}

	// Mining when any board hashes; without devs, the miner's total.
	var mining *bool
	for _, b := range d.Boards {
		if b.Hashrate != nil {
			m := mining != nil && *mining || *b.Hashrate > 0
			mining = &m
		}
	}
	if mining == nil && d.Hashrate != nil {
		mining = drivers.Ptr(*d.Hashrate > 0)
	}
	d.IsMining = mining
}

func isProgram(s string) bool {
	switch strings.ToLower(s) {
	case "bosminer", "bosminer+", "boser", "bmminer":
		return true
	}
	return false
}
