package iceriver

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Parse reads a userpanel reply. It fails only when the body is not the
// panel at all (not JSON, or the firmware reports an error); a field that
// cannot be read is dropped and recorded in Problems.
func Parse(body []byte) (*drivers.MinerData, error) {
	o, err := httpapi.ParseJSON(body)
	if err != nil {
		return nil, err
	}
	return ParseObj(o)
}

// ParseObj reads a decoded userpanel reply.
func ParseObj(o jsonval.Obj) (*drivers.MinerData, error) {
	if w := o.O("userpanel"); !w.IsNil() && o.O("data").IsNil() {
		o = w // the {"userpanel": {...}} wrapping of some tools' dumps
	}
	if code := o.I("error"); code != nil && *code != 0 {
		return nil, &drivers.APIError{Command: "userpanel", Code: *code, Msg: o.S("message")}
	}
	data := o.O("data")
	if data.IsNil() {
		return nil, fmt.Errorf("%w: userpanel reply without a data object", drivers.ErrBadResponse)
	}
	d := &drivers.MinerData{Make: "IceRiver", Firmware: "stock"}
	identity(d, data)
	unit := data.S("unit")

	// rtpow is the current rate; avgpow is the average since start. The
	// panel has no ~1 minute average, so the current value is used.
	if v, ok := data.Get("rtpow"); ok {
		if h, err := rate(jsonval.String(v), unit); err != nil {
			panel(d).Invalid("rtpow", err.Error())
		} else {
			d.Hashrate = h
		}
	}
	if s := data.S("runtime"); s != "" {
		if up, err := runtime(s); err != nil {
			panel(d).Invalid("runtime", err.Error())
		} else {
			d.UptimeSeconds = &up
		}
	}
	d.IsMining = data.B("powstate")
	d.FaultLight = data.B("locate")
	d.Fans = fans(d, data)
	d.Boards = boards(d, data, unit)
	d.Pools = pools(d, data)
	return d, nil
}

var macRe = regexp.MustCompile(`^([0-9A-F]{2}:){5}[0-9A-F]{2}$`)

// modelCodes are softver1 product codes that are not model names.
var modelCodes = map[string]string{"10306": "AL3", "11304": "KS7"}

func identity(d *drivers.MinerData, data jsonval.Obj) {
	d.Hostname = data.S("host")
	soft := data.S("softver1")
	d.FirmwareVersion = soft
	if m := data.S("model"); m != "" && !strings.EqualFold(m, "none") {
		d.Model = cleanModel(m)
	} else if soft != "" {
		d.Model = modelFromSoftver(soft)
	}
	if a := hashunit.Algorithm(data.S("algo")); a != "" {
		d.Algorithm = a
	} else {
		up := strings.ToUpper(d.Model)
		switch {
		case strings.HasPrefix(up, "AL"):
			d.Algorithm = "blake3"
		case strings.HasPrefix(up, "KS"):
			d.Algorithm = "kheavyhash"
		}
	}
	if m := data.S("mac"); m != "" {
		mac := drivers.NormalizeMAC(strings.ReplaceAll(m, "-", ":"))
		if macRe.MatchString(mac) {
			d.MAC = mac
		} else {
			panel(d).Invalid("mac", fmt.Sprintf("not a MAC address: %q", m))
		}
	}
}

// modelFromSoftver: "ICM168_3_2_10_ks5L_miner" -> "KS5L",
// "5977449_ks3m_miner" -> "KS3M", "..._ks0prominer" -> "KS0 Pro".
func modelFromSoftver(s string) string {
	parts := strings.Split(s, "_")
	m := parts[len(parts)-1]
	if strings.EqualFold(m, "miner") && len(parts) > 1 {
		m = parts[len(parts)-2]
	} else {
		m = strings.TrimSuffix(strings.TrimSuffix(m, "miner"), "MINER")
	}
	if c, ok := modelCodes[m]; ok {
		return c
	}
	return cleanModel(m)
}

func cleanModel(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"iceriver ", "ice river "} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = strings.TrimSpace(s[len(p):])
		}
	}
	up := strings.ToUpper(s)
	for _, suf := range []struct{ in, out string }{{"ULTRA", " Ultra"}, {"PRO", " Pro"}} {
		if strings.HasSuffix(up, suf.in) && len(up) > len(suf.in) {
			return strings.TrimSpace(up[:len(up)-len(suf.in)]) + suf.out
		}
	}
	return up
}

// rate reads "105.3T", "5160.37G", "140737.49 G" or a bare number in
// unit (the panel's "unit": "G"), and returns TH/s.
func rate(s, unit string) (*float64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || (i == 0 && s[i] == '-')) {
		i++
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return nil, fmt.Errorf("not a hashrate: %q", s)
	}
	u := strings.TrimSpace(s[i:])
	if u == "" {
		u = unit
		if u == "" {
			return nil, fmt.Errorf("hashrate %q without a unit", s)
		}
	}
	u = strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(u), "/s"), "/S"))
	un, ok := hashunit.ParseUnit(strings.TrimSuffix(u, "H") + "H")
	if !ok {
		return nil, fmt.Errorf("hashrate %q: unknown unit", s)
	}
	th := un.THs(v)
	return &th, nil
}

// runtime reads "dd:hh:mm:ss" (or "hh:mm:ss") as seconds.
func runtime(s string) (int64, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return 0, fmt.Errorf("not d:h:m:s: %q", s)
	}
	mult := []int64{86400, 3600, 60, 1}[4-len(parts):]
	var total int64
	for i, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n < 0 || n > 10_000_000 {
			return 0, fmt.Errorf("not d:h:m:s: %q", s)
		}
		total += n * mult[i]
	}
	return total, nil
}

// panel reads fields of the panel's reply.
func panel(d *drivers.MinerData) drivers.Fields { return drivers.PageFields(d, "/user/userpanel") }

func fans(d *drivers.MinerData, data jsonval.Obj) []drivers.Fan {
	var l []any
	if v, ok := data.Get("fans"); ok {
		if l, ok = v.([]any); !ok {
			panel(d).Invalid("fans", "not a list")
		}
	}
	out := make([]drivers.Fan, 0, len(l))
	for i, v := range l {
		rpm := jsonval.Int(v)
		if rpm == nil || *rpm < 0 {
			panel(d).Bad(fmt.Sprintf("fans[%d]", i), v)
			continue
		}
		out = append(out, drivers.Fan{Index: i, RPM: rpm})
	}
	return out
}

func boards(d *drivers.MinerData, data jsonval.Obj, unit string) []drivers.Board {
	entries := panel(d).List(data, "boards")
	out := make([]drivers.Board, 0, len(entries))
	seen := map[int]bool{}
	for i, e := range entries {
		idx := i
		if no := e.I("no"); no != nil {
			if *no < 1 || *no > 64 {
				panel(d).OutOfRange(fmt.Sprintf("boards[%d].no", i), *no)
				continue
			}
			idx = int(*no) - 1
		}
		if seen[idx] {
			panel(d).Invalid(fmt.Sprintf("boards[%d].no", i), fmt.Sprintf("board %d listed twice", idx+1))
			continue
		}
		seen[idx] = true
		b := drivers.Board{Index: idx, Chips: e.I("chipnum"), Active: e.B("state")}
		if b.Chips != nil && *b.Chips < 0 {
			b.Chips = nil
		}
		b.FrequencyMHz = drivers.Positive(e.F("freq"))
		if v, ok := e.Get("rtpow"); ok {
			if h, err := rate(jsonval.String(v), unit); err != nil {
				panel(d).Invalid(fmt.Sprintf("boards[%d].rtpow", i), err.Error())
			} else {
				b.Hashrate = h
			}
		}
		if v, ok := e.Get("idealpow"); ok {
			// "0.00G" on every capture: the firmware does not compute it.
			if h, err := rate(jsonval.String(v), unit); err == nil && *h > 0 {
				b.ExpectedHashrate = h
			}
		}
		b.InletTemperature = drivers.Positive(e.F("intmp"))
		b.OutletTemperature = drivers.Positive(e.F("outtmp"))
		var pcb []*float64
		for _, p := range strings.Split(e.S("pcbtemp"), "-") {
			if f := jsonval.Float(p); f != nil {
				pcb = append(pcb, drivers.Positive(f))
			}
		}
		b.Temperature = drivers.Max(append(pcb, b.InletTemperature, b.OutletTemperature)...)
		out = append(out, b)
	}
	return out
}

func pools(d *drivers.MinerData, data jsonval.Obj) []poolmetrics.Pool {
	entries := panel(d).List(data, "pools")
	out := make([]poolmetrics.Pool, 0, len(entries))
	for i, e := range entries {
		addr := e.S("addr")
		if addr == "" {
			continue // an empty slot of the three
		}
		p := poolmetrics.Pool{
			Index:    i,
			URL:      poolmetrics.ParseURL(addr),
			User:     e.S("user"),
			Accepted: nonNeg(e.I("accepted")),
			Rejected: nonNeg(e.I("rejected")),
		}
		if no := e.I("no"); no != nil && *no >= 1 && *no <= 64 {
			p.Index = int(*no) - 1
		}
		// connect: 1 (or true) = the pool in use, -1/0/false = not.
		if c, ok := e.Get("connect"); ok {
			if b := jsonval.Bool(c); b != nil {
				p.Active = b
			} else if n := jsonval.Float(c); n != nil {
				p.Active = drivers.Ptr(*n > 0)
			} else {
				panel(d).Bad(fmt.Sprintf("pools[%d].connect", i), c)
			}
		}
		if s := e.F("state"); s != nil {
			p.Alive = drivers.Ptr(*s == 1)
		}
		out = append(out, p)
	}
	return out
}

func nonNeg(v *int64) *int64 {
	if v == nil || *v < 0 {
		return nil
	}
	return v
}
