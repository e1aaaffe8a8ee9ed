package antminer

import (
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// How long what the web API told about a miner stands before it is asked
// again. MAC, hostname and serial number do not change between gathers;
// a web UI that refused stays off until someone turns it on.
const (
	identityTTL = 10 * time.Minute
	webOffTTL   = 10 * time.Minute
	maxMemory   = 1 << 20 // miners remembered; past it, nothing is cached
)

// webPagesEveryGather are the pages whose values change between gathers
// when the 4028 API answers too (it carries stats and pools itself).
var webPagesEveryGather = []string{"summary", "get_blink_status", "get_miner_conf"}

// memory keeps, per miner, what saves round trips: the web identity and
// whether the web UI is switched off. Each gather of a 100,000-miner farm
// then asks 4 web pages of a miner instead of 7, and none of a miner whose
// UI refuses.
type memory struct {
	mu sync.Mutex
	m  map[string]*minerState
}

type minerState struct {
	webOffUntil time.Time
	rpcUp       bool
	identityAt  time.Time
	mac, host   string
	serial      string
}

func newMemory() *memory { return &memory{m: map[string]*minerState{}} }

// plan tells which web pages to ask of the miner at addr now (nil: none).
func (m *memory) plan(addr string, now time.Time) []string {
	if m == nil {
		return WebEndpoints
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.m[addr]
	switch {
	case st == nil:
		return WebEndpoints
	case now.Before(st.webOffUntil):
		if !st.rpcUp {
			return WebEndpoints // the only API left: keep asking
		}
		return nil
	case !st.rpcUp:
		return WebEndpoints
	}
	pages := webPagesEveryGather
	if now.Sub(st.identityAt) > identityTTL || st.mac == "" {
		pages = append([]string{"get_system_info"}, pages...)
	}
	return pages
}

// learn records this gather's outcome and fills identity fields the web
// was not asked for from what it said before.
func (m *memory) learn(addr string, now time.Time, rpcErr error, w *httpapi.Replies, d *drivers.MinerData) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.m[addr]
	if st == nil {
		if len(m.m) >= maxMemory {
			return
		}
		st = &minerState{}
		m.m[addr] = st
	}
	st.rpcUp = rpcErr == nil
	if w != nil && !w.Answered() && drivers.Result(w.Err()) == drivers.ResultConnectionRefused {
		st.webOffUntil = now.Add(webOffTTL)
	}
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
