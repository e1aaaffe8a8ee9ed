// Package jsonval reads loosely typed JSON from miners: numbers that arrive
// as strings, booleans spelled as "Y" or "true", keys that vary in case.
// Every accessor returns nil or "" when the value is absent or unreadable,
// so unknown stays absent.
package jsonval

import (
	"encoding/json"
	"iter"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Decode parses JSON keeping numbers exact (json.Number): objects are Obj,
// arrays []any, the rest string, json.Number, bool or nil. It does not
// repair anything; see the transports for that.
func Decode(b []byte) (any, error) { return decode(b) }

// DecodeObj parses a JSON object.
func DecodeObj(b []byte) (Obj, error) {
	v, err := Decode(b)
	if err != nil {
		return Obj{}, err
	}
	m, ok := v.(Obj)
	if !ok {
		return Obj{}, &json.UnmarshalTypeError{Value: kind(v), Type: nil}
	}
	return m, nil
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "value"
}

// Obj is a decoded JSON object: its members in the order sent, each key
// once (a repeated key keeps its last value, as encoding/json does). The
// zero Obj is an absent object; every accessor of it returns absent. An
// Obj is read-only once decoded.
//
// It is not a map: a reply's objects are laid out in a few slabs per
// decode instead of one hash map each (maps were 40% of the bytes a gather
// allocated), and a lookup scans the keys, which is as fast for the few
// dozen keys a miner's object has.
type Obj struct{ p *object }

type object struct{ m []member }

type member struct {
	k string
	v any
}

// Len is the number of members.
func (o Obj) Len() int {
	if o.p == nil {
		return 0
	}
	return len(o.p.m)
}

// IsNil tells an absent object (not sent, or not an object) from a
// present one, which may be empty.
func (o Obj) IsNil() bool { return o.p == nil }

// Lookup returns the value of key k and whether the object has it.
func (o Obj) Lookup(k string) (any, bool) {
	if o.p == nil {
		return nil, false
	}
	for i := range o.p.m {
		if o.p.m[i].k == k {
			return o.p.m[i].v, true
		}
	}
	return nil, false
}

// V is the value of key k, nil when absent.
func (o Obj) V(k string) any {
	v, _ := o.Lookup(k)
	return v
}

// All yields the members in the order sent.
func (o Obj) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if o.p == nil {
			return
		}
		for _, m := range o.p.m {
			if !yield(m.k, m.v) {
				return
			}
		}
	}
}

// Keys are the keys, sorted: what a reader that walks an object by name
// (sensors, interfaces, error codes) needs to read it the same way
// whatever order the firmware sent.
func (o Obj) Keys() []string {
	out := make([]string, 0, o.Len())
	for k := range o.All() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ObjOf makes an Obj of a map (nested maps and []any inside become Obj and
// []any of the same), its keys sorted: for values built in code and tests.
func ObjOf(m map[string]any) Obj {
	if m == nil {
		return Obj{}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := &object{m: make([]member, len(keys))}
	for i, k := range keys {
		o.m[i] = member{k, fromPlain(m[k])}
	}
	return Obj{o}
}

func fromPlain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return ObjOf(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromPlain(e)
		}
		return out
	}
	return v
}

// toMap is o as a map[string]any, nested objects too: encoding/json's
// shape, which the tests compare with.
func (o Obj) toMap() map[string]any {
	if o.p == nil {
		return nil
	}
	out := make(map[string]any, len(o.p.m))
	for _, m := range o.p.m {
		out[m.k] = plain(m.v)
	}
	return out
}

// plain is v with every Obj in it made a map[string]any.
func plain(v any) any {
	switch x := v.(type) {
	case Obj:
		return x.toMap()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// String is o as JSON, so an object printed with %v reads as one.
func (o Obj) String() string {
	b, err := o.MarshalJSON()
	if err != nil {
		return "{?}"
	}
	return string(b)
}

// MarshalJSON encodes the members in the order sent.
func (o Obj) MarshalJSON() ([]byte, error) {
	if o.p == nil {
		return []byte("null"), nil
	}
	b := []byte{'{'}
	for i, m := range o.p.m {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(m.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// Get returns the value of the first key present.
func (o Obj) Get(keys ...string) (any, bool) {
	for _, k := range keys {
		if v, ok := o.Lookup(k); ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

// F returns the first present key as a float64.
func (o Obj) F(keys ...string) *float64 {
	v, _ := o.Get(keys...)
	return Float(v)
}

// I returns the first present key as an int64 (a fractional value is
// rounded toward zero).
func (o Obj) I(keys ...string) *int64 {
	v, _ := o.Get(keys...)
	return Int(v)
}

// S returns the first present key as a trimmed string; numbers are
// formatted as sent.
func (o Obj) S(keys ...string) string {
	v, _ := o.Get(keys...)
	return String(v)
}

// B returns the first present key as a bool.
func (o Obj) B(keys ...string) *bool {
	v, _ := o.Get(keys...)
	return Bool(v)
}

// O returns the first present key as an object.
func (o Obj) O(keys ...string) Obj {
	v, _ := o.Get(keys...)
	m, _ := v.(Obj)
	return m
}

// L returns the first present key as a list.
func (o Obj) L(keys ...string) []any {
	v, _ := o.Get(keys...)
	l, _ := v.([]any)
	return l
}

// Objs returns the objects of the list under the first present key,
// skipping elements that are not objects.
func (o Obj) Objs(keys ...string) []Obj {
	l := o.L(keys...)
	out := make([]Obj, 0, len(l))
	for _, e := range l {
		if m, ok := e.(Obj); ok {
			out = append(out, m)
		}
	}
	return out
}

// Float reads a number or a numeric string. NaN and infinities are absent.
func Float(v any) *float64 {
	var f float64
	switch x := v.(type) {
	case json.Number:
		p, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil
		}
		f = p
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case string:
		p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil
		}
		f = p
	default:
		return nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// Int reads an integer, or a float rounded toward zero, or a numeric string.
func Int(v any) *int64 {
	if n, ok := v.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
		// A fraction or exponent goes to Float below: ParseInt would fail
		// on it, and its error costs two allocations.
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return &i
		}
	}
	if s, ok := v.(string); ok {
		if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return &i
		}
	}
	f := Float(v)
	if f == nil || *f > math.MaxInt64 || *f < math.MinInt64 {
		return nil
	}
	i := int64(*f)
	return &i
}

// String reads a string or formats a number or bool as sent.
func String(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// Bool reads true/false, "true"/"false", "Y"/"N", "yes"/"no", "on"/"off"
// and 1/0.
func Bool(v any) *bool {
	t, f := true, false
	switch x := v.(type) {
	case bool:
		return &x
	case json.Number:
		switch string(x) {
		case "1":
			return &t
		case "0":
			return &f
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "y", "yes", "on", "1", "enabled", "enable":
			return &t
		case "false", "n", "no", "off", "0", "disabled", "disable":
			return &f
		}
	}
	return nil
}
