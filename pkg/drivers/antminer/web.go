package antminer

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// WebEndpoints are the CGI pages Gather reads (GET /cgi-bin/<name>.cgi).
var WebEndpoints = []string{"get_system_info", "summary", "stats", "pools", "get_blink_status", "get_miner_conf"}

// Default web credentials of Bitmain-style firmware.
const (
	DefaultWebUser     = "root"
	DefaultWebPassword = "root"
)

// WebPath is the URL path of a CGI page.
func WebPath(name string) string { return "/cgi-bin/" + name + ".cgi" }

// WebConfig is the Digest-auth web API of a target, with the firmware's
// default credentials unless the target names its own.
func WebConfig(t drivers.Target) httpapi.Config {
	user, pass := t.Credentials(DefaultWebUser, DefaultWebPassword)
	return httpapi.Config{Addr: t.WebAddr(), API: "web API", Digest: true, Username: user, Password: pass}.For(t)
}

// ParseWithWeb merges the 4028 replies and the web replies of one stock
// Antminer by drivers.Merge: the 4028 data is kept where it has a value; the web adds MAC,
// hostname, serial number, fault light, work mode and errors, and stands
// in for every 4028 command that did not answer. A failed API is a problem
// as drivers.OneFailed says.
func ParseWithWeb(b *cgminer.Batch, w *httpapi.Replies) *drivers.MinerData {
	d, _ := parseWithWeb(b, w)
	return d
}

// parseWithWeb is ParseWithWeb that also tells whether the web stats.cgi
// added something 4028 stats did not carry (so it is worth asking again).
func parseWithWeb(b *cgminer.Batch, w *httpapi.Replies) (d *drivers.MinerData, statsAdds bool) {
	d = &drivers.MinerData{Make: "Antminer"}
	if b.Answered() {
		d = Parse(b)
	}
	if _, webUp := replies.TwoAPIs(d, b, w); !webUp {
		return d, false
	}
	rs := httpapi.Pages(d, w, WebEndpoints, WebPath)
	// Each page is read on its own and merged by drivers.Merge (4028
	// preferred where both carry a value): identity first, as the units
	// of the others follow the model's algorithm.
	si := rs["get_system_info"]
	id := &drivers.MinerData{Firmware: "stock"}
	WebIdentity(id, si)
	info := webInfo(rs)
	id.Model = CleanModel(cmp.Or(info.S("type"), si.S("minertype")))
	id.Algorithm = Algorithm(id.Model)
	id.FirmwareVersion = cmp.Or(info.S("CompileTime"), si.S("system_filesystem_version"))
	id.APIVersion = webStatus(rs["summary"]).S("api_version")
	// Stock firmware has no version on 4028 (CompileTime is a build date);
	// newer builds name their release in system_filesystem_version.
	if v := ReleaseVersion(si); v != "" && (d.Firmware == "" || d.Firmware == "stock") {
		d.FirmwareVersion = v
	}
	drivers.Merge(d, id)
	rest := &drivers.MinerData{Algorithm: d.Algorithm, Errors: WebErrors(rs["summary"]),
		FaultLight: WebFaultLight(rs["get_blink_status"])}
	WebSummary(rest, rs["summary"])
	if p := rs["pools"]; !p.IsNil() {
		rest.Pools = configuredPools(WebPools(p))
	}
	drivers.Merge(d, rest)
	// summary.cgi before stats.cgi: the uptime is summary's elapsed, as on 4028.
	if s := rs["stats"]; !s.IsNil() {
		statsAdds = fillFromWebStats(d, s)
	}
	applyWorkMode(d, WebSleeping(d, rs["get_miner_conf"], "bitmain-work-mode"))
	return d, statsAdds
}

// fillFromWebStats keeps what only the web stats.cgi carries when 4028
// stats answered too (S21+/S23 Hyd. write the wall power, "watt", there
// alone): the page is parsed on its own and merged by drivers.Merge, 4028
// preferred. It tells whether any value came from the page.
func fillFromWebStats(d *drivers.MinerData, s jsonval.Obj) bool {
	w := &drivers.MinerData{Make: d.Make, Model: d.Model, Algorithm: d.Algorithm}
	ParseStats(w, s, Options{})
	for i, err := range w.Problems {
		w.Problems[i] = fmt.Errorf("web stats.cgi: %w", err)
	}
	return drivers.Merge(d, w)
}

// applyWorkMode: a sleeping miner is not mining whatever it hashes while
// winding down; an awake one is mining when it hashes (or, without a
// hashrate, by its mode alone).
func applyWorkMode(d *drivers.MinerData, sleeping *bool) {
	switch {
	case sleeping == nil:
	case *sleeping:
		d.IsMining = drivers.Ptr(false)
	case d.IsMining == nil:
		h := d.TotalHashrate()
		d.IsMining = drivers.Ptr(h == nil || *h > 0)
	}
}

// webInfo is the INFO object of summary.cgi or stats.cgi.
func webInfo(rs map[string]jsonval.Obj) jsonval.Obj {
	for _, n := range []string{"summary", "stats", "pools"} {
		if i := rs[n].O("INFO"); !i.IsNil() {
			return i
		}
	}
	return jsonval.Obj{}
}

// webStatus is STATUS, an object on the web API (a list on 4028).
func webStatus(r jsonval.Obj) jsonval.Obj {
	if s := r.O("STATUS"); !s.IsNil() {
		return s
	}
	if l := r.Objs("STATUS"); len(l) > 0 {
		return l[0]
	}
	return jsonval.Obj{}
}

// WebIdentity reads get_system_info.cgi: macaddr, hostname, serinum.
func WebIdentity(d *drivers.MinerData, si jsonval.Obj) {
	if si.IsNil() {
		return
	}
	if m := si.S("macaddr"); m != "" {
		d.MAC = drivers.NormalizeMAC(m)
	}
	if h := si.S("hostname"); h != "" {
		d.Hostname = h
	}
	if s := si.S("serinum"); s != "" {
		d.SerialNumber = s
	}
}

// ReleaseVersion is get_system_info's system_filesystem_version when it
// names a release ("FR-1.12(251009-S21)"), "" when it is absent or only a
// build date ("Tue Dec  6 16:12:30 CST 2022", "2022-11-11 13-46-30 CST"),
// as on older stock builds.
func ReleaseVersion(si jsonval.Obj) string {
	v := strings.TrimSpace(si.S("system_filesystem_version"))
	if v == "" {
		return ""
	}
	norm := strings.Join(strings.Fields(v), " ")
	for _, layout := range []string{"Mon Jan 2 15:04:05 MST 2006", "2006-01-02 15-04-05 MST", "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05"} {
		if _, err := time.Parse(layout, norm); err == nil {
			return ""
		}
	}
	return v
}

// WebSummary reads summary.cgi SUMMARY[0]: rate_5s in rate_unit (there is
// no ~1 minute average; rate_avg is since start, rate_30m 30 minutes) and
// elapsed, where d has none yet.
func WebSummary(d *drivers.MinerData, r jsonval.Obj) {
	if r.IsNil() {
		return
	}
	ss := r.Objs("SUMMARY")
	if len(ss) == 0 {
		drivers.PageFields(d, WebPath("summary")).Missing("SUMMARY")
		return
	}
	f := drivers.Fields{D: d, Source: "web " + WebPath("summary")}.Of(ss[0])
	factor, ok := webRateFactor(d, f)
	if v := f.Float("rate_5s"); v != nil && ok && d.Hashrate == nil {
		d.Hashrate = drivers.Ptr(*v * factor)
	}
	if v := f.Float("rate_ideal"); v != nil && *v > 0 && ok && d.ExpectedHashrate == nil {
		d.ExpectedHashrate = drivers.Ptr(*v * factor)
	}
	if d.UptimeSeconds == nil {
		d.UptimeSeconds = f.Int("elapsed")
	}
}

func webRateFactor(d *drivers.MinerData, f drivers.Object) (float64, bool) {
	u := f.String("rate_unit")
	if u == "" {
		return hashunit.Key(hashunit.BMMiner, d.Algorithm, hashunit.GH).THs(1), true
	}
	x, ok := unitToTH(u)
	if !ok {
		f.Bad("rate_unit", u)
	}
	return x, ok
}

// WebErrors reads summary.cgi SUMMARY[0].status[]: {type, status, code,
// msg}; "s" is fine, anything else a fault. An empty status is not a
// verdict (an S23 Hyd. without fans reports fans ""). nil when the page has
// no status list.
func WebErrors(r jsonval.Obj) []drivers.MinerError {
	ss := r.Objs("SUMMARY")
	if len(ss) == 0 {
		return nil
	}
	if _, ok := ss[0].V("status").([]any); !ok {
		return nil
	}
	out := []drivers.MinerError{}
	for _, st := range ss[0].Objs("status") {
		s := strings.ToLower(st.S("status"))
		if s == "" || s == "s" {
			continue
		}
		e := drivers.MinerError{Message: st.S("msg")}
		if c := st.I("code"); c != nil && *c != 0 {
			e.Code = strconv.FormatInt(*c, 10)
		}
		if e.Message == "" {
			e.Message = fmt.Sprintf("%s: status %s", cmp.Or(st.S("type"), "unknown"), s)
		}
		out = append(out, e)
	}
	return out
}

// WebFaultLight reads get_blink_status.cgi {"blink": bool}. Other shapes
// (Hammer's {"code":"B000"}) say nothing certain and stay absent.
func WebFaultLight(r jsonval.Obj) *bool {
	if r.IsNil() {
		return nil
	}
	return r.B("blink")
}

// WebSleeping reads the work mode of get_miner_conf.cgi (key
// "bitmain-work-mode", Elphapex "fc-work-mode"): 1 is sleep.
func WebSleeping(d *drivers.MinerData, conf jsonval.Obj, key string) *bool {
	if conf.IsNil() {
		return nil
	}
	m := drivers.Fields{D: d, Source: "web " + WebPath("get_miner_conf")}.Int(conf, key)
	if m == nil {
		return nil
	}
	return drivers.Ptr(*m == 1)
}

// WebPools reads pools.cgi POOLS[]: index, url, user, accepted, rejected,
// stale, status ("Alive"), priority. The page does not say which pool is
// in use; as cgminer fails over by priority, the alive pool with the
// lowest priority is the active one.
func WebPools(r jsonval.Obj) []poolmetrics.Pool {
	entries := r.Objs("POOLS")
	out := make([]poolmetrics.Pool, 0, len(entries))
	best, bestPrio := -1, int64(0)
	anyStatus := false
	for i, e := range entries {
		p := poolmetrics.Pool{
			Index:    i,
			URL:      poolmetrics.ParseURL(e.S("url", "URL")),
			User:     e.S("user", "User"),
			Accepted: e.I("accepted", "Accepted"),
			Rejected: e.I("rejected", "Rejected"),
			Stale:    e.I("stale", "Stale"),
		}
		if n := e.I("index", "POOL"); n != nil && *n >= 0 && *n < 1<<16 {
			p.Index = int(*n)
		}
		if st := e.S("status", "Status"); st != "" {
			anyStatus = true
			alive := strings.EqualFold(st, "Alive")
			p.Alive = &alive
			prio := int64(i)
			if v := e.I("priority", "Priority"); v != nil {
				prio = *v
			}
			if alive && (best < 0 || prio < bestPrio) {
				best, bestPrio = len(out), prio
			}
		}
		out = append(out, p)
	}
	if anyStatus {
		for i := range out {
			out[i].Active = drivers.Ptr(i == best)
		}
	}
	return out
}
