// Package replies is the one reply set of every transport: the decoded
// answer, or the error, of each command or endpoint asked of a miner in one
// gather, kept in the order they were asked so that everything derived
// from them (the error that classifies the miner, its text, the order of
// Problems) is the same from one gather to the next.
package replies

import (
	"errors"
	"fmt"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// ErrNotRequested is returned by Reply for a name that was not asked.
var ErrNotRequested = errors.New("not requested")

// Set holds one outcome per name. The zero value is ready to use; methods
// that only read are safe on a nil *Set. It is not safe for concurrent
// writes: callers collecting from goroutines hold their own lock.
type Set struct {
	names []string // in the order first recorded
	objs  map[string]jsonval.Obj
	errs  map[string]error
}

// New returns an empty set.
func New() *Set { return &Set{} }

// Set records name's outcome, replacing an earlier one: obj when err is
// nil, err otherwise.
func (s *Set) Set(name string, obj jsonval.Obj, err error) {
	if s.objs == nil {
		s.objs = map[string]jsonval.Obj{}
		s.errs = map[string]error{}
	}
	_, had := s.objs[name]
	if _, failed := s.errs[name]; !had && !failed {
		s.names = append(s.names, name)
	}
	if err != nil {
		s.errs[name] = err
		delete(s.objs, name)
		return
	}
	s.objs[name] = obj
	delete(s.errs, name)
}

// Reply returns the reply to name, or why there is none.
func (s *Set) Reply(name string) (jsonval.Obj, error) {
	if s != nil {
		if o, ok := s.objs[name]; ok {
			return o, nil
		}
		if err, ok := s.errs[name]; ok {
			return jsonval.Obj{}, err
		}
	}
	return jsonval.Obj{}, &drivers.CommandError{Command: name, Err: ErrNotRequested}
}

// Get returns the reply to name; ok is false when it failed or was not
// asked.
func (s *Set) Get(name string) (obj jsonval.Obj, ok bool) {
	if s == nil {
		return jsonval.Obj{}, false
	}
	obj, ok = s.objs[name]
	return obj, ok
}

// Answered tells whether any name has a reply.
func (s *Set) Answered() bool { return s != nil && len(s.objs) > 0 }

// Names are the names recorded, in the order first recorded.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.names...)
}

// Failed are the names whose outcome is an error, in the order recorded.
func (s *Set) Failed() []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, n := range s.names {
		if _, ok := s.errs[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Err is nil when any name answered: a miner that rejects some commands is
// not down. Otherwise it is one of the errors, always the same for the same
// outcomes, however they were recorded (goroutines record in any order):
// the most telling class first (auth, unsupported, timeout, refused, bad
// response, as drivers.Result ranks them), then the first name in sorted
// order. An empty set is a bad response ("nothing asked").
func (s *Set) Err() error {
	if s.Answered() {
		return nil
	}
	var best error
	bestRank, bestName := len(rank), ""
	for _, n := range s.Failed() {
		e := s.errs[n]
		if r := rankOf(e); r < bestRank || (r == bestRank && n < bestName) {
			best, bestRank, bestName = e, r, n
		}
	}
	if best == nil {
		return fmt.Errorf("%w: nothing asked", drivers.ErrBadResponse)
	}
	return best
}

var rank = []string{drivers.ResultAuthFailed, drivers.ResultUnsupported, drivers.ResultTimeout,
	drivers.ResultConnectionRefused, drivers.ResultBadResponse}

func rankOf(err error) int {
	r := drivers.Result(err)
	for i, x := range rank {
		if x == r {
			return i
		}
	}
	return len(rank) - 1
}

// Copy records from's outcome of each of names (not asked there: not
// requested).
func (s *Set) Copy(from *Set, names ...string) {
	for _, n := range names {
		obj, err := from.Reply(n)
		s.Set(n, obj, err)
	}
}

// Fill completes s from a later set (a fallback command): a reply in from
// replaces a failure or absence in s; an error in from is recorded only
// for a name s lacks altogether.
func (s *Set) Fill(from *Set) {
	if from == nil {
		return
	}
	for _, n := range from.names {
		if _, ok := s.Get(n); ok {
			continue
		}
		if o, ok := from.objs[n]; ok {
			s.Set(n, o, nil)
			continue
		}
		if _, failed := s.errs[n]; !failed {
			s.Set(n, jsonval.Obj{}, from.errs[n])
		}
	}
}
