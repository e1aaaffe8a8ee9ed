package models

import (
	"strings"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// FuzzNormalize: no input panics, Normalize is idempotent, a name that has
// something printable in its first line never becomes empty, and Lookup
// and Apply agree with it.
func FuzzNormalize(f *testing.F) {
	for _, set := range [][]nameCase{driverModels, unknownModels, variants} {
		for _, c := range set {
			f.Add(c.make, c.in)
		}
	}
	for _, s := range table {
		f.Add(s.Make, s.Model)
	}
	f.Fuzz(func(t *testing.T, mk, model string) {
		n := Normalize(mk, model)
		if again := Normalize(mk, n); again != n {
			t.Fatalf("Normalize(%q, %q) = %q, then %q", mk, model, n, again)
		}
		line, _, _ := strings.Cut(strings.ReplaceAll(model, "\r", "\n"), "\n")
		if strings.ContainsFunc(line, func(r rune) bool { return r > ' ' && r < 0x7f }) && n == "" {
			t.Fatalf("Normalize(%q, %q) is empty", mk, model)
		}
		if len(n) > 2*maxLen {
			t.Fatalf("Normalize(%q, %q) too long: %d", mk, model, len(n))
		}
		s, ok := Lookup(mk, model)
		if ok && s.Model != n {
			t.Fatalf("Lookup(%q, %q) = %q, Normalize = %q", mk, model, s.Model, n)
		}
		d := &drivers.MinerData{Make: mk, Model: model, Boards: make([]drivers.Board, 2)}
		Apply(d)
		if ok && d.Model != s.Model {
			t.Fatalf("Apply(%q, %q) set model %q, Lookup says %q", mk, model, d.Model, s.Model)
		}
		if !ok && d.Model != model {
			t.Fatalf("Apply changed unknown %q to %q", model, d.Model)
		}
	})
}
