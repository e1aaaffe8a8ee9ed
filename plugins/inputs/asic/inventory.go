package asic

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// The inventory is every miner a gather polls: each listed miner, and
// each address of a CIDR block or range that a scan ever found, until it
// has not answered for forget_after. Every miner of it gets exactly one
// asic_status per gather.
type inventory struct {
	mu      sync.Mutex
	m       map[string]*entry
	version uint64 // bumped on every change: what a state file needs writing for
	// forgotten counts miners dropped since the last asic_discovery point.
	forgotten int
}

type entry struct {
	t          target
	order      int       // position in the expanded miners list
	driver     string    // identified driver; "" until identified
	identified time.Time // when driver was identified
	lastAnswer time.Time // zero: never answered
	// provisional counts identifications in a row that ended in a guess
	// with a probe cut short (identify.Seen): the driver is used, but the
	// miner is identified again on the next gathers, up to
	// maxProvisional times, since the cut probe may have been the one
	// that tells the family (Vnish from stock Bitmain) apart.
	provisional int
	idPolicy
}

// maxProvisional is how many gathers in a row identify again a miner whose
// identification was a guess cut short; after that the guess stands until
// identify_interval (a box too busy to finish identification should not
// pay for it on every gather).
const maxProvisional = 3

// idPolicy is what the plugin remembers of a miner's failed
// identifications, so that a miner no family reads is not identified again
// on every gather (see driverFor).
type idPolicy struct {
	idFails  int       // identifications in a row that failed
	failedAt time.Time // when the last one failed
	nextID   time.Time // the next identification after a failure, unless the miner's open ports change
	open     []int     // ports that accepted during the last failed identification
	idErr    error     // its error
	// incomplete: a probe of it timed out, so its verdict may only mean
	// a slow miner
	incomplete bool
	// scanRefused are the ports the scan that found the miner saw refuse,
	// for its first identification only.
	scanRefused []int
}

// snapshot is an entry as a gather sees it, copied out of the lock.
type snapshot struct {
	t           target
	driver      string
	identified  time.Time
	provisional int
	idPolicy
}

func newInventory() *inventory { return &inventory{m: map[string]*entry{}} }

// known is a target of this block (and shard) with its place in the list.
type known struct {
	t     target
	order int
}

// key is how a miner is named in the inventory, the state and the source tag.
func (t target) key() string {
	if t.rpcPort != 0 {
		return net.JoinHostPort(t.host, strconv.Itoa(t.rpcPort))
	}
	return t.host
}

// shardOf is the shard an address belongs to: FNV-1a of the address, so
// every agent with the same config agrees without talking to the others.
func shardOf(key string, count int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(count))
}

// add puts a miner in the inventory (a listed one, or one a scan found).
// It reports whether it was new.
func (inv *inventory) add(t target, order int, answered time.Time) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	k := t.key()
	if e, ok := inv.m[k]; ok {
		if answered.After(e.lastAnswer) {
			e.lastAnswer = answered
			inv.version++
		}
		return false
	}
	inv.m[k] = &entry{t: t, order: order, lastAnswer: answered}
	inv.version++
	return true
}

func (inv *inventory) has(key string) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	_, ok := inv.m[key]
	return ok
}

// list is what a gather polls, in the order of the miners list.
func (inv *inventory) list() []snapshot {
	inv.mu.Lock()
	es := make([]*entry, 0, len(inv.m))
	for _, e := range inv.m {
		es = append(es, e)
	}
	out := make([]snapshot, len(es))
	slices.SortFunc(es, func(a, b *entry) int { return cmp.Compare(a.order, b.order) })
	for i, e := range es {
		out[i] = snapshot{t: e.t, driver: e.driver, identified: e.identified, provisional: e.provisional, idPolicy: e.idPolicy}
	}
	inv.mu.Unlock()
	return out
}

// expire drops the found miners that have not answered for forgetAfter and
// returns their keys. Listed miners are never dropped.
func (inv *inventory) expire(now time.Time, forgetAfter time.Duration) []string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var gone []string
	for k, e := range inv.m {
		if !e.t.listed && now.Sub(e.lastAnswer) >= forgetAfter {
			delete(inv.m, k)
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		inv.forgotten += len(gone)
		inv.version++
	}
	return gone
}

// takeForgotten returns and resets the count of miners forgotten since the
// last call (one asic_discovery point to the next).
func (inv *inventory) takeForgotten() int {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	n := inv.forgotten
	inv.forgotten = 0
	return n
}

// setRefused keeps the ports a scan saw refuse on a miner not identified
// yet, for its first identification.
func (inv *inventory) setRefused(key string, ports []int) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if e, ok := inv.m[key]; ok && e.driver == "" && e.idFails == 0 {
		e.scanRefused = ports
	}
}

// needsFirstID is whether the miner at key is one whose next gather would
// identify it as never identified (with the scan's refusals): not in the
// inventory yet, or in it with no driver and no failed identification (a
// failed one follows driverFor's check and backoff instead).
func (inv *inventory) needsFirstID(key string) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	e, ok := inv.m[key]
	return !ok || e.driver == "" && e.idFails == 0
}

// outcome is what one gather learnt about a miner's identification.
type outcome struct {
	driver     string    // the driver that read (or tried to read) it; "" when none
	identified time.Time // when that driver was identified
	idRan      bool      // an identification ran in this gather
	idErr      error     // its error, when it failed
	open       []int     // ports that accepted during it
	incomplete bool      // a probe of it timed out
	guess      bool      // it succeeded with a guess cut short (provisional)
	recheck    bool      // it ran because the driver was provisional
}

// record keeps what one gather of a miner learned: when it last answered
// (anything but a timeout or a refusal is an answer) and its
// identification, by the rules of driverFor: a driver that timed out or
// was refused stays; one that got an answer it cannot read is dropped, so
// the next gather identifies the miner again; a failed identification is
// retried after a backoff that doubles up to identify_interval.
func (inv *inventory) record(key string, o outcome, err error, now time.Time, interval time.Duration) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	e, ok := inv.m[key]
	if !ok {
		return // forgotten meanwhile
	}
	if answered(err) {
		e.lastAnswer = now
		inv.version++
	}
	if o.idRan || o.driver != "" {
		e.scanRefused = nil // used (or not needed) once
	}
	drop := func() {
		if e.driver != "" {
			e.driver, e.identified = "", time.Time{}
			inv.version++
		}
	}
	failed := func(idErr error) {
		e.idFails++
		e.failedAt = now
		e.nextID = now.Add(idBackoff(e.idFails, interval))
		e.open, e.idErr, e.incomplete = o.open, idErr, o.incomplete
	}
	switch {
	case o.idRan && o.idErr == nil && o.guess:
		if o.recheck {
			e.provisional++
		} else {
			e.provisional = 1
		}
	case o.idRan && o.idErr == nil:
		e.provisional = 0
	case o.recheck:
		e.provisional++ // a recheck that failed counts too
	}
	switch {
	case o.idRan && o.idErr != nil:
		failed(o.idErr)
		if !nothingAnswered(o.idErr) {
			drop() // something answers that no family reads
		}
	case o.idRan && unreadable(err):
		// Identified just now, and its own driver cannot read it: as if no
		// family had claimed it, or every gather would identify it again.
		failed(err)
		drop()
	case o.idRan:
		e.idPolicy = idPolicy{}
		if o.driver != e.driver || !o.identified.Equal(e.identified) {
			e.driver, e.identified = o.driver, o.identified
			inv.version++
		}
	case o.driver != "" && unreadable(err):
		// Its driver got an answer it cannot read: new firmware, or
		// something else at the address. Identify it on the next gather.
		e.idPolicy = idPolicy{}
		drop()
	}
}

// idBackoffBase is the wait before the first identification after a failed
// one; it doubles with each failure in a row, up to identify_interval.
const idBackoffBase = time.Minute

func idBackoff(fails int, interval time.Duration) time.Duration {
	if interval <= 0 {
		interval = defaultIdentifyInterval
	}
	d := idBackoffBase
	for i := 1; i < fails && d < interval; i++ {
		d *= 2
	}
	return min(d, interval)
}

// nothingAnswered is a failure where no port answered at all.
func nothingAnswered(err error) bool {
	return !answered(err)
}

// unreadable is an answer a driver cannot read: something is there, but
// not what the driver expects. A reply cut by the gather's shared reply
// budget says nothing about the firmware (a good miner's large reply is
// cut when the budget is full), so it is not.
func unreadable(err error) bool {
	if errors.Is(err, drivers.ErrReplyBudget) {
		return false
	}
	switch drivers.Result(err) {
	case drivers.ResultBadResponse, drivers.ResultUnsupported:
		return true
	}
	return false
}

// answered is whether a gather's outcome shows something alive at the
// address: only a timeout or a refused connection does not.
func answered(err error) bool {
	switch drivers.Result(err) {
	case drivers.ResultTimeout, drivers.ResultConnectionRefused:
		return false
	}
	return true
}

// State is the inventory as persisted: through Telegraf's statefile inside
// Telegraf (GetState/SetState), through --statefile in asic-execd.
type State struct {
	Version int          `json:"version"`
	Miners  []MinerState `json:"miners"`
}

// MinerState is one miner of the inventory.
type MinerState struct {
	Address      string    `json:"address"`
	Driver       string    `json:"driver,omitempty"`
	IdentifiedAt time.Time `json:"identified_at,omitzero"`
	LastAnswer   time.Time `json:"last_answer,omitzero"`
}

const stateVersion = 1

// errStateVersion is a state written by an incompatible version.
var errStateVersion = errors.New("unknown state version")

// GetState implements telegraf.StatefulPlugin: the inventory, for Telegraf
// to keep in its statefile.
func (a *Asic) GetState() interface{} {
	return a.State()
}

// State is the inventory now.
func (a *Asic) State() State {
	inv := a.inv
	s := State{Version: stateVersion, Miners: []MinerState{}}
	if inv == nil {
		return s
	}
	inv.mu.Lock()
	es := make([]*entry, 0, len(inv.m))
	for _, e := range inv.m {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *entry) int { return cmp.Compare(a.order, b.order) })
	for _, e := range es {
		s.Miners = append(s.Miners, MinerState{Address: e.t.key(), Driver: e.driver, IdentifiedAt: e.identified, LastAnswer: e.lastAnswer})
	}
	inv.mu.Unlock()
	return s
}

// SetState implements telegraf.StatefulPlugin: Telegraf calls it once
// after Init with what GetState returned before the restart. A state this
// version cannot read is a warning and a fresh start, never a failed
// Telegraf start (an error here would stop the agent).
func (a *Asic) SetState(state interface{}) error {
	var s State
	switch v := state.(type) {
	case State:
		s = v
	case *State:
		if v != nil {
			s = *v
		}
	default:
		a.warnf("state from Telegraf's statefile is of type %T, not an asic inventory: starting with an empty inventory", state)
		return nil
	}
	dropped, err := a.Restore(s)
	if err != nil {
		a.warnf("state from Telegraf's statefile: %v: starting with an empty inventory", err)
		return nil
	}
	for _, addr := range dropped {
		a.debugf("state: %s is not among this block's miners any more: dropped", addr)
	}
	return nil
}

// StateVersion changes whenever the inventory does: asic-execd writes its
// state file when it moved.
func (a *Asic) StateVersion() uint64 {
	if a.inv == nil {
		return 0
	}
	a.inv.mu.Lock()
	defer a.inv.mu.Unlock()
	return a.inv.version
}

// Restore loads a saved inventory after Init. Miners whose address this
// block (this shard of it) no longer has are returned, not loaded; so are
// found miners already past forget_after. A state of another version is
// an error and loads nothing.
func (a *Asic) Restore(s State) (dropped []string, err error) {
	if s.Version != stateVersion {
		return nil, fmt.Errorf("%w %d (this version reads %d)", errStateVersion, s.Version, stateVersion)
	}
	now := time.Now()
	for _, m := range s.Miners {
		k, ok := a.known[m.Address]
		if !ok {
			dropped = append(dropped, m.Address)
			continue
		}
		if !k.t.listed && now.Sub(m.LastAnswer) >= time.Duration(a.ForgetAfter) {
			continue // would be forgotten at once
		}
		a.inv.add(k.t, k.order, m.LastAnswer)
		if m.Driver != "" && a.fixed == nil {
			if _, err := drivers.New(m.Driver); err == nil {
				a.inv.mu.Lock()
				e := a.inv.m[m.Address]
				e.driver, e.identified = m.Driver, m.IdentifiedAt
				a.inv.mu.Unlock()
			}
		}
	}
	return dropped, nil
}
