// Package avalon gathers Canaan AvalonMiner stock firmware (cgminer with the
// Avalon driver) over the cgminer JSON API on TCP 4028.
//
// One connection asks "version+summary+devs+pools+estats"; firmware that
// rejects "+" is asked one command per connection, and firmware without
// estats is asked "stats", which carries the same data.
//
//   - version: Model (MODEL, else PROD without "AvalonMiner "), MAC (12 hex
//     digits), FirmwareVersion (VERSION/LVERSION), APIVersion, SerialNumber (DNA).
//   - devs: Hashrate = sum of "MHS 1m" (the 1-minute average; MH/s -> TH/s),
//     falling back to summary's. DEVS Temperature (-273 or 0) is never read.
//   - summary: UptimeSeconds (Elapsed, cgminer's own uptime).
//   - pools: the standard cgminer pool list.
//   - estats/stats: each STATS entry carries "MM ID<n>" (also "MM ID0:Summary",
//     plus "HBinfo" on the Avalon Q) text blobs of Key[value] tokens, one per
//     module. From A10 on a module is the whole miner and lists its boards:
//     MGHS (board GH/s), MTmax (hottest chip °C), MTavg (chip mean °C),
//     HBITemp/HBOTemp (board inlet/outlet °C), PVT_T<b> (per-chip °C, chips =
//     non-zero readings), ECHU (per-board error bits). On 7xx/8xx/9xx a
//     controller drives many single-board modules (MM ID1..n across AUC
//     entries); each module becomes one board (GHSmm, TMax, Temp, Freq, DNA).
//     Miner level: GHSmm -> ExpectedHashrate (GH/s), Temp -> EnvTemperature,
//     Fan1..FanN / Fan (RPM) with FanR (%), WALLPOWER -> PowerWatts, MPO ->
//     PowerLimitWatts, Led (1 = on) -> FaultLight, SYSTEMSTATU "In Work" ->
//     IsMining, ECMM (controller error bits), Ver/LVer -> firmware and model
//     when version is missing.
//
// Quirks handled: bare nan in replies (repaired by the transport), a blob
// token glued to the previous one ("Elapsed[1]BOOTBY[1]"), keys with spaces
// ("Nonce Mask"), and MGHS being the average since start, which the board
// keeps showing after the miner stops (then the boards read 0).
package avalon

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Name is the driver name used in configuration.
const Name = "avalon"

func init() {
	drivers.Register(Name, func() drivers.Driver { return &Driver{} })
}

// Driver gathers AvalonMiner stock firmware.
type Driver struct{}

// Name implements drivers.Driver.
func (*Driver) Name() string { return Name }

// Commands asked of every miner, in one joined request when possible.
var Commands = []string{"version", "summary", "devs", "pools", "estats"}

// Gather implements drivers.Driver.
func (*Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	c := &cgminer.Client{Addr: t.RPCAddr()}
	b := c.Multi(ctx, Commands...)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("avalon: %w", err)
	}
	src := Sources{b}
	if _, err := b.Reply("estats"); err != nil && ctx.Err() == nil {
		// Older firmware has no estats; stats carries the same blobs.
		src = append(src, c.Multi(ctx, "stats"))
	}
	return Parse(src), nil
}

// Source answers the reply to one command: a *cgminer.Batch, or Sources.
type Source interface {
	Reply(cmd string) (jsonval.Obj, error)
}

// Sources asks each source in turn; the first that has a reply wins,
// otherwise the first error is returned.
type Sources []Source

// Reply implements Source.
func (s Sources) Reply(cmd string) (jsonval.Obj, error) {
	var first error
	for _, x := range s {
		r, err := x.Reply(cmd)
		if err == nil {
			return r, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("command %q: %w", cmd, cgminer.ErrNotRequested)
	}
	return nil, first
}

// Parse turns the replies into MinerData. It never fails: what is missing or
// unreadable is recorded in Problems and the rest is kept.
func Parse(src Source) *drivers.MinerData {
	p := &parser{d: &drivers.MinerData{Make: "AvalonMiner", Firmware: "stock", Algorithm: "sha256"}}
	if r, ok := p.reply(src, "version"); ok {
		p.version(r)
	}
	if r, ok := p.reply(src, "summary"); ok {
		p.summary(r)
	}
	if r, ok := p.reply(src, "devs"); ok {
		p.devs(r)
	}
	if r, ok := p.reply(src, "pools"); ok {
		p.d.Pools = cgminer.Pools(r)
	}
	// estats and stats carry the same data: one of them is enough, and a
	// firmware without estats is not a problem.
	if r, err := src.Reply("estats"); err == nil {
		p.stats("estats", r)
	} else if r, err2 := src.Reply("stats"); err2 == nil {
		p.stats("stats", r)
	} else {
		p.problem("estats", err)
	}
	p.finish()
	return p.d
}

type parser struct {
	d       *drivers.MinerData
	sumHash *float64 // summary hashrate, TH/s, when devs has none
	uptime  *int64   // STATS Elapsed, when summary has none
	blobVer string   // first module's Ver, for model and firmware fallbacks
	blobLV  string
	blobDNA string
}

func (p *parser) reply(src Source, cmd string) (jsonval.Obj, bool) {
	r, err := src.Reply(cmd)
	if err != nil {
		p.problem(cmd, err)
		return nil, false
	}
	return r, true
}

// problem records err, naming cmd unless the error already does.
func (p *parser) problem(cmd string, err error) {
	p.d.Problem(drivers.CommandErr(cmd, err))
}

// f reads fields of cmd's reply.
func (p *parser) f(cmd string) drivers.Fields {
	return drivers.Fields{D: p.d, Source: "command " + strconv.Quote(cmd)}
}

func (p *parser) version(r jsonval.Obj) {
	vs := r.Objs("VERSION")
	if len(vs) == 0 {
		p.d.Problem(fmt.Errorf("command %q: no VERSION section", "version"))
		return
	}
	v := vs[0]
	model := v.S("MODEL")
	if model == "" {
		model = v.S("PROD")
	}
	p.d.Model = canonModel(model)
	if mac := v.S("MAC"); mac != "" {
		p.d.MAC = drivers.NormalizeMAC(mac)
	}
	p.d.FirmwareVersion = v.S("VERSION", "LVERSION", "CGVERSION")
	p.d.APIVersion = v.S("API")
	if dna := v.S("DNA"); knownDNA(dna) {
		p.d.SerialNumber = dna
	}
}

func (p *parser) summary(r jsonval.Obj) {
	ss := r.Objs("SUMMARY")
	if len(ss) == 0 {
		p.d.Problem(fmt.Errorf("command %q: no SUMMARY section", "summary"))
		return
	}
	s := ss[0]
	if e := p.f("summary").Float(s, "Elapsed"); e != nil && *e >= 0 {
		p.d.UptimeSeconds = drivers.Ptr(int64(*e))
	}
	p.sumHash = mhs(p, "summary", s)
}

// mhs reads the 1-minute average (else 30 s, else 5 s) in MH/s as TH/s.
func mhs(p *parser, cmd string, o jsonval.Obj) *float64 {
	for _, k := range []string{"MHS 1m", "MHS 30s", "MHS 5s"} {
		if v := p.f(cmd).Float(o, k); v != nil {
			return drivers.Ptr(*v / 1e6)
		}
	}
	return nil
}

func (p *parser) devs(r jsonval.Obj) {
	var sum float64
	seen := false
	for _, dev := range r.Objs("DEVS") {
		if v := mhs(p, "devs", dev); v != nil {
			sum += *v
			seen = true
		}
	}
	if seen {
		p.d.Hashrate = &sum
	}
}

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

// positive drops 0 and below, which Avalon sends for "no reading".
func positive(v *float64) *float64 {
	if v == nil || *v <= 0 {
		return nil
	}
	return v
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
		for k := range e {
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
			s, ok := e[x.key].(string)
			if !ok {
				p.f(cmd).Bad(x.key, e[x.key])
				continue
			}
			m := &module{name: "MM ID" + strconv.Itoa(x.n), cmd: cmd, kv: map[string]string{}, p: p}
			parseBlob(s, m.kv)
			// The Avalon Q puts per-chip data in HBinfo beside its one module.
			if hb, ok := e["HBinfo"].(string); ok && len(ids) == 1 {
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
			p.d.Problem(fmt.Errorf("command %q: no MM ID data", cmd))
		}
		return
	}
	p.modules(mods)
}

func (p *parser) modules(mods []*module) {
	d := p.d
	var expected, power, limit float64
	var haveExp, havePower, haveLimit bool
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
			expected += *v / 1e3
			haveExp = true
		}
		if v := m.one("WALLPOWER"); v != nil {
			power += *v
			havePower = true
		}
		if v := positive(m.one("MPO")); v != nil {
			limit += *v
			haveLimit = true
		}
		// The coolest module inlet is the best guess at the room's air.
		// 0 is Avalon's "no reading".
		if t := m.one("Temp"); t != nil && *t != 0 && (d.EnvTemperature == nil || *t < *d.EnvTemperature) {
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

// boardsOf reads the per-board lists of an A10-and-later module.
func (p *parser) boardsOf(m *module, several bool, mi int) {
	mghs := m.list("MGHS")
	mtmax := m.list("MTmax")
	mtavg := m.list("MTavg")
	hbi := m.list("HBITemp")
	hbo := m.list("HBOTemp")
	echu := m.list("ECHU")
	pvt := map[int][]float64{}
	for k := range m.kv {
		if b := pvtBoard(k); b >= 0 {
			if l := m.list(k); l != nil {
				pvt[b] = l
			}
		}
	}
	n := max(len(mghs), len(mtmax), len(mtavg), len(hbi), len(hbo))
	for b := range pvt {
		n = max(n, b+1)
	}
	n = min(n, maxBoards)
	// Slots past the firmware's own board count that read all zero are
	// padding, not dead boards.
	if hb := hashBoards(m.kv["SYSTEMSTATU"]); hb >= 0 {
		for n > hb && n > 0 && zeroSlot(n-1, mghs, mtmax, mtavg, pvt[n-1]) {
			n--
		}
	}
	// MGHS is the average since start; once the miner reports no current
	// speed it no longer describes the boards.
	stopped := false
	if spd := m.one("GHSspd"); spd != nil && *spd == 0 {
		stopped = true
	}
	tmax, tavg := positive(m.one("TMax")), positive(m.one("TAvg"))
	offset := len(p.d.Boards)
	for b := 0; b < n; b++ {
		bd := drivers.Board{Index: offset + b}
		if b < len(mghs) {
			h := mghs[b] / 1e3
			if stopped {
				h = 0
			}
			bd.Hashrate = &h
		}
		bd.InletTemperature = perBoard(hbi, b, n)
		bd.OutletTemperature = perBoard(hbo, b, n)
		chips := pvt[b]
		if chips != nil {
			var c int64
			var hot float64
			for _, t := range chips {
				if t != 0 {
					c++
					hot = max(hot, t)
				}
			}
			bd.Chips = &c
			if c > 0 {
				bd.ChipTemperature = drivers.Ptr(hot)
			}
		}
		if v := perBoard(mtmax, b, n); v != nil {
			bd.ChipTemperature = v
		} else if bd.ChipTemperature == nil && n == 1 {
			bd.ChipTemperature = tmax
		}
		// Boards have no PCB sensor before the Q: the hotter of inlet and
		// outlet when there are such sensors, else the board's chip mean.
		switch {
		case bd.InletTemperature != nil || bd.OutletTemperature != nil:
			bd.Temperature = maxPtr(bd.InletTemperature, bd.OutletTemperature)
		case perBoard(mtavg, b, n) != nil:
			bd.Temperature = perBoard(mtavg, b, n)
		case n == 1:
			bd.Temperature = tavg
		}
		if n == 1 {
			if f := positive(m.one("Freq")); f != nil {
				bd.FrequencyMHz = f
			}
			if dna := m.kv["HDNA"]; knownDNA(dna) {
				bd.SerialNumber = dna
			}
		}
		p.d.Boards = append(p.d.Boards, bd)
		if b < len(echu) && !normalECHU(int64(echu[b])) {
			p.d.Errors = append(p.d.Errors, drivers.MinerError{
				Code:    fmt.Sprintf("ECHU%d=%d", offset+b, int64(echu[b])),
				Message: fmt.Sprintf("hashboard %d reports error code %d (ECHU)", offset+b, int64(echu[b])),
			})
		}
	}
}

// moduleBoard turns a 7xx/8xx/9xx module into one board.
func (p *parser) moduleBoard(m *module) {
	if len(p.d.Boards) >= maxModules {
		return
	}
	idx := len(p.d.Boards)
	bd := drivers.Board{Index: idx}
	if v := m.one("GHSmm"); v != nil {
		bd.ExpectedHashrate = drivers.Ptr(*v / 1e3)
	}
	bd.ChipTemperature = positive(m.one("TMax"))
	bd.InletTemperature = positive(m.one("Temp"))
	bd.FrequencyMHz = positive(m.one("Freq"))
	if dna := m.kv["DNA"]; knownDNA(dna) {
		bd.SerialNumber = dna
	}
	p.d.Boards = append(p.d.Boards, bd)
	for u, v := range m.list("ECHU") {
		if u >= maxBoards {
			break
		}
		if !normalECHU(int64(v)) {
			p.d.Errors = append(p.d.Errors, drivers.MinerError{
				Code:    fmt.Sprintf("ECHU%d.%d=%d", idx, u, int64(v)),
				Message: fmt.Sprintf("module %d (%s) hash unit %d reports error code %d (ECHU)", idx, m.name, u, int64(v)),
			})
		}
	}
}

// perBoard is l[b] when l has one value per board, ignoring 0 readings.
func perBoard(l []float64, b, n int) *float64 {
	if len(l) != n || b >= len(l) || l[b] <= 0 {
		return nil
	}
	return drivers.Ptr(l[b])
}

func maxPtr(a, b *float64) *float64 {
	switch {
	case a == nil:
		return b
	case b == nil || *a >= *b:
		return a
	}
	return b
}

func zeroSlot(b int, lists ...[]float64) bool {
	for _, l := range lists {
		if b < len(l) && l[b] != 0 {
			return false
		}
	}
	return true
}

// hashBoards reads N from "Work: In Work, Hash Board: N "; -1 when absent.
func hashBoards(s string) int {
	i := strings.Index(s, "Hash Board:")
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+len("Hash Board:"):])
	if len(f) == 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimRight(f[0], ",]"))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// knownDNA drops empty, all-zero and redacted DNA values.
func knownDNA(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || strings.Trim(s, "0") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// finish fills what the blobs give when version/summary/devs did not.
func (p *parser) finish() {
	d := p.d
	if d.Hashrate == nil {
		d.Hashrate = p.sumHash
	}
	if d.UptimeSeconds == nil {
		d.UptimeSeconds = p.uptime
	}
	if d.Model == "" && p.blobVer != "" {
		d.Model = canonModel(verModel(p.blobVer))
	}
	if d.FirmwareVersion == "" {
		switch {
		case p.blobLV != "":
			d.FirmwareVersion = strings.TrimSpace(p.blobLV)
		case p.blobVer != "":
			d.FirmwareVersion = verFirmware(p.blobVer)
		}
	}
	if d.SerialNumber == "" && knownDNA(p.blobDNA) {
		d.SerialNumber = strings.TrimSpace(p.blobDNA)
	}
}

// verModel takes the model from a blob Ver: "15-194-24102401_25462b2_9ddf522"
// -> "15-194", "1047-19120401_..." -> "1047", "nano3-2407..." -> "nano3",
// and on 7xx-9xx "7411706-3162860" -> "741" (model, then YYMM).
func verModel(ver string) string {
	ver = strings.TrimSpace(ver)
	parts := strings.Split(ver, "-")
	if len(parts) > 1 && strings.Contains(parts[len(parts)-1], "_") {
		return strings.Join(parts[:len(parts)-1], "-")
	}
	if len(parts[0]) == 7 && allDigits(parts[0]) {
		return parts[0][:3]
	}
	return parts[0]
}

// verFirmware takes the firmware from a blob Ver: the part after the model
// when it is a "YYMMDDNN_hash" build, else the whole Ver (7xx-9xx).
func verFirmware(ver string) string {
	ver = strings.TrimSpace(ver)
	if i := strings.LastIndexByte(ver, '-'); i >= 0 && strings.Contains(ver[i+1:], "_") {
		return ver[i+1:]
	}
	return ver
}

// canonModel cleans a model: vendor prefix off, Canaan's number kept, the
// hashrate variant dropped ("1246-83" -> "1246"), except for A15-series
// names whose first part is only the series ("15-194"). Nano and Mini are
// spelled as Canaan markets them ("Nano 3").
func canonModel(s string) string {
	s = strings.TrimSpace(s)
	for _, pre := range []string{"AvalonMiner", "Avalon", "avalon"} {
		if len(s) > len(pre) && strings.EqualFold(s[:len(pre)], pre) {
			s = strings.TrimSpace(s[len(pre):])
			break
		}
	}
	if s == "" {
		return ""
	}
	low := strings.ToLower(s)
	for _, fam := range []string{"nano", "mini"} {
		if strings.HasPrefix(low, fam) {
			rest := strings.TrimSpace(s[len(fam):])
			name := strings.ToUpper(fam[:1]) + fam[1:]
			if rest == "" {
				return name
			}
			return name + " " + strings.ToLower(rest)
		}
	}
	if parts := strings.Split(s, "-"); len(parts) > 1 && allDigits(parts[0]) {
		if len(parts[0]) <= 2 {
			return parts[0] + "-" + parts[1]
		}
		return parts[0]
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
