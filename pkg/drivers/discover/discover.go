// Package discover finds the miners that live in a range of addresses: a
// TCP connect probe on the miner ports, many hosts at once. A probe that
// got no answer is asked again, with a longer wait, because a SYN lost on
// a busy network or host looks the same as an empty address; a refused
// connection is an answer. How many hosts are in flight adapts to the loss
// the retries reveal. Identification of what answered is identify's job.
package discover

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Defaults for a Scanner's zero fields.
const (
	DefaultTimeout     = time.Second
	DefaultRetries     = 2
	DefaultConcurrency = 1000
	minInFlight        = 16
	startInFlight      = 256
)

// Scanner probes hosts for an open miner port.
type Scanner struct {
	Ports []int // tried at once on each host
	// Timeout is the first probe's wait for an answer; each retry waits
	// twice as long as the one before (Linux resends a SYN after 1 s, so a
	// retry also gets the kernel's own second chance).
	Timeout time.Duration
	// Retries is how often a port that did not answer is asked again;
	// 0 means DefaultRetries, a negative value none.
	Retries int
	// Concurrency is the most hosts in flight; the scan starts below it
	// and backs off when retries show probes were lost.
	Concurrency int
	// Dial is used instead of a net.Dialer when set (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Progress, when set, is called about once a second during a scan and
	// once at its end.
	Progress func(p Progress)
	// Found, when set, is called once for each host where a port
	// accepted, as soon as that host's probes are over, while the scan
	// goes on (so that its identification can start at once); refused is
	// what Result.Refused will hold for it, not to be modified. It is
	// called from the probing goroutines, several at a time, and Scan
	// returns only after every call has: it must not block long.
	// A scan cut short by ctx may have called it for hosts it does not
	// return.
	Found func(host string, refused []int)
}

// Progress is how far a scan is.
type Progress struct {
	Probed, Total, Found int
}

// Result is what one scan saw.
type Result struct {
	Found []string // hosts where a port accepted, in input order
	// Refused holds, for each host of Found (same index), the ports that
	// refused a connection during the scan: an identification right after
	// it need not ask them again. A port neither open nor refused was
	// silent, or was not waited for once another port accepted.
	Refused  [][]int
	Probed   int // hosts probed to the end (all of them unless ctx ended)
	Retried  int // probes asked again after no answer
	Duration time.Duration
}

type portState uint8

const (
	portUnknown portState = iota // not answered yet
	portRefused
	portOpen
)

// Scan probes every host and returns those where at least one port
// accepted a connection. A host is empty once every port refused or
// stayed silent through all retries.
func (s *Scanner) Scan(ctx context.Context, hosts []string) Result {
	began := time.Now()
	maxIn := s.Concurrency
	if maxIn <= 0 {
		maxIn = DefaultConcurrency
	}
	p := newPacer(maxIn, s.timeout())
	stop := context.AfterFunc(ctx, p.wake)
	defer stop()

	found := make([]bool, len(hosts))
	refused := make([][]int, len(hosts))
	var probed, nFound, retried atomic.Int64
	progressDone := s.reportProgress(&probed, &nFound, len(hosts))

	var wg sync.WaitGroup
	for i, h := range hosts {
		if p.acquire(ctx) != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, done, n, states := s.probeHost(ctx, h, p)
			retried.Add(int64(n))
			if ok {
				found[i] = true
				refused[i] = s.portsIn(states, portRefused)
				nFound.Add(1)
				if s.Found != nil {
					s.Found(h, refused[i])
				}
			}
			if done {
				probed.Add(1)
			}
		}()
	}
	wg.Wait()
	progressDone()

	res := Result{Probed: int(probed.Load()), Retried: int(retried.Load()), Duration: time.Since(began)}
	res.Found = make([]string, 0, nFound.Load())
	res.Refused = make([][]int, 0, nFound.Load())
	for i, ok := range found {
		if ok {
			res.Found = append(res.Found, hosts[i])
			res.Refused = append(res.Refused, refused[i])
		}
	}
	return res
}

// portsIn lists the ports whose state is st (nil when none).
func (s *Scanner) portsIn(states []portState, st portState) []int {
	var out []int
	for i, v := range states {
		if v == st {
			out = append(out, s.Ports[i])
		}
	}
	return out
}

// Check dials every port of host once, all at the same time, and waits for
// each to accept, refuse or stay silent for wait (or until ctx ends). It is
// what a gather asks of a miner that no identification could read: one
// connection per port, which tells whether anything is there now and
// whether what is there changed. dial nil uses a net.Dialer. open and
// refused are in the order of ports.
func Check(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error),
	host string, ports []int, wait time.Duration) (open, refused []int) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if dial == nil {
		dial = drivers.Dial
	}
	states := make([]portState, len(ports))
	var wg sync.WaitGroup
	for i, port := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			switch {
			case err == nil:
				_ = c.Close()
				states[i] = portOpen
			case errors.Is(err, syscall.ECONNREFUSED):
				states[i] = portRefused
			}
		}()
	}
	wg.Wait()
	for i, st := range states {
		switch st {
		case portOpen:
			open = append(open, ports[i])
		case portRefused:
			refused = append(refused, ports[i])
		}
	}
	return open, refused
}

func (s *Scanner) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Scanner) retries() int {
	switch {
	case s.Retries < 0:
		return 0
	case s.Retries == 0:
		return DefaultRetries
	}
	return s.Retries
}

func (s *Scanner) reportProgress(probed, found *atomic.Int64, total int) func() {
	if s.Progress == nil {
		return func() {}
	}
	t := time.NewTicker(time.Second)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-t.C:
				s.Progress(Progress{Probed: int(probed.Load()), Total: total, Found: int(found.Load())})
			case <-quit:
				return
			}
		}
	}()
	return func() {
		t.Stop()
		close(quit)
		wg.Wait()
		s.Progress(Progress{Probed: int(probed.Load()), Total: total, Found: int(found.Load())})
	}
}

// probeHost runs the attempts of one host. It is called holding a pacer
// slot, which it releases. ok: a port accepted; done: the host was probed
// to the end (not cut by ctx); retried: attempts after the first; states:
// what each port did.
func (s *Scanner) probeHost(ctx context.Context, host string, p *pacer) (ok, done bool, retried int, states []portState) {
	states = make([]portState, len(s.Ports))
	wait := s.timeout()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			// Back off before asking again, jittered so the retries of
			// one burst do not arrive together.
			backoff := time.Duration(attempt) * wait / 4
			backoff += rand.N(backoff + 1)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return false, false, retried, states
			case <-t.C:
			}
			if p.acquire(ctx) != nil {
				return false, false, retried, states
			}
			retried++
		}
		before := append([]portState(nil), states...)
		localTrouble := s.attempt(ctx, host, states, wait<<attempt)
		p.release()
		if ctx.Err() != nil {
			return false, false, retried, states
		}
		lost := localTrouble
		unknown := false
		for i, st := range states {
			if attempt > 0 && before[i] == portUnknown && st != portUnknown {
				lost = true // silent before, answers now: that probe was lost
			}
			if st == portOpen {
				ok = true
			}
			if st == portUnknown {
				unknown = true
			}
		}
		if lost {
			p.loss()
		} else {
			p.grow()
		}
		if ok || !unknown || attempt >= s.retries() {
			return ok, true, retried, states
		}
	}
}

// attempt dials every port still unknown at once, for at most wait, and
// stops at the first that accepts. It reports whether a dial failed for a
// local reason (out of ports, sockets or buffers): the scan is going too
// fast for this box.
func (s *Scanner) attempt(ctx context.Context, host string, states []portState, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	dial := s.Dial
	if dial == nil {
		dial = drivers.Dial
	}
	type answer struct {
		i  int
		st portState
		lt bool
	}
	results := make(chan answer, len(s.Ports))
	n := 0
	for i, port := range s.Ports {
		if states[i] != portUnknown {
			continue
		}
		n++
		go func() {
			c, err := dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			switch {
			case err == nil:
				c.Close()
				results <- answer{i: i, st: portOpen}
			case errors.Is(err, syscall.ECONNREFUSED):
				results <- answer{i: i, st: portRefused}
			default:
				results <- answer{i: i, st: portUnknown, lt: localTrouble(err)}
			}
		}()
	}
	trouble := false
	for range n {
		a := <-results
		if a.st == portOpen && ctx.Err() == nil {
			cancel() // the other ports need not finish
		}
		if a.st != portUnknown || states[a.i] == portUnknown {
			states[a.i] = a.st
		}
		trouble = trouble || a.lt
	}
	return trouble
}

// localTrouble is a dial that failed on this box, not on the wire.
func localTrouble(err error) bool {
	for _, e := range []error{syscall.EADDRNOTAVAIL, syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.EAGAIN} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// pacer bounds the hosts in flight with a limit that grows while probes
// are answered and is cut by a quarter when one turns out to have been
// lost (at most once per probe timeout, so one burst of losses counts
// once): additive increase, multiplicative decrease, as TCP does.
type pacer struct {
	mu       sync.Mutex
	cond     *sync.Cond
	inFlight int
	limit    float64
	ssthresh float64
	max      float64
	lastCut  time.Time
	cutEvery time.Duration
}

func newPacer(max int, cutEvery time.Duration) *pacer {
	p := &pacer{max: float64(max), ssthresh: float64(max), cutEvery: cutEvery}
	p.limit = min(float64(startInFlight), p.max)
	p.cond = sync.NewCond(&p.mu)
	return p
}

// wake lets waiters see a cancelled context.
func (p *pacer) wake() {
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *pacer) acquire(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for float64(p.inFlight) >= p.limit && ctx.Err() == nil {
		p.cond.Wait()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p.inFlight++
	return nil
}

func (p *pacer) release() {
	p.mu.Lock()
	p.inFlight--
	p.cond.Signal()
	p.mu.Unlock()
}

func (p *pacer) grow() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limit < p.ssthresh {
		p.limit++ // doubling per round trip until the first loss
	} else {
		p.limit += 1 / p.limit
	}
	p.limit = min(p.limit, p.max)
	p.cond.Broadcast()
}

func (p *pacer) loss() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.lastCut) < p.cutEvery {
		return
	}
	p.lastCut = now
	p.limit = max(p.limit*3/4, minInFlight)
	p.ssthresh = p.limit
}
