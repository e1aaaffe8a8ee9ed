package antminer

import (
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// maxChain bounds chain and fan numbers read from key names.
const maxChain = 64

// modeSleep is the stats Mode of an S17/T17 put to sleep.
const modeSleep = 254

// StatsEntries splits a stats reply into its identity entry (Type,
// CompileTime, ...) and its data entry (Elapsed, chain_*). On new_api
// replies the identity is INFO and the data the STATS entry holding
// chain[]. Either may be nil.
func StatsEntries(r jsonval.Obj) (info, data jsonval.Obj) {
	entries := r.Objs("STATS")
	for _, e := range entries {
		_, hasChain := e.Lookup("chain")
		switch {
		case data.IsNil() && (hasChain || e.V("Elapsed") != nil || e.V("elapsed") != nil || e.V("GHS 5s") != nil || e.V("ID") != nil):
			data = e
		case info.IsNil() && (e.V("Type") != nil || e.V("type") != nil):
			info = e
		}
	}
	if data.IsNil() && len(entries) > 1 {
		data = entries[len(entries)-1]
	}
	if i := r.O("INFO"); !i.IsNil() && info.IsNil() {
		info = i
	}
	return info, data
}

// ParseStats reads a stats reply (legacy or new_api) into d: boards, fans,
// expected hashrate, uptime and power when d has none yet, and the 5 s
// hashrate as a fallback. It is what ParseBMMiner uses; d.Model and
// d.Algorithm should be set first (they pick the rate unit).
func ParseStats(d *drivers.MinerData, r jsonval.Obj, opt Options) {
	p := &parser{d: d, opt: opt}
	if _, data := StatsEntries(r); !data.IsNil() {
		p.rateUnit = cmdFields(d, "stats", data).String("rate_unit")
	}
	p.stats(r)
	p.finish()
}

func (p *parser) stats(r jsonval.Obj) {
	_, data := StatsEntries(r)
	if data.IsNil() {
		drivers.CommandFields(p.d, "stats").Invalid("STATS", "no data entry")
		return
	}
	if _, ok := data.Lookup("chain"); ok {
		p.newAPIStats(data)
		return
	}
	f := cmdFields(p.d, "stats", data)
	d := p.d
	p.statsRate = p.hashrate5s(f)
	if d.UptimeSeconds == nil {
		d.UptimeSeconds = f.Int("Elapsed")
	}
	if v := f.Float("total_rateideal"); v != nil && *v > 0 {
		d.ExpectedHashrate = drivers.Ptr(*v * p.rateFactor())
	}
	// Mode is also "H" (S9k) or 2 (S19); only 254 is known to mean sleep.
	if m := data.I("Mode"); m != nil && *m == modeSleep {
		p.sleeping = true
	}
	d.Fans = legacyFans(f)

	var layout [][]int
	if p.opt.Layout != nil {
		layout = p.opt.Layout(data, d.Model)
	}
	if layout == nil {
		layout = detectLayout(f)
	}
	var all []int
	for slot, chains := range layout {
		if len(chains) == 0 {
			continue // a missing board between present ones
		}
		b := p.legacyBoard(f, slot, chains)
		if p.opt.Board != nil {
			p.opt.Board(d, &b, data, chains)
		}
		d.Boards = append(d.Boards, b)
		all = append(all, chains...)
	}
	if d.PowerWatts == nil {
		d.PowerWatts = legacyPower(f, all)
	}
}

// chainKeys are the per-chain keys whose value shows a chain exists
// (strong) or whose mere presence does (weak: bmminer writes them only for
// chains it found, also while the miner sleeps).
var (
	strongPrefixes = []string{"chain_acn", "chain_acs", "chain_rate"}
	weakPrefixes   = []string{"chain_xtime", "chain_offside_", "chain_SN"}
)

// chainNumber reads the chain number after prefix (1..maxChain, decimal
// digits only) without allocating: most keys are not chain keys, and
// strconv's error for each of them was a third of this parser's garbage.
func chainNumber(key, prefix string) (int, bool) {
	if !strings.HasPrefix(key, prefix) {
		return 0, false
	}
	digits := key[len(prefix):]
	if digits == "" || len(digits) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > maxChain {
		return 0, false
	}
	return n, true
}

// chainSet is a set of chain numbers (1..maxChain).
type chainSet struct {
	has [maxChain + 1]bool
	n   int
}

func (c *chainSet) add(n int) {
	if !c.has[n] {
		c.has[n] = true
		c.n++
	}
}

// PresentChains lists, sorted, the chain numbers bmminer reports present in
// a stats data entry: a chip count, chip status or non-zero rate string
// shows a board; padding slots (0, "") do not. When that finds fewer chains
// than miner_count (asleep, dead), the chains bmminer keeps chain_xtimeN,
// chain_offside_N or chain_SNN for are added, and only then chains whose
// rate string is zero ("0.00": a dead board on an L3+, but also the padding
// of all 16 slots on some S9 builds, so never on its own).
func PresentChains(stats jsonval.Obj) []int {
	var present, weak, zeroRate chainSet
	for k, v := range stats.All() {
		if !strings.HasPrefix(k, "chain_") {
			continue
		}
		for _, pre := range strongPrefixes {
			n, ok := chainNumber(k, pre)
			if !ok {
				continue
			}
			if chainValueShowsBoard(pre, v) {
				if pre == "chain_rate" && isZeroRate(v) {
					zeroRate.add(n)
				} else {
					present.add(n)
				}
			}
		}
		for _, pre := range weakPrefixes {
			if n, ok := chainNumber(k, pre); ok {
				weak.add(n)
			}
		}
	}
	count := stats.I("miner_count")
	short := func() bool { return present.n == 0 || (count != nil && int64(present.n) < *count) }
	for _, more := range []*chainSet{&weak, &zeroRate} {
		if !short() {
			break
		}
		for n, ok := range more.has {
			if ok {
				present.add(n)
			}
		}
	}
	nums := make([]int, 0, present.n)
	for n, ok := range present.has {
		if ok {
			nums = append(nums, n)
		}
	}
	return nums
}

// isZeroRate: a rate string that reads 0 ("0.00", "0.00000").
func isZeroRate(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	n := jsonval.Float(strings.TrimSpace(s))
	return n != nil && *n == 0
}

// detectLayout gives each present chain (numbering differs by model: S9
// 6..8, S19 1..3, L3+ 1..4) a 0-based slot relative to its group (1, 6 or
// 11), so a missing board leaves a gap rather than shifting the others.
func detectLayout(f drivers.Object) [][]int {
	nums := PresentChains(f.Obj())
	if len(nums) == 0 {
		return nil
	}
	base := nums[0]
	switch {
	case base <= 5:
		base = 1
	case base <= 10:
		base = 6
	case base <= 15:
		base = 11
	}
	last := nums[len(nums)-1] - base
	layout := make([][]int, last+1)
	for _, n := range nums {
		layout[n-base] = []int{n}
	}
	return layout
}

func chainValueShowsBoard(prefix string, v any) bool {
	switch prefix {
	case "chain_acs":
		return jsonval.String(v) != ""
	case "chain_acn":
		n := jsonval.Float(v)
		return n != nil && *n > 0
	}
	// chain_rate: "0.00" is a present board that hashes nothing; "" or a
	// numeric 0 is padding.
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s) != ""
	}
	n := jsonval.Float(v)
	return n != nil && *n != 0
}

func (p *parser) legacyBoard(f drivers.Object, slot int, chains []int) drivers.Board {
	b := drivers.Board{Index: slot}
	factor := p.rateFactor()
	var rate, ideal float64
	var chips int64
	haveIdeal, haveChips := false, false
	var pcb, chip []float64
	for _, n := range chains {
		s := strconv.Itoa(n)
		if v := f.Float("chain_rate" + s); v != nil {
			rate += *v
		}
		if v := f.Float("chain_rateideal" + s); v != nil && *v > 0 {
			ideal += *v
			haveIdeal = true
		}
		if v := f.Int("chain_acn" + s); v != nil {
			chips += *v
			haveChips = true
		}
		if t := boardTemps(f, "temp_pcb"+s, "temp"+s); t != nil {
			pcb = append(pcb, *t)
		}
		if t := boardTemps(f, "temp_chip"+s, "temp2_"+s); t != nil {
			chip = append(chip, *t)
		}
		if b.FrequencyMHz == nil {
			b.FrequencyMHz = positive(f, "freq_avg"+s, "freq"+s, "frequency"+s) // frequencyN: D3, Z11
		}
		if b.VoltageVolts == nil {
			b.VoltageVolts = chainVoltage(f, s)
		}
		if b.SerialNumber == "" {
			if sn := f.String("chain_SN" + s); !strings.HasPrefix(strings.ToLower(sn), "unknow") {
				b.SerialNumber = sn
			}
		}
	}
	// A board the firmware lists without a rate ("" while asleep or dead)
	// hashes nothing: 0 is what an operator must see.
	b.Hashrate = drivers.Ptr(rate * factor)
	if haveIdeal {
		b.ExpectedHashrate = drivers.Ptr(ideal * factor)
	}
	if haveChips {
		b.Chips = drivers.Ptr(chips)
	}
	b.Temperature = maxOf(pcb)
	b.ChipTemperature = maxOf(chip)
	b.Active = drivers.Ptr(rate > 0)
	return b
}

// boardTemps is the highest reading of a dash string (S17 and later), or
// the single legacy value (S9, L3+).
func boardTemps(f drivers.Object, dashKey, singleKey string) *float64 {
	if v, ok := f.Obj().Lookup(dashKey); ok && v != nil {
		if s, isStr := v.(string); isStr {
			if m := maxOf(DashTemps(s)); m != nil {
				return m
			}
		} else if t := f.Float(dashKey); t != nil && plausibleTemp(*t) {
			return t
		}
	}
	if t := f.Float(singleKey); t != nil && plausibleTemp(*t) {
		return t
	}
	return nil
}

func positive(f drivers.Object, keys ...string) *float64 {
	for _, k := range keys {
		if v := f.Float(k); v != nil && *v > 0 {
			return v
		}
	}
	return nil
}

// chainVoltage reads chain_voltageN (V, MSKMiner) or chain_volN, which
// Vnish sends in mV on S21 (13000) and in 10 mV on S9 (920 = 9.20 V).
func chainVoltage(f drivers.Object, n string) *float64 {
	if v := f.Float("chain_voltage" + n); v != nil && *v > 0 {
		return v
	}
	v := f.Float("chain_vol" + n)
	if v == nil || *v <= 0 {
		return nil
	}
	switch {
	case *v >= 1000:
		return drivers.Ptr(*v / 1000)
	case *v >= 100:
		return drivers.Ptr(*v / 100)
	}
	return v
}

// legacyFans: fan_num says how many fans there are, but not where they
// are numbered from (fan1 on S19, fan5 on S9, fan3 on some). When as many
// fans spin as fan_num says, they are the ones; otherwise a fan is dead and
// the fans are counted from the start of the group of four holding the
// first spinning one, keeping the dead one at 0 RPM.
func legacyFans(f drivers.Object) []drivers.Fan {
	var vals [17]*int64
	var spinning []*int64
	for i := 1; i <= 16; i++ {
		vals[i] = f.Int("fan" + strconv.Itoa(i))
		if vals[i] != nil && *vals[i] > 0 {
			spinning = append(spinning, vals[i])
		}
	}
	num := f.Int("fan_num")
	n := len(spinning)
	if num != nil {
		n = int(min(max(*num, 0), 16))
	}
	var out []drivers.Fan
	if len(spinning) >= n {
		for _, v := range spinning[:n] {
			out = append(out, drivers.Fan{Index: len(out), RPM: v})
		}
		return out
	}
	start := 1
	for i := 1; i <= 16; i++ {
		if vals[i] != nil && *vals[i] > 0 {
			start = (i-1)/4*4 + 1
			break
		}
	}
	for i := start; i <= 16 && len(out) < n; i++ {
		if vals[i] != nil {
			out = append(out, drivers.Fan{Index: len(out), RPM: vals[i]})
		}
	}
	return out
}

// legacyPower: total_power (MSKMiner), else the sum of per-chain
// chain_consumptionN (Vnish). Hiveon's chain_power / chain_powerN are not
// read: they are the firmware's model of the boards' power, not a wall
// reading (a real S9 reply 69 s after start says 34.65 W at 11.8 TH/s).
func legacyPower(f drivers.Object, chains []int) *float64 {
	if v := f.Float("total_power"); v != nil && *v > 0 {
		return v
	}
	var sum float64
	seen := false
	for _, n := range chains {
		if v := f.Float("chain_consumption" + strconv.Itoa(n)); v != nil {
			sum += *v
			seen = true
		}
	}
	if seen && sum > 0 {
		return &sum
	}
	return nil
}

// newAPIStats reads {"command":"stats","new_api":true}: STATS[0] with
// rate_5s, rate_ideal, rate_unit ("GH/s"), elapsed, fan[] and chain[] of
// {index, rate_real, rate_ideal, asic_num, temp_pcb[], temp_chip[], sn}.
func (p *parser) newAPIStats(data jsonval.Obj) {
	d := p.d
	f := cmdFields(d, "stats", data)
	factor := p.rateFactor()
	if v := f.Float("rate_5s"); v != nil {
		p.statsRate = drivers.Ptr(*v * factor)
	}
	if d.UptimeSeconds == nil {
		d.UptimeSeconds = f.Int("elapsed")
	}
	if v := f.Float("rate_ideal"); v != nil && *v > 0 {
		d.ExpectedHashrate = drivers.Ptr(*v * factor)
	}
	// S21+/S23 Hyd. web stats carry the wall power.
	if v := f.Float("watt"); v != nil && *v > 0 && d.PowerWatts == nil {
		d.PowerWatts = v
	}
	for i, v := range data.L("fan") {
		rpm := jsonval.Int(v)
		if rpm == nil {
			f.Bad("fan["+strconv.Itoa(i)+"]", v)
			continue
		}
		d.Fans = append(d.Fans, drivers.Fan{Index: len(d.Fans), RPM: rpm})
	}
	for i, c := range data.Objs("chain") {
		cf := cmdFields(d, "stats", c)
		b := drivers.Board{Index: i}
		if idx := cf.Int("index"); idx != nil && *idx >= 0 && *idx < maxChain {
			b.Index = int(*idx)
		}
		if v := cf.Float("rate_real"); v != nil {
			b.Hashrate = drivers.Ptr(*v * factor)
		} else {
			b.Hashrate = drivers.Ptr(0.0)
		}
		if v := cf.Float("rate_ideal"); v != nil && *v > 0 {
			b.ExpectedHashrate = drivers.Ptr(*v * factor)
		}
		b.Chips = cf.Int("asic_num")
		b.Temperature = maxOf(tempList(c.L("temp_pcb")))
		b.ChipTemperature = maxOf(tempList(c.L("temp_chip")))
		b.FrequencyMHz = positive(cf, "freq_avg")
		b.SerialNumber = cf.String("sn")
		b.Active = drivers.Ptr(*b.Hashrate > 0)
		d.Boards = append(d.Boards, b)
	}
}
