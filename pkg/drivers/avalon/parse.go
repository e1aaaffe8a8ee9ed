package avalon

import (
	"errors"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// The parser: replies to MinerData, version/summary/devs, and what the
// blobs give when those did not.

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
	} else if errors.Is(err, replies.ErrNotRequested) {
		p.problem("stats", err2) // a miner known to have no estats
	} else {
		p.problem("estats", err)
	}
	p.finish()
	return p.d
}

type parser struct {
	d       *drivers.MinerData
	sumHash *float64 // summary hashrate, TH/s, when devs has none
	spdHash *float64 // blobs' GHSspd (current speed), TH/s
	avgHash *float64 // blobs' GHSavg (average since start), TH/s
	uptime  *int64   // STATS Elapsed, when summary has none
	blobVer string   // first module's Ver, for model and firmware fallbacks
	blobLV  string
	blobDNA string
}

func (p *parser) reply(src Source, cmd string) (jsonval.Obj, bool) {
	r, err := src.Reply(cmd)
	if err != nil {
		p.problem(cmd, err)
		return jsonval.Obj{}, false
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
		p.f("version").Missing("VERSION")
		return
	}
	v := vs[0]
	model := v.S("MODEL")
	if model == "" {
		model = v.S("PROD")
	}
	p.d.Model = models.AvalonModel(model)
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
		p.f("summary").Missing("SUMMARY")
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
			return hashunit.ToTHs(v, hashunit.MH)
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

// finish fills what the blobs give when version/summary/devs did not.
func (p *parser) finish() {
	d := p.d
	// A miner that answers only estats/stats still has a hashrate: its
	// current speed, else its average since start.
	for _, h := range []*float64{p.sumHash, p.spdHash, p.avgHash} {
		if d.Hashrate == nil {
			d.Hashrate = h
		}
	}
	if d.UptimeSeconds == nil {
		d.UptimeSeconds = p.uptime
	}
	if d.Model == "" && p.blobVer != "" {
		d.Model = models.AvalonModel(models.AvalonVerModel(p.blobVer))
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

// verFirmware takes the firmware from a blob Ver: the part after the model
// when it is a "YYMMDDNN_hash" build, else the whole Ver (7xx-9xx).
func verFirmware(ver string) string {
	ver = strings.TrimSpace(ver)
	if i := strings.LastIndexByte(ver, '-'); i >= 0 && strings.Contains(ver[i+1:], "_") {
		return ver[i+1:]
	}
	return ver
}
