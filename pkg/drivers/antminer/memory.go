package antminer

import (
	"net"
	"slices"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// identityTTL is how long what the web API told about a miner stands
// before it is asked again: MAC, hostname and serial number do not change
// between gathers. A web UI that refused stays off for drivers.PortOffTTL.
const identityTTL = 10 * time.Minute

// webPagesEveryGather are the pages whose values change between gathers
// when the 4028 API answers too (it carries stats and pools itself).
var webPagesEveryGather = []string{"summary", "get_blink_status", "get_miner_conf"}

// memory keeps, per miner, what saves round trips: the web identity and
// whether the web UI is switched off. Each gather of a 100,000-miner farm
// then asks 4 web pages of a miner instead of 7, and none of a miner whose
// UI refuses.
type memory struct {
	c      minercache.Cache[minerState] // by host, then RPC address
	webOff drivers.PortOff              // by host, then RPC address
}

type minerState struct {
	rpcUp      bool
	identityAt time.Time
	mac, host  string
	serial     string
	// webStatsAdds: stats.cgi carried values 4028 stats lacks (the wall
	// power of hydro units), so it is asked every gather.
	webStatsAdds bool
}

func newMemory() *memory { return &memory{} }

// hostOf is the miner of an address, which the cache forgets by.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func (m *memory) forget(host string) {
	if m != nil {
		m.c.Forget(host)
		m.webOff.Forget(host)
	}
}

// plan tells which web pages to ask of the miner at addr now (nil: none).
func (m *memory) plan(addr string, now time.Time) []string {
	if m == nil {
		return WebEndpoints
	}
	st, ok := m.c.Get(hostOf(addr), addr)
	switch {
	case !ok:
		return WebEndpoints
	case m.webOff.Off(hostOf(addr), addr, now):
		if !st.rpcUp {
			return WebEndpoints // the only API left: keep asking
		}
		return nil
	case !st.rpcUp:
		return WebEndpoints
	}
	pages := slices.Clone(webPagesEveryGather)
	if st.webStatsAdds {
		pages = append(pages, "stats")
	}
	if now.Sub(st.identityAt) > identityTTL || st.mac == "" {
		pages = append([]string{"get_system_info"}, pages...)
	}
	return pages
}

// learnWebStats records whether stats.cgi, when it answered, added values
// to what 4028 gave.
func (m *memory) learnWebStats(addr string, w *httpapi.Replies, adds bool) {
	if m == nil || w == nil {
		return
	}
	if _, err := w.Reply("stats"); err != nil {
		return // not asked, or failed: what was learnt before stands
	}
	m.c.Update(hostOf(addr), addr, func(st *minerState) { st.webStatsAdds = adds })
}

// learn records this gather's outcome and fills identity fields the web
// was not asked for from what it said before.
func (m *memory) learn(addr string, now time.Time, rpcErr error, w *httpapi.Replies, d *drivers.MinerData) {
	if m == nil {
		return
	}
	// Refused alone or not: while 4028 is down too, plan asks the web anyway.
	if w != nil && drivers.RefusedAlone(true, w.Answered(), w.Err()) {
		m.webOff.Refused(hostOf(addr), addr, now)
	}
	m.c.Update(hostOf(addr), addr, func(st *minerState) { st.learn(now, rpcErr, w, d) })
}

func (st *minerState) learn(now time.Time, rpcErr error, w *httpapi.Replies, d *drivers.MinerData) {
	st.rpcUp = rpcErr == nil
	if w != nil && d != nil {
		if _, err := w.Reply("get_system_info"); err == nil {
			st.identityAt, st.mac, st.host, st.serial = now, d.MAC, d.Hostname, d.SerialNumber
			return
		}
	}
	if d != nil {
		if d.MAC == "" {
			d.MAC = st.mac
		}
		if d.Hostname == "" {
			d.Hostname = st.host
		}
		if d.SerialNumber == "" {
			d.SerialNumber = st.serial
		}
	}
}
