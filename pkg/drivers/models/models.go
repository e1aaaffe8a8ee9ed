// Package models is the table of known miner models (boards, chips per
// board, fans, algorithm per make and model) and the canonical spelling of
// model names, so that every driver's spelling of a model meets the table.
//
// The table is generated from models.csv (derived from pyasic's model
// definitions, see README.md) by "go run ./gen". Drivers size boards and fans
// from what the miner reports, never from this table: the table only adds
// expectations (expected boards, chips, fans) for models it knows, so a
// missing board or a dead fan shows. An unknown model is monitored fully and
// left untouched.
package models

//go:generate go run ./gen

import (
	"sync"
	"sync/atomic"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Spec is one model of the table.
type Spec struct {
	Make          string // our make tag: Antminer, Whatsminer, AvalonMiner, ...
	Model         string // canonical model name: "S19 Pro", "M30S+ VE40", "1566"
	Algorithm     string // lower case: sha256, scrypt, ...; "" unknown
	Boards        int    // hashboards; 0 unknown
	ChipsPerBoard int    // 0 unknown
	Fans          int    // 0 is "no fans" (hydro, immersion) when FansKnown
	FansKnown     bool   // false: the table does not know the fan count
}

// index is make -> key -> position in table; anyMake is key -> positions over
// every make, for callers that do not know the make.
var index, anyMake = buildIndex()

func buildIndex() (map[string]map[string]int, map[string][]int) {
	byMake := map[string]map[string]int{}
	all := map[string][]int{}
	for i, s := range table {
		k := key(s.Model)
		if byMake[s.Make] == nil {
			byMake[s.Make] = map[string]int{}
		}
		byMake[s.Make][k] = i
		all[k] = append(all[k], i)
	}
	return byMake, all
}

// All returns a copy of the whole table, sorted by make and model.
func All() []Spec {
	return append([]Spec(nil), table...)
}

// Lookup finds a model by any spelling Normalize understands. make may be
// empty: the model is then found only when a single make has it.
func Lookup(make, model string) (Spec, bool) {
	k := lookupKey{make, model}
	if r, ok := lookups.Load(k); ok {
		res := r.(lookupResult)
		return res.spec, res.ok
	}
	var res lookupResult
	if _, i, ok := resolve(make, Normalize(make, model)); ok {
		res = lookupResult{table[i], true}
	}
	// A farm has a few dozen distinct (make, model) pairs; a miner that
	// sends a new model string every gather must not grow this without
	// bound.
	if lookupCount.Add(1) <= maxLookups {
		lookups.Store(k, res)
	}
	return res.spec, res.ok
}

// Lookups are memoized: normalising a name costs string rewrites that
// every miner of every gather would otherwise repeat.
type lookupKey struct{ make, model string }

type lookupResult struct {
	spec Spec
	ok   bool
}

const maxLookups = 4096

var (
	lookups     sync.Map
	lookupCount atomic.Int64
)

// find looks a cleaned-up name up by key; with no make, only a key that a
// single make has counts.
func find(mk, s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	k := key(s)
	if mk != "" {
		i, ok := index[mk][k]
		return i, ok
	}
	if c := anyMake[k]; len(c) == 1 {
		return c[0], true
	}
	return 0, false
}

// Apply completes d from the table when d's model is known: the canonical
// model name, expected boards, chips (total and per board) and fans, and the
// algorithm when the driver left it empty. A value the driver set is never
// overwritten, and an unknown model's data is not touched at all.
func Apply(d *drivers.MinerData) {
	if d == nil {
		return
	}
	s, ok := Lookup(d.Make, d.Model)
	if !ok {
		return
	}
	d.Model = s.Model
	if d.Algorithm == "" {
		d.Algorithm = s.Algorithm
	}
	if reportsModules(s) {
		// The driver's boards are whole modules of a multi-miner
		// controller: the per-miner counts would be wrong for them.
		return
	}
	if d.ExpectedBoards == nil && s.Boards > 0 {
		d.ExpectedBoards = drivers.Ptr(int64(s.Boards))
	}
	if d.ExpectedChips == nil && s.Boards > 0 && s.ChipsPerBoard > 0 {
		d.ExpectedChips = drivers.Ptr(int64(s.Boards) * int64(s.ChipsPerBoard))
	}
	if d.ExpectedFans == nil && s.FansKnown {
		d.ExpectedFans = drivers.Ptr(int64(s.Fans))
	}
	if s.ChipsPerBoard > 0 {
		for i := range d.Boards {
			if d.Boards[i].ExpectedChips == nil {
				d.Boards[i].ExpectedChips = drivers.Ptr(int64(s.ChipsPerBoard))
			}
		}
	}
}

// reportsModules: AvalonMiner 7xx, 8xx and 9xx run behind an AUC controller
// that reports each miner (module, with its own fan) as one device; the
// avalon driver emits one board per module, and one controller drives many.
// The table's 4 boards x N chips and 1 fan describe a single module.
func reportsModules(s Spec) bool {
	if s.Make != "AvalonMiner" || len(s.Model) != 3 {
		return false
	}
	c := s.Model[0]
	return (c == '7' || c == '8' || c == '9') && allDigits(s.Model)
}
