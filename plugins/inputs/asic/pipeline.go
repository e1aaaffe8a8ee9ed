package asic

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
)

// Pipelined identification: when the plugin runs as a service with driver
// "auto", a miner a scan finds that has no driver yet is identified in the
// background as soon as the scan finds it, while the scan goes on. The
// first gather after the scan then finds its identification done (or
// waits for it, see driverFor) instead of identifying it itself: one round
// trip per miner, not two, in that gather.

// pendingMaxAge is how long a background identification's result may be
// used; an older one is dropped and the miner identified as usual.
const pendingMaxAge = 3 * time.Minute

// pendingState is where a background identification is.
type pendingState uint8

const (
	pendingQueued  pendingState = iota // waiting for a slot
	pendingRunning                     // identifying; done closes when it ends
	pendingDone                        // result set
	pendingDropped                     // taken off the map before it ran: never runs
)

// pendingID is one miner's background identification.
type pendingID struct {
	t       drivers.Target
	refused []int
	state   pendingState  // under pipeline.mu
	done    chan struct{} // closed when state becomes pendingDone
	// Set before done closes.
	r    identify.Result
	seen identify.Seen
	err  error
	at   time.Time // when it ended (a.now())
	cut  bool      // cut by Stop: says nothing about the miner
}

// pipeline holds the background identifications: a queue served by at
// most Concurrency workers, which end when it is empty.
type pipeline struct {
	ctx     context.Context // ends with Stop
	pending map[string]*pendingID
	queue   []*pendingID
	workers int
}

// startPipeline is called by Start, with the context Stop cancels.
func (a *Asic) startPipeline(ctx context.Context) {
	if a.fixed != nil {
		return
	}
	a.pipeMu.Lock()
	a.pipe = &pipeline{ctx: ctx, pending: map[string]*pendingID{}}
	a.pipeMu.Unlock()
}

// foundFunc is the scan's discover.Scanner.Found: nil unless the plugin
// runs as a service with driver "auto" (and credentials can be had; if
// not, the gather says why).
func (a *Asic) foundFunc() func(host string, refused []int) {
	a.pipeMu.Lock()
	on := a.pipe != nil
	a.pipeMu.Unlock()
	if !on {
		return nil
	}
	user, pass, err := a.credentials()
	if err != nil {
		return nil
	}
	return func(host string, refused []int) {
		k, ok := a.known[host]
		if !ok || k.t.listed {
			return
		}
		if !a.inv.needsFirstID(k.t.key()) {
			return
		}
		a.enqueueID(k.t.key(), a.minerTarget(k.t, user, pass), refused)
	}
}

// enqueueID queues key's identification unless one is pending, and starts
// a worker if fewer than Concurrency run. It never blocks on the network.
func (a *Asic) enqueueID(key string, t drivers.Target, refused []int) {
	a.pipeMu.Lock()
	defer a.pipeMu.Unlock()
	p := a.pipe
	if p == nil || p.ctx.Err() != nil {
		return
	}
	if _, ok := p.pending[key]; ok {
		return
	}
	pid := &pendingID{t: t, refused: refused, done: make(chan struct{})}
	p.pending[key] = pid
	p.queue = append(p.queue, pid)
	if p.workers < a.Concurrency {
		p.workers++
		a.pipeWG.Add(1)
		go a.idWorker(p)
	}
}

// idWorker runs queued identifications until the queue is empty.
func (a *Asic) idWorker(p *pipeline) {
	defer a.pipeWG.Done()
	for {
		a.pipeMu.Lock()
		if len(p.queue) == 0 {
			p.workers--
			p.queue = nil // let the backing array go
			a.pipeMu.Unlock()
			return
		}
		pid := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		if pid.state != pendingQueued {
			a.pipeMu.Unlock()
			continue
		}
		pid.state = pendingRunning
		a.pipeMu.Unlock()
		a.runPending(p.ctx, pid)
	}
}

// runPending identifies one miner as driverFor would, under the miner's
// timeout, and publishes the result.
func (a *Asic) runPending(ctx context.Context, pid *pendingID) {
	ctx, cancel := context.WithTimeout(drivers.WithBudget(ctx, a.budget), time.Duration(a.Timeout))
	defer cancel()
	if ctx.Err() == nil {
		pid.r, pid.seen, pid.err = a.identify(ctx, pid.t, identify.Known{Refused: pid.refused})
	}
	// A cut by Stop (not by the miner's own deadline) says nothing about
	// the miner, nor does a dial that failed for want of sockets on this
	// box (the scan may hold many): the gather identifies it itself.
	pid.cut = ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) ||
		errors.Is(pid.err, syscall.EMFILE) || errors.Is(pid.err, syscall.ENFILE)
	pid.at = a.now()
	a.pipeMu.Lock()
	pid.state = pendingDone
	a.pipeMu.Unlock()
	close(pid.done)
}

// takePending is key's background identification, taken off the map, or
// nil. One not started yet is dropped (the gather identifies the miner
// itself rather than wait for a slot); so is one older than pendingMaxAge.
func (a *Asic) takePending(key string) *pendingID {
	a.pipeMu.Lock()
	defer a.pipeMu.Unlock()
	if a.pipe == nil {
		return nil
	}
	pid, ok := a.pipe.pending[key]
	if !ok {
		return nil
	}
	delete(a.pipe.pending, key)
	switch pid.state {
	case pendingQueued:
		pid.state = pendingDropped
		return nil
	case pendingDone:
		if pid.cut || a.now().Sub(pid.at) > pendingMaxAge {
			return nil
		}
	}
	return pid
}

// awaitPending waits for a running background identification under the
// gather's ctx. When ctx ends first, the error is the timeout the
// identification would have given.
func awaitPending(ctx context.Context, host string, pid *pendingID) (identify.Result, identify.Seen, error) {
	select {
	case <-pid.done:
		return pid.r, pid.seen, pid.err
	case <-ctx.Done():
		return identify.Result{}, identify.Seen{Incomplete: true},
			fmt.Errorf("identify %s: %w: not done within the deadline: %w", host, drivers.ErrTimeout, ctx.Err())
	}
}

// dropPending forgets key's background identification, if any.
func (a *Asic) dropPending(key string) {
	a.pipeMu.Lock()
	defer a.pipeMu.Unlock()
	if a.pipe == nil {
		return
	}
	if pid, ok := a.pipe.pending[key]; ok {
		delete(a.pipe.pending, key)
		if pid.state == pendingQueued {
			pid.state = pendingDropped
		}
	}
}

// prunePending drops results older than pendingMaxAge: those of miners no
// gather asked for (identified meanwhile, or gone).
func (a *Asic) prunePending(now time.Time) {
	a.pipeMu.Lock()
	defer a.pipeMu.Unlock()
	if a.pipe == nil {
		return
	}
	for k, pid := range a.pipe.pending {
		if pid.state == pendingDone && now.Sub(pid.at) > pendingMaxAge {
			delete(a.pipe.pending, k)
		}
	}
}

// stopPipeline ends the background identifications and waits for them;
// called by Stop after the scanner has ended (nothing queues any more).
func (a *Asic) stopPipeline() {
	a.pipeWG.Wait()
	a.pipeMu.Lock()
	a.pipe = nil
	a.pipeMu.Unlock()
}
