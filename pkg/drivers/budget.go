package drivers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// ReplyFloor is what a reply may hold without asking the budget: every
// reply reads into a buffer of at most this size first (the cgminer client
// starts at 4 KiB and moves up to it). Most real replies are
// smaller (an S19 Pro's joined reply is 5 KiB; the largest captured, a
// cgminer 4.9 stats, is 66 KiB), so only the few large ones and hostile
// streams touch the shared budget; the floor's own cost is bounded by the
// number of replies being read, not by what miners send.
const ReplyFloor = 16 << 10

// ErrReplyBudget marks a reply cut by the shared budget (always together
// with ErrBadResponse, which classifies it).
var ErrReplyBudget = errors.New("over the reply budget")

// DefaultReplyBudget is the plugin's budget: reply buffers are then bounded
// by 16 KiB per reply being read (a miner in flight reads one to five at
// once) plus 64 MiB, whatever the miners send, and 16 replies of the 4 MiB
// per-reply maximum can still be read at once.
const DefaultReplyBudget = 64 << 20

// Budget bounds the bytes held by reply buffers beyond ReplyFloor, summed
// over every reply being read under it (one gather, or one process). A
// reply that cannot grow within it is a bad response. When the budget is
// full, the largest holder bigger than the asker is evicted (its read is
// failed at once) rather than the asker: an endless stream from one miner
// then costs that miner its reply, not a good miner with a large one. A nil
// *Budget imposes no shared bound (each transport's per-reply limit still
// applies).
type Budget struct {
	limit int64

	mu      sync.Mutex
	used    int64
	peak    int64
	holders map[*Share]struct{}
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int64) *Budget {
	return &Budget{limit: limit, holders: map[*Share]struct{}{}}
}

// Limit is the budget's size in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// Used is the bytes held now (tests, diagnostics).
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Peak is the most bytes held at once so far (tests, diagnostics).
func (b *Budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

type budgetKey struct{}

// WithBudget returns ctx carrying b: every transport reading a reply under
// ctx charges its growth to b.
func WithBudget(ctx context.Context, b *Budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// BudgetFrom returns the budget ctx carries, or nil.
func BudgetFrom(ctx context.Context) *Budget {
	b, _ := ctx.Value(budgetKey{}).(*Budget)
	return b
}

// Share is one reply's part of a Budget. Its methods are safe on a nil
// *Share (no budget: every Grow succeeds).
type Share struct {
	b       *Budget
	size    int64
	evicted bool
	denied  bool
	evict   func()
}

// Share opens a share for one reply. evict is called (once, without locks
// held) when a larger reader needs the room: it must make the reply's read
// fail promptly, e.g. by closing the connection or cancelling the request.
// On a nil Budget it returns nil.
func (b *Budget) Share(evict func()) *Share {
	if b == nil {
		return nil
	}
	return &Share{b: b, evict: evict}
}

// Grow charges n more bytes to the share. It fails, wrapping
// ErrBadResponse, when the budget cannot make room or the share was
// evicted; the reply must then be abandoned.
func (s *Share) Grow(n int64) error { return s.grow(n, true) }

// TryGrow is Grow for an optional charge (keeping a reused buffer): a
// refusal evicts nobody and is not the share's failure.
func (s *Share) TryGrow(n int64) bool { return s.grow(n, false) == nil }

func (s *Share) grow(n int64, must bool) error {
	if s == nil || n <= 0 {
		return nil
	}
	b := s.b
	var victims []*Share
	b.mu.Lock()
	if s.evicted {
		b.mu.Unlock()
		return s.evictedErr()
	}
	if b.used+n > b.limit && must {
		victims = b.makeRoom(s, n)
	}
	ok := b.used+n <= b.limit
	if must {
		s.denied = !ok
	}
	if ok {
		if s.size == 0 {
			b.holders[s] = struct{}{}
		}
		s.size += n
		b.used += n
		b.peak = max(b.peak, b.used)
	}
	b.mu.Unlock()
	for _, v := range victims {
		if v.evict != nil {
			v.evict()
		}
	}
	if !ok {
		return s.deniedErr()
	}
	return nil
}

// makeRoom evicts holders larger than s would be after growing, largest
// first, until n bytes fit. It evicts nobody when that cannot free enough.
// b.mu is held.
func (b *Budget) makeRoom(s *Share, n int64) []*Share {
	after := s.size + n
	need := b.used + n - b.limit
	var cands []*Share
	var free int64
	for h := range b.holders {
		if h != s && h.size > after {
			cands = append(cands, h)
			free += h.size
		}
	}
	if free < need {
		return nil
	}
	// Largest first: fewest victims, and the biggest are the likeliest
	// to be streams.
	sortShares(cands)
	var victims []*Share
	for _, h := range cands {
		if need <= 0 {
			break
		}
		need -= h.size
		b.used -= h.size
		h.size, h.evicted = 0, true
		delete(b.holders, h)
		victims = append(victims, h)
	}
	return victims
}

func sortShares(s []*Share) {
	// Insertion sort: candidates are few (only replies past the floor).
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].size > s[j-1].size; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Err is why the share's reply must be abandoned: it was evicted by a
// larger reader, or its last Grow was denied. It wraps ErrBadResponse; nil
// while the share is in good standing.
func (s *Share) Err() error {
	if s == nil {
		return nil
	}
	s.b.mu.Lock()
	evicted, denied := s.evicted, s.denied
	s.b.mu.Unlock()
	switch {
	case evicted:
		return s.evictedErr()
	case denied:
		return s.deniedErr()
	}
	return nil
}

func (s *Share) evictedErr() error {
	return fmt.Errorf("%w: %w: evicted by a larger reply (budget %d bytes)", ErrBadResponse, ErrReplyBudget, s.b.limit)
}

func (s *Share) deniedErr() error {
	return fmt.Errorf("%w: %w: no room left (budget %d bytes)", ErrBadResponse, ErrReplyBudget, s.b.limit)
}

// Release returns the share's bytes to the budget. It is idempotent.
func (s *Share) Release() {
	if s == nil {
		return
	}
	b := s.b
	b.mu.Lock()
	if s.size > 0 {
		b.used -= s.size
		s.size = 0
		delete(b.holders, s)
	}
	b.mu.Unlock()
}

// Meter charges the bytes read from connections whose reader holds them
// out of this package's reach (gRPC assembles its messages itself): every
// byte read past ReplyFloor, over all the meter's connections, is charged
// until Release, a conservative bound on what the reader can hold. An
// eviction or denial closes the connections; Err then tells why, since the
// reader's own error (gRPC's "unavailable") would misname it. A nil *Meter
// passes connections through.
type Meter struct {
	share *Share
	mu    sync.Mutex
	conns []net.Conn
	read  int64
}

// Meter opens a meter; on a nil Budget it returns nil.
func (b *Budget) Meter() *Meter {
	if b == nil {
		return nil
	}
	m := &Meter{}
	m.share = b.Share(m.closeAll)
	return m
}

func (m *Meter) closeAll() {
	m.mu.Lock()
	conns := m.conns
	m.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Conn wraps c so its reads are charged to the meter.
func (m *Meter) Conn(c net.Conn) net.Conn {
	if m == nil {
		return c
	}
	m.mu.Lock()
	m.conns = append(m.conns, c)
	m.mu.Unlock()
	return &meteredConn{Conn: c, m: m}
}

// Err is the share's Err: non-nil when the budget cut the connections.
func (m *Meter) Err() error {
	if m == nil {
		return nil
	}
	return m.share.Err()
}

// Release returns the meter's bytes to the budget.
func (m *Meter) Release() {
	if m != nil {
		m.share.Release()
	}
}

type meteredConn struct {
	net.Conn
	m *Meter
}

func (c *meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		m := c.m
		m.mu.Lock()
		before := max(m.read, ReplyFloor)
		m.read += int64(n)
		charge := max(m.read, ReplyFloor) - before
		m.mu.Unlock()
		if gerr := m.share.Grow(charge); gerr != nil {
			m.closeAll()
			return 0, gerr
		}
	}
	return n, err
}
