// Package auradine is the driver for Auradine Teraflux miners (AT/AI/AD,
// FluxOS). Two APIs are merged: GCMiner's cgminer-style API on TCP 4028
// (no login) and the FluxOS REST API on port 8080 (fixed by the firmware),
// POST /token {"command":"token","user":"admin","password":...} ->
// Token[0].Token, sent back as the header "Token: <token>".
//
// Which source feeds which field:
//   - 4028 summary: "MHS 5s" (MH/s; "MHS 1m" when absent) -> Hashrate TH/s,
//     Elapsed (s) -> UptimeSeconds. GCMiner's devs have only "MHS 5s", so
//     the total is read over the same window as the boards it sums (its
//     1-minute figure can be half the 5 s one, as in the captured AT1500).
//   - 4028 devs: ID (1-based) -> board ID-1, "MHS 5s"/"MHS 1m" -> Hashrate,
//     Status "Alive" -> Active, Temperature -> Temperature when the web
//     temperature page is missing.
//   - 4028 pools: the standard cgminer mapping. 4028 version: API.
//   - web ipreport: mac, hostname, model -> Model, version -> FirmwareVersion,
//     SerialNo -> SerialNumber, HBSerialNo[i] -> board i serial.
//   - web temperature: per "Hash Board N" (ID N) the hottest BoardTemp ->
//     Temperature and the hottest ChipTemp -> ChipTemperature (°C); ID 0 is
//     the control board and is not a hashboard.
//   - web frequency: mean ChipFrequency of a board -> FrequencyMHz.
//   - web psu: PowerIn "58.94W" -> PowerWatts; PoutMax -> PowerLimitWatts
//     when the mode page gives none; the slowest of FanSpeed1, FanSpeed2
//     ("4052.00 RPM") -> PSUFanRPM.
//   - web mode: Power (W) -> PowerLimitWatts, Sleep "on" -> IsMining false.
//   - web fan: Fan[] {ID (1-based), Speed (RPM)} -> Fans.
//   - web led: Code 3 (locate) -> FaultLight; codes 4-8 are faults the
//     firmware signals on its LED -> Errors (code 2 "Normal": clean).
//
// The 4028 API also answers GCMiner's own temperature, fan and psu
// commands with the very replies the REST pages relay: each fills its
// fields when its page did not come (REST closed, login refused); where
// both came the page is used.
//
// Not used: the voltage page (per-chip sample voltages, not a board
// voltage) and mode Ths (a tuning target whose unit is not documented).
package auradine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// Name is the driver name.
const Name = "auradine"

// DefaultWebPort is the FluxOS API port.
const DefaultWebPort = 8080

// Default credentials.
const (
	DefaultUser     = "admin"
	DefaultPassword = "admin"
)

// RPCCommands are asked on 4028 in one joined request. temperature, fan
// and psu are GCMiner's own commands: the REST pages of the same names
// relay their replies (GCMiner's STATUS codes 590, 510, 570 and
// Description, cgminer's "id"), so with the REST API closed or refusing
// the login, boards, fans and power still come from 4028.
var RPCCommands = []string{"summary", "devs", "pools", "version", "temperature", "fan", "psu"}

// gcminerOwn are the RPCCommands that are also REST pages; an older
// GCMiner without them answers "invalid command", which is no problem.
var gcminerOwn = map[string]bool{"temperature": true, "fan": true, "psu": true}

// WebPages are read from the REST API, in order, on one connection.
var WebPages = []string{"ipreport", "psu", "mode", "fan", "led", "temperature", "frequency"}

const maxBoards, maxFans = 16, 16

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers Auradine miners.
type Driver struct {
	Web *httpapi.Transport
	// WebPort is the REST port; 0 means DefaultWebPort (tests set it).
	WebPort int
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather asks both APIs and merges them.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	tr := httpapi.Shared(dr.Web)
	port := dr.WebPort
	if port == 0 {
		port = DefaultWebPort
	}
	b := (&cgminer.Client{Addr: t.RPCAddr()}).Multi(ctx, RPCCommands...)
	user, pw := t.Credentials(DefaultUser, DefaultPassword)
	addr := net.JoinHostPort(t.Host, strconv.Itoa(port))
	c := tr.Client(httpapi.Config{Addr: addr, API: "FluxOS API", Username: user, Login: login(addr, user, pw)}.For(t))
	w := c.GetAll(ctx, WebPages, func(n string) string { return "/" + n })
	if b.Err() != nil && !w.Answered() {
		if werr := w.Err(); errors.Is(werr, drivers.ErrAuth) {
			return nil, werr
		}
		return nil, fmt.Errorf("auradine: 4028 API: %w", b.Err())
	}
	return Parse(replies.WithoutRefused(b, w)), nil
}

func login(addr, user, pw string) httpapi.TokenLogin {
	return func(ctx context.Context, c *httpapi.Client) (http.Header, error) {
		body, _ := json.Marshal(map[string]string{"command": "token", "user": user, "password": pw})
		resp, err := c.Send(ctx, httpapi.Request{Method: http.MethodPost, Path: "/token", Body: body, NoAuth: true,
			Header: http.Header{"Content-Type": {"application/json"}}})
		if err != nil {
			return nil, err
		}
		o, err := httpapi.ParseJSON(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("%s FluxOS API: login: %w", addr, err)
		}
		var tok string
		if ts := o.Objs("Token"); len(ts) > 0 {
			tok = ts[0].S("Token")
		}
		if tok == "" {
			return nil, fmt.Errorf("%s FluxOS API: login: %w: no token in the reply", addr, drivers.ErrAuth)
		}
		return http.Header{"Token": {tok}}, nil
	}
}

// Parse merges both APIs' replies. No I/O; never fails.
func Parse(b *cgminer.Batch, w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Auradine", Firmware: "stock", Algorithm: "sha256"}
	r := map[string]jsonval.Obj{}
	rpcErr := map[string]error{}
	for _, cmd := range RPCCommands {
		o, err := b.Reply(cmd)
		if err != nil {
			if !errors.Is(err, cgminer.ErrNotRequested) && !((cmd == "version" || gcminerOwn[cmd]) && cgminer.IsInvalidCommand(err)) {
				rpcErr[cmd] = drivers.CommandErr(cmd, err)
			}
			continue
		}
		r[cmd] = o
	}
	web := map[string]jsonval.Obj{}
	for _, n := range WebPages {
		o, err := w.Reply(n)
		if err == nil {
			err = statusErr(o)
		}
		if err != nil {
			if !errors.Is(err, httpapi.ErrNotRequested) && !httpapi.IsNotFound(err) {
				d.Problem(fmt.Errorf("web page %q: %w", n, err))
			}
			continue
		}
		web[n] = o
	}
	// Field by field: GCMiner's own replies fill what the REST pages did
	// not bring (the page is preferred where both came: the same reply).
	for _, cmd := range RPCCommands {
		if err, failed := rpcErr[cmd]; failed && !(gcminerOwn[cmd] && !web[cmd].IsNil()) {
			d.Problem(err)
		}
		if gcminerOwn[cmd] && web[cmd].IsNil() && !r[cmd].IsNil() {
			if statusErr(r[cmd]) == nil {
				web[cmd] = r[cmd]
			}
		}
	}

	boards := map[int]*drivers.Board{}
	bd := func(i int) *drivers.Board {
		if x, ok := boards[i]; ok {
			return x
		}
		x := &drivers.Board{Index: i}
		boards[i] = x
		return x
	}

	if o := first(web["ipreport"], "IPReport"); !o.IsNil() {
		if m := o.S("mac"); m != "" {
			if d.MAC = drivers.NormalizeMAC(m); d.MAC == "" {
				drivers.PageFields(d, "/ipreport").Invalid("mac", fmt.Sprintf("not a MAC address: %q", m))
			}
		}
		d.Hostname = o.S("hostname")
		d.Model = cleanModel(o.S("model"))
		d.FirmwareVersion = o.S("version")
		d.SerialNumber = o.S("SerialNo", "CBSerialNo")
		for i, v := range o.L("HBSerialNo") {
			if i >= maxBoards {
				break
			}
			if s := jsonval.String(v); s != "" {
				bd(i).SerialNumber = s
			}
		}
	}
	if v := first(r["version"], "VERSION"); !v.IsNil() {
		d.APIVersion = v.S("API")
	}
	if s := first(r["summary"], "SUMMARY"); !s.IsNil() {
		d.Hashrate = mhs(s.F("MHS 5s", "MHS 1m"))
		if d.Hashrate == nil {
			drivers.CommandFields(d, "summary").Missing("MHS 5s")
		}
		if e := s.I("Elapsed"); e != nil && *e >= 0 {
			d.UptimeSeconds = e
		}
	} else if !r["summary"].IsNil() {
		drivers.CommandFields(d, "summary").Missing("SUMMARY")
	}
	if dv := r["devs"]; !dv.IsNil() {
		for i, e := range dv.Objs("DEVS") {
			idx := i
			if id := e.I("ID"); id != nil && *id >= 1 && *id <= maxBoards {
				idx = int(*id) - 1
			}
			if idx >= maxBoards {
				continue
			}
			x := bd(idx)
			x.Hashrate = mhs(e.F("MHS 5s", "MHS 1m"))
			if st := e.S("Status"); st != "" {
				x.Active = drivers.Ptr(strings.EqualFold(st, "Alive"))
			}
			if web["temperature"].IsNil() {
				x.Temperature = drivers.Temperature(e.F("Temperature"))
			}
		}
	}
	if tp := web["temperature"]; !tp.IsNil() {
		for _, e := range tp.Objs("Temperature") {
			idx, ok := hashBoard(e)
			if !ok {
				continue
			}
			x := bd(idx)
			x.Temperature = maxSensor(e.Objs("BoardTemp"))
			x.ChipTemperature = maxSensor(e.Objs("ChipTemp"))
		}
	}
	if fq := web["frequency"]; !fq.IsNil() {
		for _, e := range fq.Objs("Frequency") {
			idx, ok := hashBoard(e)
			if !ok {
				continue
			}
			var sum float64
			n := 0
			for _, c := range e.Objs("ChipFrequency") {
				if f := c.F("Frequency"); f != nil && *f > 0 {
					sum += *f
					n++
				}
			}
			if n > 0 {
				bd(idx).FrequencyMHz = drivers.Ptr(sum / float64(n))
			}
		}
	}
	for i := 0; i < maxBoards; i++ {
		if x, ok := boards[i]; ok {
			d.Boards = append(d.Boards, *x)
		}
	}

	if m := first(web["mode"], "Mode"); !m.IsNil() {
		if p := m.F("Power"); p != nil && *p > 0 {
			d.PowerLimitWatts = p
		}
		switch strings.ToLower(m.S("Sleep")) {
		case "on", "true":
			d.IsMining = drivers.Ptr(false)
		case "off", "false":
			d.IsMining = drivers.Ptr(true)
		}
	}
	if p := first(web["psu"], "PSU"); !p.IsNil() {
		if s := p.S("PowerIn"); s != "" {
			if v, ok := watts(s); ok {
				d.PowerWatts = &v
			} else {
				drivers.PageFields(d, "/psu").Bad("PowerIn", s)
			}
		}
		if v, ok := watts(p.S("PoutMax")); ok && d.PowerLimitWatts == nil && v > 0 {
			d.PowerLimitWatts = &v
		}
		d.PSUFanRPM = psuFan(d, p)
	}
	if f := web["fan"]; !f.IsNil() {
		for i, e := range f.Objs("Fan") {
			idx := i
			if id := e.I("ID"); id != nil && *id >= 1 && *id <= maxFans {
				idx = int(*id) - 1
			}
			if idx >= maxFans {
				continue
			}
			if s := e.I("Speed"); s != nil && *s >= 0 {
				d.Fans = append(d.Fans, drivers.Fan{Index: idx, RPM: s})
			}
		}
	}
	if l := first(web["led"], "LED"); !l.IsNil() {
		if code := l.I("Code"); code != nil {
			d.FaultLight = drivers.Ptr(*code == 3)
			d.Errors = []drivers.MinerError{}
			if msg, bad := ledFaults[*code]; bad {
				if m := l.S("Msg"); m != "" {
					msg = m
				}
				d.Errors = append(d.Errors, drivers.MinerError{Code: strconv.FormatInt(*code, 10), Message: msg})
			}
		}
	}
	if p := r["pools"]; !p.IsNil() {
		d.Pools = cgminer.Pools(p)
	}
	return d
}

// psuFan is the slowest of the PSU's fans (FanSpeed1, FanSpeed2, ...
// "4052.00 RPM"): the schema has one PSU fan, and the one that slows
// down is the one to see.
func psuFan(d *drivers.MinerData, p jsonval.Obj) *int64 {
	var slowest *int64
	for i := 1; i <= maxFans; i++ {
		key := "FanSpeed" + strconv.Itoa(i)
		s := p.S(key)
		if s == "" {
			continue
		}
		f := jsonval.Float(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "RPM")))
		if f == nil || *f < 0 || *f > 1e6 {
			drivers.PageFields(d, "/psu").Bad(key, s)
			continue
		}
		if v := int64(*f); slowest == nil || v < *slowest {
			slowest = &v
		}
	}
	return slowest
}

// ledFaults are the LED codes that signal a fault.
var ledFaults = map[int64]string{
	4: "temperature out of range",
	5: "pool configuration problem",
	6: "network problem",
	7: "control board problem",
	8: "hashrate low",
}

// statusErr reports a FluxOS reply whose STATUS is an error.
func statusErr(o jsonval.Obj) error {
	st := first(o, "STATUS")
	if st.IsNil() {
		return nil
	}
	if s := strings.ToUpper(st.S("STATUS")); s == "E" || s == "F" {
		return fmt.Errorf("%w: miner reported error: %q", drivers.ErrBadResponse, st.S("Msg"))
	}
	return nil
}

func first(o jsonval.Obj, key string) jsonval.Obj {
	if l := o.Objs(key); len(l) > 0 {
		return l[0]
	}
	return jsonval.Obj{}
}

// hashBoard maps "Hash Board N" (ID N, 1-based) to slot N-1; ID 0 is the
// control board.
func hashBoard(e jsonval.Obj) (int, bool) {
	id := e.I("ID")
	if id == nil || *id < 1 || *id > maxBoards {
		return 0, false
	}
	if n := strings.ToLower(e.S("Name")); n != "" && !strings.Contains(n, "hash") {
		return 0, false
	}
	return int(*id) - 1, true
}

func maxSensor(l []jsonval.Obj) *float64 {
	var m *float64
	for _, s := range l {
		if v := drivers.Temperature(s.F("Temperature")); v != nil && (m == nil || *v > *m) {
			m = v
		}
	}
	return m
}

func mhs(v *float64) *float64 {
	return hashunit.ToTHs(v, hashunit.MH)
}

// watts reads "1234.5W".
func watts(s string) (float64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "W"))
	f := jsonval.Float(s)
	if f == nil || *f < 0 {
		return 0, false
	}
	return *f, true
}

func cleanModel(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 9 && strings.EqualFold(s[:9], "auradine ") {
		s = strings.TrimSpace(s[9:])
	}
	return strings.ToUpper(s)
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr Driver) Forget(host string) { httpapi.Shared(dr.Web).Forget(host) }
