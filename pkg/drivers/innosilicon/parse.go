package innosilicon

import (
	"errors"
	"fmt"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// maxBoards bounds the slot numbers taken from a reply.
const maxBoards = 16

// Parse merges both APIs' replies (either may be nil). No I/O; it never
// fails: what cannot be read is left out and listed in Problems.
func Parse(b *cgminer.Batch, w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Innosilicon", Firmware: "stock"}
	rpc := cgminer.Replies(d, b, RPCCommands, cgminer.AnyMayLack)
	web := map[string]jsonval.Obj{}
	for _, p := range WebPages {
		o, err := w.Reply(p)
		if err == nil {
			if ok := o.B("success"); ok != nil && !*ok {
				// Its msg is not quoted: an error text may echo what it was sent.
				err = fmt.Errorf("%w: the firmware refused the request (success false)", drivers.ErrBadResponse)
			}
		}
		if err != nil {
			// A 404 is a firmware without that page: not a fault.
			if !errors.Is(err, httpapi.ErrNotRequested) && !httpapi.IsNotFound(err) {
				d.Problem(fmt.Errorf("web page %q: %w", p, err))
			}
			continue
		}
		web[p] = o
	}

	identity(d, rpc, web)
	all := web["getAll"].O("all")
	if !web["getAll"].IsNil() && all.IsNil() {
		page(d, "getAll").Invalid("all", "not an object")
	}
	hashrate(d, rpc, all)
	boards(d, rpc, web, all)
	misc(d, rpc, web, all)
	return d
}

func identity(d *drivers.MinerData, rpc, web map[string]jsonval.Obj) {
	d.Model = cleanModel(web["type"].S("type", "model"))
	d.Algorithm = algorithm(d.Model)
	ov := web["overview"]
	ver := ov.O("version")
	mac := func(pg, field, v string) bool {
		if v == "" {
			return false
		}
		if m := drivers.NormalizeMAC(v); m != "" {
			d.MAC = m
			return true
		}
		drivers.PageFields(d, "/api/"+pg).Invalid(field, fmt.Sprintf("not a MAC address: %q", v))
		return false
	}
	if !mac("getAll", "all.mac", web["getAll"].O("all").S("mac")) {
		mac("overview", "version.ethaddr", ver.S("ethaddr"))
	}
	d.Hostname = ov.S("hostname")
	if d.Hostname == "" {
		d.Hostname = ver.S("hostname")
	}
	if v := first(rpc["version"], "VERSION"); !v.IsNil() {
		d.FirmwareVersion = v.S("CGMiner", "Miner")
		d.APIVersion = v.S("API")
	}
	if d.FirmwareVersion == "" {
		d.FirmwareVersion = ver.S("firmware", "fw_version", "swver")
	}
}

// hashrate prefers getAll's total: "Hash Rate H" is explicitly H/s and, as
// the web summary shows ("Hash Rate" equals "MHS 1m" there), a 1-minute
// average. The 4028 summary's "MHS 1m" (MH/s) is next, "MHS 5s" last.
func hashrate(d *drivers.MinerData, rpc map[string]jsonval.Obj, all jsonval.Obj) {
	if !all.IsNil() {
		if _, ok := all.Get("total_hash"); ok {
			d.Hashrate = rate(page(d, "getAll").Under("all.total_hash"), all.O("total_hash"))
		}
	}
	s := first(rpc["summary"], "SUMMARY")
	if !rpc["summary"].IsNil() && s.IsNil() {
		drivers.CommandFields(d, "summary").Missing("SUMMARY")
	}
	if s.IsNil() {
		return
	}
	if d.Hashrate == nil {
		d.Hashrate = hashunit.ToTHs(drivers.CommandFields(d, "summary").NonNegFloat(s, "MHS 1m", "MHS 5s"), hashunit.MH)
	}
	if e := s.I("Elapsed"); e != nil && *e >= 0 {
		d.UptimeSeconds = e
	}
}

// rate reads a web hashrate object: "Hash Rate H" in H/s, else "Hash
// Rate" in its "Unit" (MH/s when none). The result is TH/s.
func rate(f drivers.Fields, o jsonval.Obj) *float64 {
	if o.IsNil() {
		f.Invalid("", "not an object")
		return nil
	}
	if _, ok := o.Get("Hash Rate H"); ok {
		return hashunit.ToTHs(f.NonNegFloat(o, "Hash Rate H"), hashunit.H)
	}
	r := f.NonNegFloat(o, "Hash Rate")
	if r == nil {
		return nil
	}
	unit, ok := hashunit.MH, true // no "Unit": MH/s
	if u := strings.ReplaceAll(o.S("Unit"), " ", ""); u != "" {
		unit, ok = hashunit.ParseUnit(u)
	}
	if !ok {
		f.Invalid("Unit", fmt.Sprintf("unknown unit %q", o.S("Unit")))
		return nil
	}
	return hashunit.ToTHs(r, unit)
}

// page reads fields of the web page p.
func page(d *drivers.MinerData, p string) drivers.Fields { return drivers.PageFields(d, "/api/"+p) }

func boards(d *drivers.MinerData, rpc, web map[string]jsonval.Obj, all jsonval.Obj) {
	bs := map[int]*drivers.Board{}
	slot := func(src drivers.Fields, i int, e jsonval.Obj, keys ...string) *drivers.Board {
		idx := i
		if v := e.I(keys...); v != nil {
			if *v < 0 || *v >= maxBoards {
				src.Under(fmt.Sprintf("[%d]", i)).OutOfRange(keys[0], *v)
				return nil
			}
			idx = int(*v)
		}
		if idx >= maxBoards {
			return nil
		}
		if x, ok := bs[idx]; ok {
			return x
		}
		x := &drivers.Board{Index: idx}
		bs[idx] = x
		return x
	}
	// getAll chains and the web summary's DEVS share a layout; getAll is
	// read first, the summary fills only what it left empty.
	for _, src := range []struct {
		page, field string
		list        []jsonval.Obj
	}{
		{"getAll", "all.chain", all.Objs("chain")},
		{"summary", "DEVS", web["summary"].Objs("DEVS")},
	} {
		for i, e := range src.list {
			f := page(d, src.page).Under(src.field)
			x := slot(f, i, e, "ASC", "Chain ID", "ID")
			if x == nil {
				continue
			}
			if x.Hashrate == nil {
				x.Hashrate = rate(f.Under(fmt.Sprintf("[%d]", i)), e)
			}
			if x.Temperature == nil {
				x.Temperature = drivers.Temperature(e.F("Temperature"))
			}
			if x.ChipTemperature == nil {
				x.ChipTemperature = drivers.Temperature(e.F("Temp max"))
			}
			if x.Chips == nil {
				if n := e.I("Num active chips"); n != nil && *n >= 0 {
					x.Chips = n
				}
			}
			if x.Active == nil {
				if st := e.S("Status"); st != "" {
					x.Active = drivers.Ptr(strings.EqualFold(st, "Alive"))
				}
			}
		}
	}
	// The first stats row's Elapsed is cgminer's uptime; it wins over the
	// summary's (the same counter, read a moment earlier).
	upFromStats := false
	for i, e := range rpc["stats"].Objs("STATS") {
		if !upFromStats {
			if el := e.I("Elapsed"); el != nil && *el >= 0 {
				d.UptimeSeconds, upFromStats = el, true
			}
		}
		if d.PowerWatts == nil {
			if p := e.F("power", "Power"); p != nil && *p >= 0 {
				d.PowerWatts = p
			}
		}
		if _, ok := e.Get("Chain ID"); !ok {
			continue // the pool rows
		}
		x := slot(drivers.CommandFields(d, "stats").Under("STATS"), i, e, "Chain ID")
		if x == nil {
			continue
		}
		if x.Chips == nil {
			if n := e.I("Num active chips"); n != nil && *n >= 0 {
				x.Chips = n
			}
		}
		if x.ChipTemperature == nil {
			x.ChipTemperature = drivers.Temperature(e.F("Temp max"))
		}
	}
	for i := 0; i < maxBoards; i++ {
		if x, ok := bs[i]; ok {
			d.Boards = append(d.Boards, *x)
		}
	}
}

func misc(d *drivers.MinerData, rpc, web map[string]jsonval.Obj, all jsonval.Obj) {
	if !all.IsNil() {
		if _, ok := all.Get("power"); ok {
			d.PowerWatts = page(d, "getAll").Under("all").NonNegFloat(all, "power")
		}
		// One speed, in percent, for all the fans: the firmware has no
		// per-fan reading, so it is one fan entry.
		if _, ok := all.Get("fansSpeed"); ok {
			f := page(d, "getAll").Under("all")
			if p := f.NonNegFloat(all, "fansSpeed"); p != nil && *p <= 100 {
				d.Fans = []drivers.Fan{{Index: 0, Percent: p}}
			} else if p != nil {
				f.OutOfRange("fansSpeed", *p)
			}
		}
	}
	// The summary's HARDWARE "Fan duty" is the same stats value getAll's
	// fansSpeed carries; the UI writes 0 when no chain reported one.
	if d.Fans == nil {
		if p := web["summary"].O("HARDWARE").F("Fan duty"); p != nil && *p > 0 && *p <= 100 {
			d.Fans = []drivers.Fan{{Index: 0, Percent: p}}
		}
	}
	if ed := web["getErrorDetail"]; !ed.IsNil() {
		if code := page(d, "getErrorDetail").Int(ed, "code"); code != nil {
			d.Errors = []drivers.MinerError{}
			if *code != 0 {
				d.Errors = append(d.Errors, minerError(*code))
			}
		} else if _, ok := ed.Get("code"); !ok {
			page(d, "getErrorDetail").Missing("code")
		}
	}
	switch {
	case !rpc["pools"].IsNil():
		d.Pools = cgminer.Pools(rpc["pools"])
	case !web["pools"].IsNil():
		wp := web["pools"]
		if wp.L("POOLS") == nil {
			// A list of {url, user, ...} objects under "pools".
			wp = jsonval.ObjOf(map[string]any{"POOLS": wp.L("pools", "data")})
		}
		d.Pools = cgminer.Pools(wp)
	case web["summary"].L("POOLS") != nil:
		// The UI's summary is cgminer's "pools+devs+stats" with POOLS
		// passed through as cgminer sent it.
		d.Pools = cgminer.Pools(web["summary"])
	}
}

// cleanModel strips the vendor name and extra spaces: "Innosilicon T3H+ "
// -> "T3H+".
func cleanModel(s string) string {
	f := strings.Fields(s)
	if len(f) > 0 && strings.EqualFold(f[0], "innosilicon") {
		f = f[1:]
	}
	return strings.Join(f, " ")
}

// algorithm follows Innosilicon's model letters: T = SHA-256, A10/A11 =
// Ethash, A9 = Equihash, A2/A4/A5/A6/A8 = Scrypt. Others stay unknown.
func algorithm(model string) string {
	m := strings.ToUpper(model)
	has := func(ps ...string) bool {
		for _, p := range ps {
			if strings.HasPrefix(m, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("T"):
		return "sha256"
	case has("A10", "A11"):
		return "ethash"
	case has("A9"):
		return "equihash"
	case has("A2", "A4", "A5", "A6", "A8"):
		return "scrypt"
	}
	return ""
}

func first(o jsonval.Obj, key string) jsonval.Obj {
	if l := o.Objs(key); len(l) > 0 {
		return l[0]
	}
	return jsonval.Obj{}
}
