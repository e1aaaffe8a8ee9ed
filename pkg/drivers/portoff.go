package drivers

import (
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
)

// PortOffTTL is how long a refused port stays off: a port opened later
// (a web UI switched back on) is read within it.
const PortOffTTL = 10 * time.Minute

// PortOff remembers, per miner, a port that refused a connection while
// the miner's other API answered (a web UI switched off), so gathers do
// not dial it for PortOffTTL. The zero value is ready to use.
type PortOff struct {
	c minercache.Cache[time.Time] // by host, then the port's address
}

// Refused records that addr of host refused a connection at now.
func (p *PortOff) Refused(host, addr string, now time.Time) { p.c.Put(host, addr, now) }

// Off tells whether addr of host refused within PortOffTTL of now.
func (p *PortOff) Off(host, addr string, now time.Time) bool {
	at, ok := p.c.Get(host, addr)
	return ok && now.Sub(at) < PortOffTTL
}

// On forgets a refusal of addr: the next gather dials it again.
func (p *PortOff) On(host, addr string) { p.c.Delete(host, addr) }

// Forget drops what is kept for host.
func (p *PortOff) Forget(host string) { p.c.Forget(host) }
