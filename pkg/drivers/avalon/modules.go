package avalon

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

// The estats/stats blobs: one module per "MM ID<n>", their miner-level
// values and fans.

// module is one MM ID blob.
type module struct {
	name string // "MM ID0", for messages
	cmd  string
	kv   map[string]string
	p    *parser
}

// list reads key as a number list; nil when absent or unreadable (reported).
func (m *module) list(key string) []float64 {
	v, ok := m.kv[key]
	if !ok {
		return nil
	}
	l, ok := numList(v)
	if !ok {
		drivers.Fields{D: m.p.d, Source: "command " + strconv.Quote(m.cmd) + ": " + m.name}.Bad(key, v)
		return nil
	}
	return l
}

// one reads key as a single number.
func (m *module) one(key string) *float64 {
	l := m.list(key)
	if len(l) == 0 {
		return nil
	}
	return &l[0]
}

func (p *parser) stats(cmd string, r jsonval.Obj) {
	entries := cgminer.Section(r, "STATS")
	var mods []*module
	for _, e := range entries {
		type id struct {
			n   int
			key string
		}
		var ids []id
		for k := range e.All() {
			if !strings.HasPrefix(k, "MM ID") {
				continue
			}
			digits := k[len("MM ID"):]
			if i := strings.IndexByte(digits, ':'); i >= 0 {
				digits = digits[:i]
			}
			n, err := strconv.Atoi(digits)
			if err != nil || n < 0 {
				continue
			}
			ids = append(ids, id{n, k})
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i].n < ids[j].n })
		for _, x := range ids {
			if len(mods) >= maxModules {
				break
			}
			s, ok := e.V(x.key).(string)
			if !ok {
				p.f(cmd).Bad(x.key, e.V(x.key))
				continue
			}
			m := &module{name: "MM ID" + strconv.Itoa(x.n), cmd: cmd, kv: map[string]string{}, p: p}
			parseBlob(s, m.kv)
			// The Avalon Q puts per-chip data in HBinfo beside its one module.
			if hb, ok := e.V("HBinfo").(string); ok && len(ids) == 1 {
				parseBlob(hb, m.kv)
			}
			mods = append(mods, m)
		}
		if p.uptime == nil {
			if el := p.f(cmd).Float(e, "Elapsed"); el != nil && *el >= 0 {
				p.uptime = drivers.Ptr(int64(*el))
			}
		}
	}
	mods = dedupe(mods)
	if len(mods) == 0 {
		if len(entries) > 0 {
			p.f(cmd).Invalid("STATS", "no MM ID data")
		}
		return
	}
	p.modules(mods)
}

func (p *parser) modules(mods []*module) {
	d := p.d
	var expected, power, limit, spd, avg float64
	var haveExp, havePower, haveLimit, haveSpd, haveAvg bool
	for mi, m := range mods {
		// ECHU/ECMM are the firmware's error report: present and clean is
		// an empty list, not an unknown one.
		_, echu := m.kv["ECHU"]
		if _, ecmm := m.kv["ECMM"]; (echu || ecmm) && d.Errors == nil {
			d.Errors = []drivers.MinerError{}
		}
		if mi == 0 {
			p.blobVer = m.kv["Ver"]
			p.blobLV = m.kv["LVer"]
			p.blobDNA = m.kv["DNA"]
		}
		if v := m.one("GHSmm"); v != nil {
			expected += hashunit.GH.THs(*v)
			haveExp = true
		}
		if v := m.one("WALLPOWER"); v != nil {
			power += *v
			havePower = true
		} else if v := psWall(m); v != nil {
			power += *v
			havePower = true
		}
		if v := m.one("GHSspd"); v != nil && *v >= 0 {
			spd += hashunit.GH.THs(*v)
			haveSpd = true
		}
		if v := m.one("GHSavg"); v != nil && *v >= 0 {
			avg += hashunit.GH.THs(*v)
			haveAvg = true
		}
		if v := drivers.Positive(m.one("MPO")); v != nil {
			limit += *v
			haveLimit = true
		}
		// The coolest module inlet is the best guess at the room's air.
		// 0 is Avalon's "no reading".
		// The Avalon Q names its air intake ITemp and has no Temp.
		t := m.one("Temp")
		if t == nil {
			t = m.one("ITemp")
		}
		if t != nil && *t != 0 && (d.EnvTemperature == nil || *t < *d.EnvTemperature) {
			d.EnvTemperature = drivers.Ptr(*t)
		}
		if led := m.one("Led"); led != nil {
			on := *led == 1 || (d.FaultLight != nil && *d.FaultLight)
			d.FaultLight = &on
		}
		if st, ok := m.kv["SYSTEMSTATU"]; ok {
			working := strings.Contains(st, "In Work") || (d.IsMining != nil && *d.IsMining)
			d.IsMining = &working
		}
		p.fans(m)
		if isMultiBoard(m) {
			p.boardsOf(m, len(mods) > 1, mi)
		} else {
			p.moduleBoard(m)
		}
		if v := m.list("ECMM"); len(v) > 0 && v[0] != 0 {
			code := "ECMM"
			if len(mods) > 1 {
				code += strconv.Itoa(mi)
			}
			where := "control board"
			if len(mods) > 1 {
				where = fmt.Sprintf("module %d (%s)", mi, m.name)
			}
			d.Errors = append(d.Errors, drivers.MinerError{
				Code:    fmt.Sprintf("%s=%d", code, int64(v[0])),
				Message: fmt.Sprintf("%s reports error code %d (ECMM)", where, int64(v[0])),
			})
		}
	}
	if haveExp {
		d.ExpectedHashrate = &expected
	}
	if havePower {
		d.PowerWatts = &power
	}
	if haveLimit {
		d.PowerLimitWatts = &limit
	}
	if haveSpd {
		p.spdHash = &spd
	}
	if haveAvg {
		p.avgHash = &avg
	}
}

// psWall reads the wall power from the power supply's PS[] list, whose
// layout the captures show: [status, V12 (x0.01 V), Vout (x0.01 V), Iout
// (A), Pout (W, = Vout x Iout), ?, Pin (W)]. On the 1566 PS[6] equals
// WALLPOWER; the 10xx list stops at PS[5] (no wall reading). PS[6] is taken
// only beside a DC output it can exceed (a supply loses power): the Nano 3's
// and the idle Avalon Q's lists do not fit that layout.
func psWall(m *module) *float64 {
	l := m.list("PS")
	if len(l) < 7 || l[4] <= 0 || l[6] < l[4] {
		return nil
	}
	return drivers.Ptr(l[6])
}

// dedupe keeps one module per DNA. An AUC controller that re-enumerates its
// chain (7xx-9xx) lists the same modules again under a new device, the old
// entries frozen; the entry with the longest module uptime is kept, in the
// place of the first.
func dedupe(mods []*module) []*module {
	pos := map[string]int{}
	out := mods[:0:0]
	for _, m := range mods {
		dna := strings.TrimSpace(m.kv["DNA"])
		if !knownDNA(dna) {
			out = append(out, m)
			continue
		}
		i, seen := pos[dna]
		if !seen {
			pos[dna] = len(out)
			out = append(out, m)
			continue
		}
		if a, b := elapsed(m), elapsed(out[i]); a > b {
			out[i] = m
		}
	}
	return out
}

func elapsed(m *module) float64 {
	if l, ok := numList(m.kv["Elapsed"]); ok && len(l) > 0 {
		return l[0]
	}
	return -1
}

// isMultiBoard tells an A10-and-later module, which lists its boards, from a
// 7xx/8xx/9xx module, which is one board.
func isMultiBoard(m *module) bool {
	for _, k := range []string{"MGHS", "MTmax", "MTavg", "HBITemp"} {
		if _, ok := m.kv[k]; ok {
			return true
		}
	}
	for k := range m.kv {
		if pvtBoard(k) >= 0 {
			return true
		}
	}
	return false
}

// pvtBoard returns b for a key "PVT_T<b>", else -1.
func pvtBoard(k string) int {
	if !strings.HasPrefix(k, "PVT_T") || len(k) == len("PVT_T") || len(k) > len("PVT_T")+2 {
		return -1
	}
	n, err := strconv.Atoi(k[len("PVT_T"):])
	if err != nil || n < 0 || n >= maxBoards {
		return -1
	}
	return n
}

func (p *parser) fans(m *module) {
	var pct *float64
	if v := m.one("FanR"); v != nil {
		pct = drivers.Ptr(*v)
	}
	add := func(rpm float64) {
		if len(p.d.Fans) >= maxFans*maxModules {
			return
		}
		f := drivers.Fan{Index: len(p.d.Fans), RPM: drivers.Ptr(int64(rpm)), Percent: pct}
		p.d.Fans = append(p.d.Fans, f)
	}
	// 7xx-9xx modules have one fan, "Fan"; later ones Fan1..FanN.
	if v := m.one("Fan"); v != nil && *v >= 0 {
		add(*v)
	}
	for i := 1; i <= maxFans; i++ {
		v := m.one("Fan" + strconv.Itoa(i))
		if v == nil {
			break
		}
		if *v >= 0 {
			add(*v)
		}
	}
}

// normalECHU holds per-board ECHU values Canaan documents as normal: 0, and
// 512 (a status bit the A10 shows on healthy boards).
func normalECHU(v int64) bool { return v == 0 || v == 512 }
