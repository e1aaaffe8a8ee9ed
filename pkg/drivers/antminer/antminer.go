// Package antminer is the driver for Bitmain's stock firmware (bmminer /
// cgminer API on TCP 4028), and the bmminer parser that the vnish and hiveon
// drivers reuse.
//
// One joined request "version+summary+stats+pools" (one connection per
// command when the firmware rejects "+") feeds:
//   - version: Type -> Model, CompileTime -> FirmwareVersion, API ->
//     APIVersion, BMMiner/CGMiner "rwglr" -> firmware "mskminer"; custom
//     firmware that keeps this API is tagged by what it writes: Type
//     "... Blissz v2.06 beta" -> firmware "blissz", version "2.06 beta";
//     BMMiner "2.4.0-asicseer-1.1.9-f7b7" -> "asicseer", "1.1.9-f7b7".
//   - summary: "GHS 5s" -> Hashrate, Elapsed -> UptimeSeconds.
//   - stats (STATS[0] identity, STATS[1] data): chain_rateN, chain_rateidealN,
//     chain_acnN, temp_pcbN/temp_chipN dash strings (else tempN PCB and
//     temp2_N chip), freq_avgN/freqN/frequencyN, chain_voltageN/chain_volN, chain_SNN ->
//     Boards; fan_num + fanN -> Fans; total_rateideal -> ExpectedHashrate;
//     total_power/chain_consumptionN -> PowerWatts; Mode 254 ->
//     sleeping. The new_api form (STATS[0].chain[]) is read too.
//   - pools: the standard cgminer mapping; empty slots (URL "") are no pool.
//
// At the same time the web UI (Digest auth, default root/root; see web.go)
// is read on one keep-alive connection: get_system_info (MAC, hostname,
// serial), summary (status list -> Errors), get_blink_status (FaultLight),
// get_miner_conf (bitmain-work-mode 1 = sleep), and stats/pools/summary
// stand in for 4028 commands that did not answer, so a miner whose 4028
// API is disabled is still fully monitored. Where both stats answer, each
// value 4028 lacks is taken from stats.cgi (S21+/S23 Hyd. put the wall
// power, "watt", there only), and stats.cgi stays asked every gather while
// it adds something. An API that refuses the
// connection while the other answers is not a problem; any other failure
// of either is recorded and the other's data kept.
//
// Units: every rate is scaled by the stats' rate_unit when present, else by
// what bmminer's "GHS" holds for the miner's algorithm (hashunit: MH/s on
// scrypt, X11 and Ethash builds, kSol/s on Equihash), to 10^12 per second.
// Temperatures °C, power W, voltage V.
//
// Quirks handled: "}{" between STATS entries (repaired by the transport);
// chain numbering that starts at 1, 2 or 6 depending on the model; padding
// slots up to 16; "" for absent values; 0 for missing sensors; negative
// readings inside dash strings ("2--1-20-22"); sensor faults like -83 °C.
package antminer

import (
	"cmp"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Name is the driver name.
const Name = "antminer"

// Commands are what Gather asks, in one joined request.
var Commands = []string{"version", "summary", "stats", "pools"}

func init() {
	// One web transport for every instance: the plugin makes one instance
	// per driver name in each [[inputs.asic]] block, and the blocks share
	// one connection pool.
	drivers.Register(Name, func() drivers.Driver { return Driver{Web: httpapi.Shared(nil), mem: newMemory()} })
}

// Driver gathers stock Antminer firmware. Web is shared by all the miners
// the driver serves; the zero value uses httpapi.Shared.
type Driver struct {
	Web *httpapi.Transport
	mem *memory // nil: ask everything every gather
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

func (dr Driver) web() *httpapi.Transport { return httpapi.Shared(dr.Web) }

// Forget implements drivers.Forgetter: the web identity, the web UI's
// state and the web session of host are dropped.
func (dr Driver) Forget(host string) {
	dr.mem.forget(host)
	dr.web().Forget(host)
}

// Gather asks the 4028 API (one joined request) and the web API (one
// keep-alive connection, Digest auth) at the same time, and merges them.
// It fails only when neither answered, with the 4028 error unless the 4028
// port refused and the web failed for a more telling reason (wrong
// credentials, timeout).
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	tr := dr.web()
	now := time.Now()
	pages := dr.mem.plan(t.RPCAddr(), now)
	var wg sync.WaitGroup
	var w *httpapi.Replies
	if pages != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w = tr.Client(WebConfig(t)).GetAll(ctx, pages, WebPath)
		}()
	}
	b := (&cgminer.Client{Addr: t.RPCAddr()}).Multi(ctx, Commands...)
	wg.Wait()
	if w == nil {
		// The web UI is known to be off: the 4028 API alone decides.
		if err := b.Err(); err != nil {
			dr.mem.learn(t.RPCAddr(), now, err, nil, nil)
			return nil, err
		}
		d := Parse(b)
		dr.mem.learn(t.RPCAddr(), now, nil, nil, d)
		return d, nil
	}
	if err := drivers.BothFailed(b.Err(), w.Err()); err != nil {
		dr.mem.learn(t.RPCAddr(), now, b.Err(), w, nil)
		return nil, err
	}
	d, statsAdds := parseWithWeb(b, w)
	dr.mem.learn(t.RPCAddr(), now, b.Err(), w, d)
	dr.mem.learnWebStats(t.RPCAddr(), w, statsAdds)
	return d, nil
}

// Options adapt the bmminer parser to firmware built on bmminer.
type Options struct {
	// Firmware is the firmware tag; "" means stock, or "mskminer" when
	// the version says rwglr.
	Firmware string
	// Algorithm overrides the algorithm found from the model's series
	// letter (Hammer's D10 is scrypt, not X11); it picks the rate unit.
	Algorithm string
	// Optional commands may be missing on some versions of the firmware:
	// "Invalid command" from them is not a problem.
	Optional []string
	// Layout overrides how stats chains make boards: each element is one
	// board (0-based slot = position) summing the listed chain numbers.
	// nil detects present chains.
	Layout func(stats jsonval.Obj, model string) [][]int
	// Board is called for each board built from legacy stats with the
	// chain numbers it was built from, to add firmware-specific fields.
	Board func(d *drivers.MinerData, b *drivers.Board, stats jsonval.Obj, chains []int)
}

func (o Options) optional(cmd string) bool {
	for _, c := range o.Optional {
		if c == cmd {
			return true
		}
	}
	return false
}

// Parse reads stock firmware replies. It never fails: what cannot be read
// is in Problems.
func Parse(b *cgminer.Batch) *drivers.MinerData { return ParseBMMiner(b, Options{}) }

// ParseBMMiner reads the replies to Commands from any bmminer-based
// firmware.
func ParseBMMiner(b *cgminer.Batch, opt Options) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Antminer"}
	replies := cgminer.Replies(d, b, Commands, opt.optional)

	p := &parser{d: d, opt: opt}
	p.version(replies["version"])
	p.statsIdentity(replies["stats"])
	p.identity()
	p.summary(replies["summary"])
	if r := replies["stats"]; !r.IsNil() {
		p.stats(r)
	}
	if r := replies["pools"]; !r.IsNil() {
		if _, ok := r.Lookup("POOLS"); !ok {
			drivers.CommandFields(d, "pools").Missing("POOLS")
		}
		d.Pools = configuredPools(cgminer.Pools(r))
	}
	p.finish()
	return d
}

// parser carries what one reply tells the parsing of the next.
type parser struct {
	d   *drivers.MinerData
	opt Options

	typ         string // bmminer Type, from version or stats
	compileTime string
	minerName   string // BMMiner/CGMiner field, "4.11.1 rwglr"
	rateUnit    string // stats rate_unit
	statsRate   *float64
	sleeping    bool
}

func (p *parser) version(r jsonval.Obj) {
	if r.IsNil() {
		return
	}
	vs := r.Objs("VERSION")
	if len(vs) == 0 {
		drivers.CommandFields(p.d, "version").Missing("VERSION")
		return
	}
	f := cmdFields(p.d, "version", vs[0])
	p.typ = f.String("Type")
	p.compileTime = f.String("CompileTime")
	p.minerName = cmp.Or(f.String("BMMiner"), f.String("CGMiner"), f.String("Cgminer"))
	p.d.APIVersion = f.String("API")
}

// statsIdentity reads the identity entry of stats (STATS[0] on legacy
// firmware, INFO on new_api) when version did not give it, and the rate
// unit that all rates depend on.
func (p *parser) statsIdentity(r jsonval.Obj) {
	if r.IsNil() {
		return
	}
	info, data := StatsEntries(r)
	if !info.IsNil() {
		f := cmdFields(p.d, "stats", info)
		if p.typ == "" {
			p.typ = cmp.Or(f.String("Type"), f.String("type"))
		}
		if p.compileTime == "" {
			p.compileTime = f.String("CompileTime")
		}
		if p.minerName == "" {
			p.minerName = cmp.Or(f.String("BMMiner"), f.String("CGMiner"), f.String("Cgminer"))
		}
	}
	if !data.IsNil() {
		p.rateUnit = cmdFields(p.d, "stats", data).String("rate_unit")
	}
}

func (p *parser) identity() {
	d := p.d
	d.Model = CleanModel(p.typ)
	d.Algorithm = Algorithm(d.Model)
	if p.opt.Algorithm != "" {
		d.Algorithm = p.opt.Algorithm
	}
	d.FirmwareVersion = p.compileTime
	d.Firmware = p.opt.Firmware
	if d.Firmware == "" {
		d.Firmware = "stock"
		hay := strings.ToLower(p.typ + " " + p.minerName)
		if strings.Contains(hay, "rwglr") && !strings.Contains(hay, "hiveon") {
			d.Firmware = "mskminer"
			if v := mskFirmwareVersion(p.typ); v != "" {
				d.FirmwareVersion = v
			}
		} else if tag, v := customFirmware(p.typ, p.minerName); tag != "" {
			d.Firmware = tag
			if v != "" {
				d.FirmwareVersion = v
			}
		}
	}
}

// rateFactor converts the firmware's rate numbers ("GHS", chain_rate,
// total_rateideal) to TH/s.
func (p *parser) rateFactor() float64 {
	if p.rateUnit != "" {
		if f, ok := unitToTH(p.rateUnit); ok {
			return f
		}
		cmdFields(p.d, "stats", jsonval.Obj{}).Bad("rate_unit", p.rateUnit)
		p.rateUnit = ""
	}
	// What bmminer's "GHS" holds depends on the build (MH/s on an L3+).
	return hashunit.Key(hashunit.BMMiner, p.d.Algorithm, hashunit.GH).THs(1)
}

// hashrate5s reads the 5 s rate. bmminer has no ~1 minute average ("GHS av"
// is since start, "GHS 30m" 30 minutes), so the 5 s value is the current one.
func (p *parser) hashrate5s(f drivers.Object) *float64 {
	if v := f.Float("GHS 5s"); v != nil {
		return drivers.Ptr(*v * p.rateFactor())
	}
	if v := f.Float("MHS 5s"); v != nil {
		return drivers.Ptr(hashunit.Key(hashunit.BMMiner, p.d.Algorithm, hashunit.MH).THs(*v))
	}
	if v := f.Float("THS 5s"); v != nil {
		return drivers.Ptr(*v)
	}
	return nil
}

func (p *parser) summary(r jsonval.Obj) {
	if r.IsNil() {
		return
	}
	ss := r.Objs("SUMMARY")
	if len(ss) == 0 {
		drivers.CommandFields(p.d, "summary").Missing("SUMMARY")
		return
	}
	f := cmdFields(p.d, "summary", ss[0])
	p.d.Hashrate = p.hashrate5s(f)
	p.d.UptimeSeconds = f.Int("Elapsed")
}

func (p *parser) finish() {
	d := p.d
	if d.Hashrate == nil {
		d.Hashrate = p.statsRate
	}
	switch {
	case p.sleeping:
		d.IsMining = drivers.Ptr(false)
	case d.IsMining != nil:
	case d.Hashrate != nil:
		// Without a work-mode field on 4028, a miner that hashes is mining;
		// one that sleeps or has stopped (overheat) reports 0.
		d.IsMining = drivers.Ptr(*d.Hashrate > 0)
	}
}

// configuredPools drops the priority slots that hold no pool: bmminer
// lists all three, an empty one with URL "" (and sometimes a user). The
// others keep their index, their place in the list.
func configuredPools(ps []poolmetrics.Pool) []poolmetrics.Pool {
	out := ps[:0:0]
	for _, p := range ps {
		if p.URL.Raw != "" {
			out = append(out, p)
		}
	}
	return out
}
