// Package epic is the driver for ePIC UMC firmware (PowerPlay) on Antminers
// and ePIC's own BlockMiners. ePIC serves an HTTP JSON API on the RPC port
// (4028, not the cgminer protocol); reads need no login:
//   - GET /summary: HBs[] {Index, Hashrate [MH/s, % of ideal], Temperature
//     °C, "Input Voltage" V, "Core Clock Avg" MHz} -> Boards; HBStatus[]
//     {Index, Detected, Enabled} -> boards that are present but not
//     hashing, Active; "Power Supply Stats"."Input Power" W; PresetInfo
//     "Target Power" W -> PowerLimitWatts; "Fans Rpm" {"Fans Speed N": rpm
//     or null} and Fans."Fans Speed" %; Session {Uptime s, Accepted,
//     Rejected}; Stratum {"Current Pool", "Current User", "Config Id",
//     IsPoolConnected} and StratumConfigs[] -> Pools; Status {"Operating
//     State", "Last Error"} -> IsMining, Errors; Misc."Locate Miner State"
//     -> FaultLight; Software "PowerPlay-BMS v1.5.13" -> FirmwareVersion;
//     Hostname; Mining.Algorithm.
//   - GET /capabilities: Model ("AntMiner S19 XP" -> Make Antminer, Model
//     "S19 XP"; ePIC's own hardware keeps Make ePIC), "Max HBs",
//     "Performance Estimator"."Chip Count" (per board).
//   - GET /network: {<iface>: {mac_address}} -> MAC.
//   - GET /hashrate: per board, one [MH/s, %, ...] entry per chip -> Chips.
//
// Hashrate is the sum of the boards' current rates (ePIC has no ~1 minute
// figure; Session "Average MHs" is since start). When HBs carry no rates
// (epic-miner 2.x on the Sia BlockMiner), Session LastAverageMHs.Hashrate
// (the last hour, MH/s), else "Average MHs". A board's expected rate is
// its rate divided by its percentage of ideal. Mining.Algorithm ("SHA-256",
// "Scrypt", "Blake2b") is the algorithm tag, before the model's series.
package epic

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Name is the driver name.
const Name = "epic"

// Endpoints are the pages Gather reads (GET /<name>).
var Endpoints = []string{"summary", "capabilities", "network", "hashrate"}

// Path is the URL path of an endpoint.
func Path(name string) string { return "/" + name }

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers ePIC miners. Web is shared by all its miners.
type Driver struct {
	Web *httpapi.Transport
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather reads every endpoint on the RPC port, where ePIC serves HTTP.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	tr := httpapi.Shared(dr.Web)
	c := tr.Client(httpapi.Config{Addr: t.RPCAddr(), API: "ePIC API"}.For(t))
	objs, errs := map[string]jsonval.Obj{}, map[string]error{}
	for _, n := range Endpoints {
		b, err := c.Get(ctx, Path(n))
		if err == nil {
			var o jsonval.Obj
			if o, err = httpapi.ParseJSON(WrapArray(b)); err == nil {
				objs[n] = o
				continue
			}
			err = fmt.Errorf("%s: %w", t.RPCAddr(), err)
		}
		errs[n] = err
	}
	w := httpapi.RepliesWithErrors(objs, errs)
	if err := w.Err(); err != nil {
		return nil, err
	}
	return Parse(w), nil
}

// Parse reads the replies. It never fails: what cannot be read is in
// Problems.
func Parse(w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "ePIC", Firmware: "epic", Algorithm: "sha256"}
	rs := httpapi.Pages(d, w, Endpoints, Path)
	sum := drivers.Fields{D: d, Source: Path("summary")}
	capa := drivers.Fields{D: d, Source: Path("capabilities")}

	identity(d, capa.String(rs["capabilities"], "Model"), rs["summary"])
	d.Hostname = sum.String(rs["summary"], "Hostname")
	d.MAC = mac(rs["network"])
	d.ExpectedBoards = capa.Int(rs["capabilities"], "Max HBs")
	chipsPerBoard := capa.Int(rs["capabilities"].O("Performance Estimator"), "Chip Count")

	s := rs["summary"]
	d.PowerWatts = sum.Float(s.O("Power Supply Stats"), "Input Power")
	if v := sum.Float(s.O("PresetInfo"), "Target Power"); v != nil && *v > 0 {
		d.PowerLimitWatts = v
	}
	d.UptimeSeconds = sum.Int(s.O("Session"), "Uptime")
	d.FaultLight = sum.Bool(s.O("Misc"), "Locate Miner State")
	status := s.O("Status")
	if st := sum.String(status, "Operating State"); st != "" {
		switch strings.ToLower(st) {
		case "idling", "idle", "stopped", "shutdown", "shutting down":
			d.IsMining = drivers.Ptr(false)
		default:
			d.IsMining = drivers.Ptr(true)
		}
	}
	if !status.IsNil() {
		if v, ok := status.Lookup("Last Error"); ok {
			d.Errors = []drivers.MinerError{}
			if v != nil {
				msg := jsonval.String(v)
				if msg == "" {
					msg = fmt.Sprint(v)
				}
				d.Errors = append(d.Errors, drivers.MinerError{Message: msg})
			}
		}
	}

	d.Boards = boards(d, s, rs["hashrate"], chipsPerBoard)
	var total, exp float64
	var nTotal, nExp int
	for _, b := range d.Boards {
		if b.Hashrate != nil {
			total += *b.Hashrate
			nTotal++
		}
		if b.ExpectedHashrate != nil {
			exp += *b.ExpectedHashrate
			nExp++
		}
	}
	if nTotal > 0 {
		d.Hashrate = drivers.Ptr(total)
	} else {
		// Older epic-miner (BlockMiner) has no per-board rates: the last
		// hour's average, else the average since start.
		ses := s.O("Session")
		v := sum.Float(ses.O("LastAverageMHs"), "Hashrate")
		if v == nil {
			v = sum.Float(ses, "Average MHs")
		}
		d.Hashrate = hashunit.ToTHs(v, hashunit.MH)
	}
	if nExp > 0 {
		d.ExpectedHashrate = drivers.Ptr(exp)
	}
	if chipsPerBoard != nil && d.ExpectedBoards != nil && *chipsPerBoard > 0 && *d.ExpectedBoards > 0 && *d.ExpectedBoards < 1000 {
		d.ExpectedChips = drivers.Ptr(*chipsPerBoard * *d.ExpectedBoards)
	}
	d.Fans = fans(sum, s)
	d.Pools = pools(sum, s)
	return d
}

// identity: the capabilities Model names the hardware; ePIC on Bitmain
// hardware is an Antminer with ePIC firmware.
func identity(d *drivers.MinerData, model string, s jsonval.Obj) {
	m := strings.TrimSpace(model)
	if len(m) >= 9 && strings.EqualFold(m[:9], "antminer ") {
		d.Make = "Antminer"
		m = antminer.CleanModel(m)
		if a := antminer.Algorithm(m); a != "" {
			d.Algorithm = a
		}
	} else if len(m) >= 5 && strings.EqualFold(m[:5], "epic ") {
		m = strings.TrimSpace(m[5:])
	}
	d.Model = m
	// ePIC's own hardware: the model table knows which is not SHA-256
	// (BlockMiner eLITE 1.0 is scrypt); the default comes last.
	if d.Make == "ePIC" {
		if sp, ok := models.Lookup(d.Make, m); ok && sp.Algorithm != "" {
			d.Algorithm = sp.Algorithm
		}
	}
	// What the miner says it hashes wins over the model's series.
	if a := hashunit.Algorithm(s.O("Mining").S("Algorithm")); a != "" {
		d.Algorithm = a
	}
	sw := strings.TrimSpace(s.S("Software"))
	if i := strings.LastIndexByte(sw, ' '); i >= 0 {
		sw = sw[i+1:]
	}
	d.FirmwareVersion = strings.TrimPrefix(strings.TrimPrefix(sw, "v"), "V")
}

// mac is the MAC of the first interface (by name, as the reply is a map)
// that has one.
func mac(n jsonval.Obj) string {
	for _, k := range n.Keys() {
		if m := drivers.NormalizeMAC(n.O(k).S("mac_address")); m != "" && m != "00:00:00:00:00:00" {
			return m
		}
	}
	return ""
}

func boards(d *drivers.MinerData, s, hr jsonval.Obj, expChips *int64) []drivers.Board {
	f := drivers.Fields{D: d, Source: Path("summary")}
	byIdx := map[int]*drivers.Board{}
	var order []int
	get := func(idx int) *drivers.Board {
		if b, ok := byIdx[idx]; ok {
			return b
		}
		b := &drivers.Board{Index: idx, ExpectedChips: expChips}
		byIdx[idx] = b
		order = append(order, idx)
		return b
	}
	for _, h := range s.Objs("HBs") {
		idx, ok := index(f, h)
		if !ok {
			continue
		}
		b := get(idx)
		if l := h.L("Hashrate"); len(l) > 0 {
			mhs := jsonval.Float(l[0])
			if mhs == nil {
				f.Bad("HBs.Hashrate", l[0])
			} else if *mhs >= 0 {
				b.Hashrate = hashunit.ToTHs(mhs, hashunit.MH)
				if len(l) > 1 {
					if pct := jsonval.Float(l[1]); pct != nil && *pct > 0 {
						b.ExpectedHashrate = hashunit.ToTHs(drivers.Ptr(*mhs/(*pct/100)), hashunit.MH)
					}
				}
			}
		}
		if v := f.Float(h, "Temperature"); v != nil && *v > 0 {
			b.Temperature = v
		}
		if v := f.Float(h, "Input Voltage"); v != nil && *v > 0 {
			b.VoltageVolts = v
		}
		if v := f.Float(h, "Core Clock Avg"); v != nil && *v > 0 {
			b.FrequencyMHz = v
		} else if v := jsonval.Float(h.V("Core Clock")); v != nil && *v > 0 {
			b.FrequencyMHz = v // epic-miner 2.x: one number, not a per-chip list
		}
	}
	// A detected board that is disabled or failed is not in HBs; it is
	// still a board the operator must see.
	for _, st := range s.Objs("HBStatus") {
		idx, ok := index(f, st)
		if !ok {
			continue
		}
		det := f.Bool(st, "Detected")
		en := f.Bool(st, "Enabled")
		_, hashing := byIdx[idx]
		if !hashing && (det == nil || !*det) {
			continue
		}
		b := get(idx)
		if en != nil {
			b.Active = drivers.Ptr(*en && (det == nil || *det))
		}
	}
	hf := drivers.Fields{D: d, Source: Path("hashrate")}
	if l, ok := hrList(hr); ok {
		for _, v := range l {
			h, ok := v.(jsonval.Obj)
			if !ok {
				continue
			}
			o := jsonval.Obj(h)
			idx, ok := index(hf, o)
			if !ok {
				continue
			}
			if b, ok := byIdx[idx]; ok {
				b.Chips = drivers.Ptr(int64(len(o.L("Data"))))
			}
		}
	}
	sort.Ints(order)
	out := make([]drivers.Board, 0, len(order))
	for _, i := range order {
		out = append(out, *byIdx[i])
	}
	return out
}

// ArrayKey holds a page that is a JSON array (/hashrate) once WrapArray
// has made it an object, which the web transport's decoder requires.
const ArrayKey = "list"

// WrapArray turns a JSON array body into {"list": [...]}; other bodies
// are returned as they are.
func WrapArray(b []byte) []byte {
	t := bytes.TrimLeft(b, " \t\r\n\x00\xef\xbb\xbf")
	if len(t) == 0 || t[0] != '[' {
		return b
	}
	out := make([]byte, 0, len(b)+10)
	out = append(out, `{"`+ArrayKey+`":`...)
	out = append(out, b...)
	return append(out, '}')
}

func hrList(hr jsonval.Obj) ([]any, bool) {
	if hr.IsNil() {
		return nil, false
	}
	if l := hr.L(ArrayKey); l != nil {
		return l, true
	}
	return nil, false
}

func index(f drivers.Fields, o jsonval.Obj) (int, bool) {
	v := f.Int(o, "Index")
	if v == nil || *v < 0 || *v > 255 {
		return 0, false
	}
	return int(*v), true
}

func fans(f drivers.Fields, s jsonval.Obj) []drivers.Fan {
	rpm := s.O("Fans Rpm")
	pct := f.Float(s.O("Fans"), "Fans Speed")
	var out []drivers.Fan
	for k, v := range rpm.All() {
		// "Fans Speed 3": a null is a fan slot without a fan.
		if v == nil {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(k[strings.LastIndexByte(k, ' ')+1:]))
		if err != nil || n < 1 || n > 64 {
			continue
		}
		r := jsonval.Int(v)
		if r == nil || *r < 0 {
			f.Bad("Fans Rpm."+k, v)
			continue
		}
		fan := drivers.Fan{Index: n - 1, RPM: r}
		if pct != nil && *pct >= 0 && *pct <= 100 {
			fan.Percent = pct
		}
		out = append(out, fan)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// pools: StratumConfigs lists the configured pools in priority order;
// Stratum is the one in use ("Config Id"), with the session's counters.
func pools(f drivers.Fields, s jsonval.Obj) []poolmetrics.Pool {
	st := s.O("Stratum")
	cur := -1
	if v := f.Int(st, "Config Id"); v != nil && *v >= 0 && *v < 1<<16 {
		cur = int(*v)
	}
	connected := f.Bool(st, "IsPoolConnected")
	sess := s.O("Session")
	var out []poolmetrics.Pool
	for i, c := range s.Objs("StratumConfigs") {
		out = append(out, poolmetrics.Pool{Index: i, URL: poolmetrics.ParseURL(c.S("pool")), User: c.S("login"),
			Active: drivers.Ptr(i == cur)})
	}
	if st.IsNil() {
		return out
	}
	url, user := f.String(st, "Current Pool"), f.String(st, "Current User")
	if url == "" {
		return out
	}
	i := cur
	if i < 0 || i >= len(out) {
		// No list, or the list does not reach it: the pool in use alone.
		if i < 0 {
			i = 0
		}
		out = append(out, poolmetrics.Pool{Index: i})
		i = len(out) - 1
	}
	p := &out[i]
	// "Current Pool" is host:port only; the configured entry it comes from
	// carries the scheme (stratum+tcp, stratum+ssl), so it is kept when it
	// names the same address.
	if cu := poolmetrics.ParseURL(url); !(p.URL.Parsed && cu.Parsed && p.URL.Host == cu.Host && p.URL.Port == cu.Port) {
		p.URL = cu
	}
	if user != "" {
		p.User = user
	}
	p.Active = connected
	p.Alive = connected
	if connected == nil {
		p.Active = drivers.Ptr(true)
	}
	p.Accepted = f.Int(sess, "Accepted")
	p.Rejected = f.Int(sess, "Rejected")
	return out
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr Driver) Forget(host string) { httpapi.Shared(dr.Web).Forget(host) }
