package drivers

import (
	"fmt"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
)

// PortOffTTL is how long a refused port stays off: a port opened later
// (a web UI switched back on) is read within it.
const PortOffTTL = 10 * time.Minute

// PortOff remembers, per miner, a port that refused a connection while
// the miner's other API answered (a web UI switched off), so gathers do
// not dial it for PortOffTTL. The zero value is ready to use; a nil
// *PortOff keeps nothing.
type PortOff struct {
	c minercache.Cache[time.Time] // by host, then the port's address
}

// RefusedAlone tells an API that refused a connection while the miner's
// other API answered: what Refused is for.
func RefusedAlone(otherAnswered, answered bool, err error) bool {
	return otherAnswered && !answered && Result(err) == ResultConnectionRefused
}

// Refused records that addr of host refused a connection at now.
func (p *PortOff) Refused(host, addr string, now time.Time) {
	if p != nil {
		p.c.Put(host, addr, now)
	}
}

// Off tells whether addr of host refused within PortOffTTL of now.
func (p *PortOff) Off(host, addr string, now time.Time) bool {
	if p == nil {
		return false
	}
	at, ok := p.c.Get(host, addr)
	return ok && now.Sub(at) < PortOffTTL
}

// OtherFailed is the error of a gather that left addr out while it was
// off and whose other API failed, err: addr is dialled again next gather,
// since the miner may have changed altogether.
func (p *PortOff) OtherFailed(host, addr string, err error) error {
	p.On(host, addr)
	return fmt.Errorf("%w (web API: refused within %v, not asked)", err, PortOffTTL)
}

// On forgets a refusal of addr: the next gather dials it again.
func (p *PortOff) On(host, addr string) {
	if p != nil {
		p.c.Delete(host, addr)
	}
}

// Forget drops what is kept for host.
func (p *PortOff) Forget(host string) {
	if p != nil {
		p.c.Forget(host)
	}
}
