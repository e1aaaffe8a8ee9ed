package drivers

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// Fields is the one reader of values in a miner's reply. A value that is
// absent, null, "" or blanks is unknown (nil, no problem: bmminer writes ""
// for chains that do not exist); one that is present but cannot be read is
// dropped and recorded in D.Problems, naming Source and the field, so the
// rest of the reply is kept. Where several keys are given, the first
// present one is read (firmware versions name the same value differently).
type Fields struct {
	D      *MinerData
	Source string // where the values come from: `web /summary`, `command "stats"`
	// Prefix is the path of the object read inside the reply ("chains[1].");
	// problems name the field Prefix+key.
	Prefix string
}

// Under is f reading the object at path inside the current one: a board
// of a list, a nested section.
func (f Fields) Under(path string) Fields {
	if strings.HasPrefix(path, "[") {
		f.Prefix = strings.TrimSuffix(f.Prefix, ".")
	}
	f.Prefix += path + "."
	return f
}

// name is key's full name in the reply ("" is the object itself).
func (f Fields) name(key string) string { return strings.TrimSuffix(f.Prefix+key, ".") }

// Of binds f to one object, for a parser that reads many fields of it.
func (f Fields) Of(o jsonval.Obj) Object { return Object{f: f, o: o} }

// Bad records a value of key that could not be read.
func (f Fields) Bad(key string, v any) {
	f.record(key, "cannot read "+describe(v))
}

// OutOfRange records a value of key that was read but cannot be true (a
// negative count, a counter beyond any a miner keeps).
func (f Fields) OutOfRange(key string, v any) {
	f.record(key, "out of range: "+describe(v))
}

// Missing records a field the reply must have and has not.
func (f Fields) Missing(key string) {
	f.record(key, "missing")
}

// Invalid records a value of key that was read but is not what the field
// holds; why says what is wrong ("not a list", "board 2 listed twice",
// "not a MAC address: \"x\"").
func (f Fields) Invalid(key, why string) {
	f.record(key, why)
}

// record is the one wording of a field problem: `<source>: field "<name>":
// bad response: <what>`, or without the field when the whole reply is
// wrong (key "" at the top).
func (f Fields) record(key, what string) {
	if n := f.name(key); n != "" {
		f.D.Problem(fmt.Errorf("%s: field %q: %w: %s", f.Source, n, ErrBadResponse, what))
		return
	}
	f.D.Problem(fmt.Errorf("%s: %w: %s", f.Source, ErrBadResponse, what))
}

// CommandFields reads the reply of the RPC command cmd.
func CommandFields(d *MinerData, cmd string) Fields {
	return Fields{D: d, Source: "command " + strconv.Quote(cmd)}
}

// PageFields reads the web page at path.
func PageFields(d *MinerData, path string) Fields {
	return Fields{D: d, Source: "web " + path}
}

// Section reads the list of objects key of a reply that must have it (a
// cgminer reply's SUMMARY, a page's list of boards): absent is Missing,
// anything but a list is Invalid, and an element that is not an object is
// recorded and skipped.
func (f Fields) Section(o jsonval.Obj, key string) []jsonval.Obj {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		f.Missing(key)
		return nil
	}
	return f.list(key, v)
}

// List is Section for a list the reply may leave out: absent is no
// problem.
func (f Fields) List(o jsonval.Obj, key string) []jsonval.Obj {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		return nil
	}
	return f.list(key, v)
}

func (f Fields) list(key string, v any) []jsonval.Obj {
	l, isList := v.([]any)
	if !isList {
		f.Invalid(key, "not a list")
		return nil
	}
	out := make([]jsonval.Obj, 0, len(l))
	for i, e := range l {
		m, isObj := e.(jsonval.Obj)
		if !isObj {
			f.Invalid(key+"["+strconv.Itoa(i)+"]", "not an object")
			continue
		}
		out = append(out, m)
	}
	return out
}

// Obj reads the object key: absent is Missing, anything else Invalid.
func (f Fields) Obj(o jsonval.Obj, key string) jsonval.Obj {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		f.Missing(key)
		return jsonval.Obj{}
	}
	m, isObj := v.(jsonval.Obj)
	if !isObj {
		f.Invalid(key, "not an object")
		return jsonval.Obj{}
	}
	return m
}

// describe shows a bad value briefly: enough to recognise it in a log, never
// a whole reply.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return strconv.Quote(x)
	case json.Number:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case jsonval.Obj, map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// present returns the first key of keys whose value is known.
func present(o jsonval.Obj, keys []string) (string, any, bool) {
	for _, key := range keys {
		v, ok := o.Lookup(key)
		if !ok || v == nil {
			continue
		}
		if s, isStr := v.(string); isStr && strings.TrimSpace(s) == "" {
			continue
		}
		return key, v, true
	}
	return "", nil, false
}

// Float reads a number or a numeric string.
func (f Fields) Float(o jsonval.Obj, keys ...string) *float64 {
	key, v, ok := present(o, keys)
	if !ok {
		return nil
	}
	x := jsonval.Float(v)
	if x == nil {
		f.Bad(key, v)
	}
	return x
}

// NonNegFloat reads a number that cannot be negative (a rate, a power, a
// speed); a negative one is a problem.
func (f Fields) NonNegFloat(o jsonval.Obj, keys ...string) *float64 {
	key, v, ok := present(o, keys)
	if !ok {
		return nil
	}
	x := jsonval.Float(v)
	switch {
	case x == nil:
		f.Bad(key, v)
	case *x < 0:
		f.OutOfRange(key, *x)
		return nil
	}
	return x
}

// maxCount bounds integers: no counter a miner keeps comes near it, and a
// float64 holds every integer up to it exactly.
const maxCount = 9e15

// Int reads an integer; a fractional value is truncated, one beyond
// ±9e15 is a problem.
func (f Fields) Int(o jsonval.Obj, keys ...string) *int64 {
	key, v, ok := present(o, keys)
	if !ok {
		return nil
	}
	i := jsonval.Int(v)
	switch {
	case i == nil:
		f.Bad(key, v)
	case *i > maxCount || *i < -maxCount:
		f.OutOfRange(key, v)
		return nil
	}
	return i
}

// NonNegInt reads an integer that cannot be negative (a count, an uptime).
func (f Fields) NonNegInt(o jsonval.Obj, keys ...string) *int64 {
	i := f.Int(o, keys...)
	if i != nil && *i < 0 {
		key, _, _ := present(o, keys)
		f.OutOfRange(key, *i)
		return nil
	}
	return i
}

// String reads a string (trimmed) or formats a number as sent; a bool, a
// list or an object is a problem.
func (f Fields) String(o jsonval.Obj, keys ...string) string {
	key, v, ok := present(o, keys)
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

// Text reads a string only (trimmed): where a name or an address is
// expected, a number is a problem, not a name.
func (f Fields) Text(o jsonval.Obj, keys ...string) string {
	key, v, ok := present(o, keys)
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		f.Bad(key, v)
		return ""
	}
	return strings.TrimSpace(s)
}

// Bool reads true/false, their common spellings, or an integer (0 is
// false, any other true: C firmware writes flags so).
func (f Fields) Bool(o jsonval.Obj, keys ...string) *bool {
	key, v, ok := present(o, keys)
	if !ok {
		return nil
	}
	if b := jsonval.Bool(v); b != nil {
		return b
	}
	if _, isStr := v.(string); !isStr {
		if n := jsonval.Int(v); n != nil {
			return Ptr(*n != 0)
		}
	}
	f.Bad(key, v)
	return nil
}

// Object is Fields bound to one object.
type Object struct {
	f Fields
	o jsonval.Obj
}

// Obj is the object read.
func (b Object) Obj() jsonval.Obj { return b.o }

// Fields is the reader b is bound with.
func (b Object) Fields() Fields { return b.f }

// Float is Fields.Float on the bound object.
func (b Object) Float(keys ...string) *float64 { return b.f.Float(b.o, keys...) }

// NonNegFloat is Fields.NonNegFloat on the bound object.
func (b Object) NonNegFloat(keys ...string) *float64 { return b.f.NonNegFloat(b.o, keys...) }

// Int is Fields.Int on the bound object.
func (b Object) Int(keys ...string) *int64 { return b.f.Int(b.o, keys...) }

// NonNegInt is Fields.NonNegInt on the bound object.
func (b Object) NonNegInt(keys ...string) *int64 { return b.f.NonNegInt(b.o, keys...) }

// String is Fields.String on the bound object.
func (b Object) String(keys ...string) string { return b.f.String(b.o, keys...) }

// Text is Fields.Text on the bound object.
func (b Object) Text(keys ...string) string { return b.f.Text(b.o, keys...) }

// Bool is Fields.Bool on the bound object.
func (b Object) Bool(keys ...string) *bool { return b.f.Bool(b.o, keys...) }

// Bad is Fields.Bad.
func (b Object) Bad(key string, v any) { b.f.Bad(key, v) }
