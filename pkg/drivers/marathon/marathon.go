// Package marathon is the driver for MaraFW (KaonSu), Marathon's firmware
// for Bitmain hardware. Data comes from its web API only: GET
// /kaonsu/v1/<page> with HTTP Digest auth (default root/root), asked on one
// keep-alive connection:
//   - brief: hashrate_realtime -> Hashrate, hashrate_ideal ->
//     ExpectedHashrate (both in hashrate_unit, "GH/s" on a KS5 Pro),
//     power_consumption_estimated -> PowerWatts, elapsed -> UptimeSeconds,
//     status ("Mining", "Sleep", ...) -> IsMining, indicator /
//     indicator_long ("Degraded" / "Hash board error") -> Errors.
//   - overview: model "Antminer KS5 Pro" -> Model "KS5 Pro",
//     version_firmware "MaraFW rel 3.14_584" -> FirmwareVersion "3.14_584",
//     mac -> MAC. network_config: hostname.
//   - hashboards: hashboard_num_ideal -> ExpectedBoards; hashboards[]
//     {index, present, asic_num, asic_num_ideal, hashrate_realtime_10m
//     (else hashrate_average), hashrate_ideal, frequency_average,
//     temperature_pcb[], temperature_chip[], serial_number} -> Boards.
//   - fans: fans[]{index, current_speed} RPM, percent (one duty for all).
//   - pools: a JSON list {index, url, user, accepted, rejected, stale,
//     status, priority}; the Alive pool of lowest priority is the active one.
//   - locate_miner: blinking -> FaultLight. miner_config:
//     mode.concorde["power-target"] -> PowerLimitWatts.
//
// Units: rates in hashrate_unit (GH/s when absent) -> TH/s; °C; W; RPM;
// MHz. Quirks: a board slot without a board is listed with present false
// and zeros (kept: the operator must see it); 0 in a temperature list is
// a missing sensor.
package marathon

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// Name is the driver name.
const Name = "marathon"

// Default web credentials (Digest).
const (
	DefaultUser     = "root"
	DefaultPassword = "root"
)

// Pages are the pages Gather reads.
var Pages = []string{"brief", "overview", "network_config", "hashboards", "fans", "pools", "locate_miner", "miner_config"}

// Path is the URL path of a page.
func Path(page string) string { return "/kaonsu/v1/" + page }

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers MaraFW miners. Web is shared by all its miners; nil uses
// httpapi.Shared.
type Driver struct {
	Web *httpapi.Transport
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Config is the Digest web API of a target, with the default credentials
// unless the target names its own.
func Config(t drivers.Target) httpapi.Config {
	user, pass := t.Credentials(DefaultUser, DefaultPassword)
	return httpapi.Config{Addr: t.WebAddr(), API: "web API", Digest: true, Username: user, Password: pass}.For(t)
}

// Gather reads every page and parses what answered.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	tr := httpapi.Shared(dr.Web)
	cfg := Config(t)
	c := tr.Client(cfg)
	objs, errs := map[string]jsonval.Obj{}, map[string]error{}
	for _, p := range Pages {
		b, err := c.Get(ctx, Path(p))
		if err == nil {
			var o jsonval.Obj
			if o, err = decode(b); err == nil {
				objs[p] = o
				continue
			}
			err = fmt.Errorf("%s web API: GET %s: %w", cfg.Addr, Path(p), err)
		}
		errs[p] = err
	}
	w := httpapi.RepliesWithErrors(objs, errs)
	if err := w.Err(); err != nil {
		return nil, err
	}
	return Parse(w), nil
}

// decode reads a page; a top-level list (pools) is kept under "list".
func decode(b []byte) (jsonval.Obj, error) {
	t := bytes.TrimSpace(bytes.Trim(b, "\x00"))
	if len(t) > 0 && t[0] == '[' {
		b = append(append([]byte(`{"list":`), t...), '}')
	}
	return httpapi.ParseJSON(b)
}

// RepliesFromRaw builds Replies from recorded page bodies, as Gather
// would (tests and fuzzing).
func RepliesFromRaw(raw map[string][]byte) *httpapi.Replies {
	objs, errs := map[string]jsonval.Obj{}, map[string]error{}
	for n, b := range raw {
		o, err := decode(b)
		if err != nil {
			errs[n] = fmt.Errorf("GET %s: %w", Path(n), err)
			continue
		}
		objs[n] = o
	}
	return httpapi.RepliesWithErrors(objs, errs)
}

// Parse reads the pages. It never fails: what cannot be read is in
// Problems.
func Parse(w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Antminer", Firmware: "marathon"}
	rs := httpapi.Pages(d, w, Pages, Path)
	overview(d, rs["overview"])
	d.Algorithm = algorithm(d.Model)
	if nc := rs["network_config"]; !nc.IsNil() {
		d.Hostname = nc.S("hostname")
	}
	unit := brief(d, rs["brief"])
	hashboards(d, rs["hashboards"], unit)
	fans(d, rs["fans"])
	if p := rs["pools"]; !p.IsNil() {
		if l, ok := p.Get("list", "pools", "POOLS"); ok {
			if _, isList := l.([]any); !isList {
				drivers.PageFields(d, Path("pools")).Invalid("list", "not a list")
			} else {
				// Same keys and failover rule as Bitmain's pools.cgi.
				d.Pools = antminer.WebPools(jsonval.ObjOf(map[string]any{"POOLS": l}))
			}
		}
	}
	if lm := rs["locate_miner"]; !lm.IsNil() {
		d.FaultLight = lm.B("blinking")
	}
	if mc := rs["miner_config"]; !mc.IsNil() {
		if w := mc.O("mode").O("concorde").F("power-target"); w != nil && *w > 0 {
			d.PowerLimitWatts = w
		}
	}
	return d
}

var fwPrefix = regexp.MustCompile(`(?i)^\s*(marafw|kaonsu)?\s*(rel(ease)?)?\s*`)

func overview(d *drivers.MinerData, o jsonval.Obj) {
	if o.IsNil() {
		return
	}
	m := o.S("model")
	if m == "" || strings.EqualFold(m, "none") {
		m = o.S("model_extended")
		if i := strings.Index(m, "("); i > 0 {
			m = m[:i] // "Antminer KS5 Pro (21.0TH)"
		}
	}
	d.Model = cleanModel(m)
	d.FirmwareVersion = fwPrefix.ReplaceAllString(o.S("version_firmware"), "")
	if mac := o.S("mac"); mac != "" {
		d.MAC = drivers.NormalizeMAC(mac)
	}
	d.SerialNumber = o.S("serial_number", "serial")
}

func cleanModel(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"antminer ", "bitmain "} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = strings.TrimSpace(s[len(p):])
		}
	}
	return s
}

var scryptModel = regexp.MustCompile(`^L[0-9]`)

func algorithm(model string) string {
	up := strings.ToUpper(model)
	switch {
	case up == "":
		return ""
	case strings.HasPrefix(up, "KS"):
		return "kheavyhash"
	case scryptModel.MatchString(up):
		return "scrypt"
	}
	return "sha256"
}

// scale is the factor from a hashrate unit ("GH/s", "T") to TH/s.
func scale(unit string) (float64, bool) {
	u, ok := hashunit.ParseUnit(unit)
	return u.THs(1), ok
}

// rate reads key of o in unit as TH/s; a negative or unreadable value is
// reported and dropped.
func rate(f drivers.Fields, o jsonval.Obj, key string, mult float64) *float64 {
	v := f.NonNegFloat(o, key)
	if v == nil {
		return nil
	}
	return drivers.Ptr(*v * mult)
}

// brief fills the totals and returns the multiplier of its unit to TH/s
// (0 when the unit is unknown).
func brief(d *drivers.MinerData, b jsonval.Obj) float64 {
	const defaultMult = 1e-3 // GH/s, as a KS5 Pro reports
	if b.IsNil() {
		return defaultMult
	}
	f := drivers.PageFields(d, Path("brief"))
	mult := defaultMult
	if u := b.S("hashrate_unit"); u != "" {
		var ok bool
		if mult, ok = scale(u); !ok {
			f.Invalid("hashrate_unit", fmt.Sprintf("unknown unit %q", u))
			mult = 0
		}
	}
	if mult > 0 {
		// hashrate_realtime is the shortest window MaraFW reports (the sum
		// of the boards' 10 minute rates); there is no ~1 minute average.
		d.Hashrate = rate(f, b, "hashrate_realtime", mult)
		d.ExpectedHashrate = rate(f, b, "hashrate_ideal", mult)
	}
	if p := b.F("power_consumption_estimated"); p != nil && *p >= 0 {
		d.PowerWatts = p
	}
	if e := b.I("elapsed"); e != nil && *e >= 0 {
		d.UptimeSeconds = e
	}
	if st := b.S("status"); st != "" {
		d.IsMining = drivers.Ptr(strings.EqualFold(st, "Mining"))
	}
	if ind := b.S("indicator"); ind != "" {
		d.Errors = []drivers.MinerError{}
		if !strings.EqualFold(ind, "Fully functional") {
			msg := ind
			if l := b.S("indicator_long"); l != "" {
				msg += ": " + l
			}
			d.Errors = append(d.Errors, drivers.MinerError{Message: msg})
		}
	}
	return mult
}

// maxTemp is the highest real reading of a list (or single value).
func maxTemp(fs drivers.Fields, o jsonval.Obj, key string) *float64 {
	v, ok := o.Get(key)
	if !ok {
		return nil
	}
	l, isList := v.([]any)
	if !isList {
		l = []any{v}
	}
	var m *float64
	for _, e := range l {
		f := jsonval.Float(e)
		if f == nil {
			fs.Bad(key, e)
			continue
		}
		if f = drivers.Positive(f); f != nil && (m == nil || *f > *m) {
			m = f
		}
	}
	return m
}

func hashboards(d *drivers.MinerData, h jsonval.Obj, mult float64) {
	if h.IsNil() {
		return
	}
	f := drivers.PageFields(d, Path("hashboards"))
	ideal := h.I("hashboard_num_ideal")
	if ideal != nil && *ideal >= 0 && *ideal <= 64 {
		d.ExpectedBoards = ideal
	}
	seen := map[int]bool{}
	var expChips int64
	anyExp := false
	for i, o := range f.List(h, "hashboards") {
		bf := f.Under(fmt.Sprintf("hashboards[%d]", i))
		idx := i
		if n := o.I("index", "id"); n != nil {
			if *n < 0 || *n >= 64 {
				bf.OutOfRange("index", *n)
				continue
			}
			idx = int(*n)
		}
		if seen[idx] {
			bf.Invalid("index", fmt.Sprintf("board %d listed twice", idx))
			continue
		}
		seen[idx] = true
		present := o.B("present")
		chips := o.I("asic_num")
		// Padding beyond the slots the miner has: not a board.
		if ideal != nil && int64(idx) >= *ideal && present != nil && !*present && (chips == nil || *chips == 0) {
			continue
		}
		b := drivers.Board{Index: idx, Active: present, Chips: chips, ExpectedChips: o.I("asic_num_ideal"),
			SerialNumber: o.S("serial_number")}
		if b.ExpectedChips != nil && *b.ExpectedChips > 0 {
			expChips += *b.ExpectedChips
			anyExp = true
		}
		if mult > 0 {
			m := mult
			for _, k := range []string{"hashrate_realtime_10m_unit", "hashrate_average_unit", "hashrate_unit"} {
				if u := o.S(k); u != "" {
					if s, ok := scale(u); ok {
						m = s
					}
					break
				}
			}
			if _, ok := o.Get("hashrate_realtime_10m"); ok {
				b.Hashrate = rate(bf, o, "hashrate_realtime_10m", m)
			} else {
				b.Hashrate = rate(bf, o, "hashrate_average", m)
			}
			b.ExpectedHashrate = rate(bf, o, "hashrate_ideal", m)
		}
		b.FrequencyMHz = drivers.Positive(o.F("frequency_average"))
		b.VoltageVolts = drivers.Positive(o.F("voltage"))
		b.Temperature = maxTemp(bf, o, "temperature_pcb")
		b.ChipTemperature = maxTemp(bf, o, "temperature_chip")
		d.Boards = append(d.Boards, b)
	}
	if anyExp {
		d.ExpectedChips = &expChips
	}
}

func fans(d *drivers.MinerData, f jsonval.Obj) {
	if f.IsNil() {
		return
	}
	fs := drivers.PageFields(d, Path("fans"))
	pct := f.F("percent")
	if pct != nil && (*pct < 0 || *pct > 100) {
		pct = nil
	}
	for i, o := range fs.List(f, "fans") {
		ff := fs.Under(fmt.Sprintf("fans[%d]", i))
		fan := drivers.Fan{Index: i, Percent: pct}
		if n := o.I("index"); n != nil && *n >= 0 && *n < 64 {
			fan.Index = int(*n)
		}
		fan.RPM = ff.NonNegInt(o, "current_speed")
		d.Fans = append(d.Fans, fan)
	}
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr Driver) Forget(host string) { httpapi.Shared(dr.Web).Forget(host) }
