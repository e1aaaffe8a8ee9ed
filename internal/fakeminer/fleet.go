package fakeminer

import (
	"context"
	"net"
	"net/netip"
	"sync"
)

// Fleet serves many simulated miners on one port through a single
// listener: a miner is told apart by the loopback address the client
// dialled (127.x.y.z). One socket instead of one per miner is what lets a
// 50,000-miner fleet fit in a process's open-file limit.
//
// The listener is bound to the wildcard address because Linux cannot bind
// a socket to a whole subnet; connections from anything but loopback are
// closed unanswered.
type Fleet struct {
	mu     sync.RWMutex
	miners map[netip.Addr]*Miner
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewFleet returns an empty fleet.
func NewFleet() *Fleet {
	return &Fleet{miners: map[netip.Addr]*Miner{}}
}

// Add places m at addr (a 127.0.0.0/8 address).
func (f *Fleet) Add(addr netip.Addr, m *Miner) {
	f.mu.Lock()
	f.miners[addr] = m
	f.mu.Unlock()
}

// Start listens on port for every miner of the fleet.
func (f *Fleet) Start(port string) error {
	ln, err := net.Listen("tcp4", net.JoinHostPort("0.0.0.0", port))
	if err != nil {
		return err
	}
	f.ln = ln
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.wg.Add(1)
	go f.serve()
	return nil
}

// Close stops the fleet and every connection.
func (f *Fleet) Close() {
	f.cancel()
	f.ln.Close()
	f.wg.Wait()
}

func (f *Fleet) serve() {
	defer f.wg.Done()
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		local, _ := netip.ParseAddrPort(conn.LocalAddr().String())
		remote, _ := netip.ParseAddrPort(conn.RemoteAddr().String())
		f.mu.RLock()
		m := f.miners[local.Addr().Unmap()]
		f.mu.RUnlock()
		if m == nil || !remote.Addr().Unmap().IsLoopback() {
			conn.Close()
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			m.serveConn(f.ctx, conn)
		}()
	}
}
