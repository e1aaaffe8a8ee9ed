package drivers

import (
	"fmt"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// Fields reads values from one reply of a miner. A value that is absent,
// null or "" is unknown (nil, no problem); one that is present but cannot
// be read is dropped and recorded in D.Problems, naming Source and the
// field, so the rest of the reply is kept.
type Fields struct {
	D      *MinerData
	Source string // where the values come from: `web /summary`, `command "stats"`
}

// Bad records a value of key that could not be read.
func (f Fields) Bad(key string, v any) {
	f.D.Problem(fmt.Errorf("%s: field %q: %w: cannot read %T", f.Source, key, ErrBadResponse, v))
}

func present(o jsonval.Obj, key string) (any, bool) {
	v, ok := o[key]
	if !ok || v == nil {
		return nil, false
	}
	if s, isStr := v.(string); isStr && s == "" {
		return nil, false
	}
	return v, true
}

// Float reads a number or a numeric string.
func (f Fields) Float(o jsonval.Obj, key string) *float64 {
	v, ok := present(o, key)
	if !ok {
		return nil
	}
	x := jsonval.Float(v)
	if x == nil {
		f.Bad(key, v)
	}
	return x
}

// Int reads an integer; a fractional value is truncated, one beyond
// ±9e15 (no counter a miner keeps) is a problem.
func (f Fields) Int(o jsonval.Obj, key string) *int64 {
	v, ok := present(o, key)
	if !ok {
		return nil
	}
	if i := jsonval.Int(v); i != nil && *i <= 9e15 && *i >= -9e15 {
		return i
	}
	f.Bad(key, v)
	return nil
}

// String reads a string (trimmed) or formats a number as sent.
func (f Fields) String(o jsonval.Obj, key string) string {
	v, ok := present(o, key)
	if !ok {
		return ""
	}
	s := jsonval.String(v)
	if _, isBool := v.(bool); s == "" || isBool {
		f.Bad(key, v)
		return ""
	}
	return s
}

// Bool reads true/false, their common spellings, or 0/1.
func (f Fields) Bool(o jsonval.Obj, key string) *bool {
	v, ok := present(o, key)
	if !ok {
		return nil
	}
	b := jsonval.Bool(v)
	if b == nil {
		f.Bad(key, v)
	}
	return b
}
