// Package elphapex is the driver for Elphapex scrypt miners (DG1, DG1+,
// DG Home). They have no 4028 API; everything comes from the web UI's CGI
// pages, GET /cgi-bin/<page>.cgi with HTTP Digest auth (default root/root,
// realm "Daoge"), asked on one keep-alive connection:
//   - get_system_info: macaddr -> MAC, hostname, minertype -> Model,
//     system_filesystem_version "DG1+_SW_V1.0.2" -> FirmwareVersion "1.0.2".
//   - summary: STATUS.api_version -> APIVersion; SUMMARY[0] rate_5s (there
//     is no ~1 minute average: rate_avg is since start, rate_15m/30m
//     longer) -> Hashrate, rate_ideal -> ExpectedHashrate, elapsed ->
//     UptimeSeconds, status[] -> Errors; INFO.dev_sn -> SerialNumber.
//   - stats: STATS[0].chain[] {index, rate_real, rate_ideal, asic_num,
//     temp_pcb[], temp_chip[], sn} -> Boards; fan[] -> Fans.
//   - pools: POOLS[] {index, url, user, accepted, rejected, stale, status,
//     priority}; the alive pool of lowest priority is the active one.
//   - get_blink_status: blink -> FaultLight.
//   - get_miner_conf: fc-work-mode 1 = sleep -> IsMining false.
//
// Units: rates in the reply's rate_unit ("MH/s") -> TH/s; °C; RPM.
// Quirks: STATUS is an object, not a list; temp_chip holds strings in
// milli-°C with "" for missing sensors; fan[] holds strings; freq_avg
// (62000) is in an unknown unit and is not reported.
package elphapex

import (
	"cmp"
	"context"
	"regexp"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// Name is the driver name.
const Name = "elphapex"

// Pages are the CGI pages Gather reads.
var Pages = []string{"get_system_info", "summary", "stats", "pools", "get_blink_status", "get_miner_conf"}

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers Elphapex miners. Web is shared by all its miners; nil
// uses httpapi.Shared.
type Driver struct {
	Web *httpapi.Transport
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather reads every page and parses what answered.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	tr := httpapi.Shared(dr.Web)
	w := tr.Client(antminer.WebConfig(t)).GetAll(ctx, Pages, antminer.WebPath)
	if err := w.Err(); err != nil {
		return nil, err
	}
	return Parse(w), nil
}

var fwVersion = regexp.MustCompile(`(?i)_V([0-9][0-9A-Za-z.\-]*)$`)

// Parse reads the pages. It never fails: what cannot be read is in
// Problems.
func Parse(w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Elphapex", Firmware: "stock", Algorithm: "scrypt"}
	rs := httpapi.Pages(d, w, Pages, antminer.WebPath)
	si := rs["get_system_info"]
	antminer.WebIdentity(d, si)
	if a := hashunit.Algorithm(si.S("Algorithm")); a != "" { // "Scrypt"
		d.Algorithm = a
	}
	info := jsonval.Obj{}
	for _, n := range []string{"summary", "stats", "pools"} {
		if i := rs[n].O("INFO"); !i.IsNil() {
			info = i
			break
		}
	}
	d.Model = cleanModel(cmp.Or(si.S("minertype"), info.S("type")))
	fw := cmp.Or(si.S("system_filesystem_version"), info.S("miner_version"))
	if m := fwVersion.FindStringSubmatch(fw); m != nil {
		d.FirmwareVersion = m[1]
	} else {
		d.FirmwareVersion = fw
	}
	if d.SerialNumber == "" {
		d.SerialNumber = info.S("dev_sn")
	}
	if st := rs["summary"].O("STATUS"); !st.IsNil() {
		d.APIVersion = st.S("api_version")
	}
	antminer.WebSummary(d, rs["summary"])
	if s := rs["stats"]; !s.IsNil() {
		antminer.ParseStats(d, s, antminer.Options{})
		for i := range d.Boards {
			// freq_avg 62000 on a DG1+ whose configured frequency is
			// 1850: not MHz, and not known to be anything else.
			d.Boards[i].FrequencyMHz = nil
		}
	}
	if p := rs["pools"]; !p.IsNil() {
		d.Pools = antminer.WebPools(p)
	}
	d.Errors = antminer.WebErrors(rs["summary"])
	d.FaultLight = antminer.WebFaultLight(rs["get_blink_status"])
	sleeping := antminer.WebSleeping(d, rs["get_miner_conf"], "fc-work-mode")
	switch {
	case sleeping != nil && *sleeping:
		d.IsMining = drivers.Ptr(false)
	case d.IsMining == nil && sleeping != nil:
		h := d.TotalHashrate()
		d.IsMining = drivers.Ptr(h == nil || *h > 0)
	}
	return d
}

// cleanModel: "DG1+" stays; a vendor prefix goes.
func cleanModel(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 9 && strings.EqualFold(s[:9], "elphapex ") {
		s = strings.TrimSpace(s[9:])
	}
	return s
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr Driver) Forget(host string) { httpapi.Shared(dr.Web).Forget(host) }
