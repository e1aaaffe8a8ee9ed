package vnish

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// WebEndpoints are the web API pages read (GET /api/v1/<name>).
var WebEndpoints = []string{"summary", "info", "status", "perf-summary"}

// DefaultPassword is Vnish's factory web password.
const DefaultPassword = "admin"

// WebPath is the URL path of a web API page.
func WebPath(name string) string { return "/api/v1/" + name }

// WebConfig is the token-login web API of a target.
func WebConfig(t drivers.Target) httpapi.Config {
	_, pw := t.Credentials("", DefaultPassword)
	return httpapi.Config{Addr: t.WebAddr(), API: "Vnish web API", Login: loginWith(pw)}.For(t)
}

// login posts the password to /api/v1/unlock; the token goes bare in
// Authorization (Vnish wants "Bearer" only on system/* paths, which are
// never read here). A 401/403 is a wrong password (drivers.ErrAuth, from
// the transport).
func loginWith(pw string) httpapi.TokenLogin {
	return func(ctx context.Context, c *httpapi.Client) (http.Header, error) { return login(ctx, c, pw) }
}

func login(ctx context.Context, c *httpapi.Client, pw string) (http.Header, error) {
	body, err := json.Marshal(map[string]string{"pw": pw})
	if err != nil {
		return nil, err
	}
	r, err := c.Send(ctx, httpapi.Request{Method: http.MethodPost, Path: WebPath("unlock"), Body: body,
		Header: http.Header{"Content-Type": {"application/json"}}, NoAuth: true})
	if err != nil {
		return nil, err
	}
	o, err := httpapi.ParseJSON(r.Body)
	if err != nil {
		return nil, fmt.Errorf("web %s: %w", WebPath("unlock"), err)
	}
	tok := o.S("token")
	if tok == "" {
		return nil, fmt.Errorf("web %s: %w: no token in the reply", WebPath("unlock"), drivers.ErrAuth)
	}
	return http.Header{"Authorization": {tok}}, nil
}

// ParseWithWeb merges the 4028 replies with the web API's. The 4028 data
// is kept where it has a value; the web adds MAC, hostname, power limit,
// fault light and errors, and stands in for what 4028 did not answer. A
// failed API is a problem as drivers.OneFailed says.
func ParseWithWeb(b *cgminer.Batch, w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Antminer", Firmware: Name}
	if b.Answered() {
		d = Parse(b)
	}
	if _, webUp := replies.TwoAPIs(d, b, w); !webUp {
		return d
	}
	rs := httpapi.Pages(d, w, WebEndpoints, WebPath) // 404: an older Vnish without the page
	web := webData(rs, d.Algorithm)
	// 4028 only guesses the algorithm from the model's name (sha256 for
	// any name it does not know); the web API states it.
	if web.Algorithm != "" {
		d.Algorithm = web.Algorithm
	}
	drivers.Merge(d, web)
	return d
}

// webData reads the web API's pages into their own MinerData, for Merge.
// algorithm is 4028's, for the unit when the pages name none.
func webData(rs map[string]jsonval.Obj, algorithm string) *drivers.MinerData {
	d := &drivers.MinerData{}
	info, sum, status := rs["info"], rs["summary"].O("miner"), rs["status"]
	wf := func(page string) drivers.Fields { return drivers.Fields{D: d, Source: "web " + WebPath(page)} }
	fi, fs, fst := wf("info"), wf("summary"), wf("status")

	// Identity: info on 1.2.x, summary.system on older releases.
	for _, ns := range []jsonval.Obj{info.O("system").O("network_status"), rs["summary"].O("system").O("network_status")} {
		if d.MAC == "" {
			d.MAC = drivers.NormalizeMAC(fi.String(ns, "mac"))
		}
		if d.Hostname == "" {
			d.Hostname = fi.String(ns, "hostname")
		}
	}
	d.Model = antminer.CleanModel(cmp.Or(fi.String(info, "miner"), fs.String(sum, "miner_type")))
	d.Algorithm = hashunit.Algorithm(fi.String(info, "algorithm"))
	if algorithm == "" {
		algorithm = antminer.Algorithm(d.Model)
	}
	if d.Algorithm != "" {
		algorithm = d.Algorithm
	}
	d.FirmwareVersion = cmp.Or(antminer.VnishVersion(fs.String(sum, "miner_type")), fi.String(info, "fw_version"))
	if sn := fi.String(info, "serial"); !strings.EqualFold(sn, "N/A") {
		d.SerialNumber = sn
	}

	// hr_* and chain rates are in info.hr_measure (GH/s for SHA-256, MH/s
	// for scrypt); the deprecated average_/instant_hashrate are in 1000x
	// that unit, so they are not used.
	// Without hr_measure, Vnish (a bmminer build) follows bmminer's "GHS".
	unit := hashunit.Key(hashunit.BMMiner, algorithm, hashunit.GH).THs(1)
	if m := fi.String(info, "hr_measure"); m != "" {
		if u, ok := hashunit.ParseUnit(m); ok {
			unit = u.THs(1)
		} else {
			fi.Bad("hr_measure", m)
		}
	}

	if !sum.IsNil() || !status.IsNil() {
		d.Errors = []drivers.MinerError{} // either page is an error report
	}
	if !sum.IsNil() {
		// hr_realtime: the rate 4028 calls "GHS 5s" (Vnish has no ~1 minute
		// figure; hr_average is over a longer window).
		if v := fs.Float(sum, "hr_realtime"); v != nil && *v >= 0 {
			d.Hashrate = drivers.Ptr(*v * unit)
		}
		if v := fs.Float(sum, "hr_nominal"); v != nil && *v > 0 {
			d.ExpectedHashrate = drivers.Ptr(*v * unit)
		}
		if v := fs.Float(sum, "power_consumption"); v != nil && *v > 0 {
			d.PowerWatts = v
		} else if v := fs.Float(sum, "power_usage"); v != nil && *v > 0 {
			d.PowerWatts = v
		}
		d.IsMining = mining(fs.String(sum.O("miner_status"), "miner_state"))
		d.Boards = webBoards(fs, sum, unit)
		d.Fans = webFans(fs, sum.O("cooling"))
		d.Pools = webPools(fs, sum)
		d.Errors = drivers.JoinErrors(d.Errors, chainErrors(fs, sum))
	}
	if !status.IsNil() {
		if d.IsMining == nil {
			d.IsMining = mining(fst.String(status, "miner_state"))
		}
		d.FaultLight = fst.Bool(status, "find_miner")
		var errs []drivers.MinerError
		if strings.EqualFold(fst.String(status, "miner_state"), "failure") || fst.String(status, "description") != "" {
			e := drivers.MinerError{Message: fst.String(status, "description")}
			if c := fst.Int(status, "failure_code"); c != nil && *c != 0 {
				e.Code = strconv.FormatInt(*c, 10)
			}
			if e.Message == "" {
				e.Message = "miner state failure"
			}
			errs = append(errs, e)
		}
		d.Errors = drivers.JoinErrors(d.Errors, errs)
	}
	// perf-summary current_preset: "2800" with pretty "2800 watt ~ 188 TH".
	if p := rs["perf-summary"].O("current_preset"); !p.IsNil() {
		if strings.Contains(strings.ToLower(p.S("pretty")), "watt") {
			if v, err := strconv.ParseFloat(strings.TrimSpace(p.S("name")), 64); err == nil && v > 0 && v < 1e6 {
				d.PowerLimitWatts = drivers.Ptr(v)
			}
		}
	}
	return d
}

// mining: Vnish miner states; the transitional ones count as mining.
func mining(state string) *bool {
	switch strings.ToLower(state) {
	case "":
		return nil
	case "stopped", "shutting-down", "failure":
		return drivers.Ptr(false)
	}
	return drivers.Ptr(true)
}

func chainErrors(f drivers.Fields, sum jsonval.Obj) []drivers.MinerError {
	var out []drivers.MinerError
	for i, c := range sum.Objs("chains") {
		st := c.O("status")
		if !strings.EqualFold(f.String(st, "state"), "failure") {
			continue
		}
		msg := cmp.Or(f.String(st, "description"), f.String(st, "failure_message"), "failure")
		out = append(out, drivers.MinerError{Message: fmt.Sprintf("chain %d (board %d): %s", chainID(f, c, i)+1, chainID(f, c, i), msg)})
	}
	return out
}

// chainID is the 0-based slot of a summary chain (ids are 1-based).
func chainID(f drivers.Fields, c jsonval.Obj, pos int) int {
	if v := f.Int(c, "id"); v != nil && *v >= 1 && *v <= 64 {
		return int(*v) - 1
	}
	return pos
}

func webBoards(f drivers.Fields, sum jsonval.Obj, unit float64) []drivers.Board {
	var out []drivers.Board
	for i, c := range sum.Objs("chains") {
		b := drivers.Board{Index: chainID(f, c, i)}
		if v := f.Float(c, "hashrate_rt"); v != nil && *v >= 0 {
			b.Hashrate = drivers.Ptr(*v * unit)
		}
		if v := f.Float(c, "hashrate_ideal"); v != nil && *v > 0 {
			b.ExpectedHashrate = drivers.Ptr(*v * unit)
		}
		b.Temperature = drivers.Positive(f.Float(c.O("pcb_temp"), "max"))
		b.ChipTemperature = drivers.Positive(f.Float(c.O("chip_temp"), "max"))
		b.InletTemperature = drivers.Positive(f.Float(c, "inlet_water_temp"))
		b.OutletTemperature = drivers.Positive(f.Float(c, "outlet_water_temp"))
		b.FrequencyMHz = drivers.Positive(f.Float(c, "frequency"))
		if v := f.Float(c, "voltage"); v != nil && *v > 0 {
			b.VoltageVolts = drivers.Ptr(*v / 1e3) // mV
		}
		// chip_statuses counts chips by colour (red, orange, grey, ...):
		// their sum is the chips found.
		if cs := c.O("chip_statuses"); !cs.IsNil() {
			var n int64
			ok := false
			for k, v := range cs.All() {
				x := jsonval.Int(v)
				if x == nil || *x < 0 {
					f.Bad("chip_statuses."+k, v)
					continue
				}
				n += *x
				ok = true
			}
			if ok {
				b.Chips = drivers.Ptr(n)
			}
		}
		if st := strings.ToLower(f.String(c.O("status"), "state")); st != "" {
			b.Active = drivers.Ptr(st == "mining" || st == "initializing")
		}
		out = append(out, b)
	}
	return out
}

func webFans(f drivers.Fields, cool jsonval.Obj) []drivers.Fan {
	var out []drivers.Fan
	for i, fo := range cool.Objs("fans") {
		idx := i
		if v := f.Int(fo, "id"); v != nil && *v >= 0 && *v < 64 {
			idx = int(*v)
		}
		rpm := f.Int(fo, "rpm")
		if rpm == nil || *rpm < 0 {
			continue
		}
		out = append(out, drivers.Fan{Index: idx, RPM: rpm})
	}
	return out
}

func webPools(f drivers.Fields, sum jsonval.Obj) []poolmetrics.Pool {
	var out []poolmetrics.Pool
	for i, p := range sum.Objs("pools") {
		pl := poolmetrics.Pool{Index: i, URL: poolmetrics.ParseURL(f.String(p, "url")), User: f.String(p, "user"),
			Accepted: f.Int(p, "accepted"), Rejected: f.Int(p, "rejected"), Stale: f.Int(p, "stale")}
		if v := f.Int(p, "id"); v != nil && *v >= 0 && *v < 1<<16 {
			pl.Index = int(*v)
		}
		// status: active (in use), working (alive, standby), offline,
		// disabled, rejecting, unknown.
		switch strings.ToLower(f.String(p, "status")) {
		case "active":
			pl.Active, pl.Alive = drivers.Ptr(true), drivers.Ptr(true)
		case "working":
			pl.Active, pl.Alive = drivers.Ptr(false), drivers.Ptr(true)
		case "offline", "disabled", "rejecting":
			pl.Active, pl.Alive = drivers.Ptr(false), drivers.Ptr(false)
		}
		out = append(out, pl)
	}
	return out
}
