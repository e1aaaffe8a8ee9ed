// Package jsonval reads loosely typed JSON from miners: numbers that arrive
// as strings, booleans spelled as "Y" or "true", keys that vary in case.
// Every accessor returns nil or "" when the value is absent or unreadable,
// so unknown stays absent.
package jsonval

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Obj is a decoded JSON object.
type Obj map[string]any

// Decode parses JSON keeping numbers exact (json.Number). It does not
// repair anything; see the transports for that.
func Decode(b []byte) (any, error) { return decode(b) }

// DecodeObj parses a JSON object.
func DecodeObj(b []byte) (Obj, error) {
	v, err := Decode(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &json.UnmarshalTypeError{Value: kind(v), Type: nil}
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

// Get returns the value of the first key present.
func (o Obj) Get(keys ...string) (any, bool) {
	for _, k := range keys {
		if v, ok := o[k]; ok && v != nil {
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
	m, _ := v.(map[string]any)
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
		if m, ok := e.(map[string]any); ok {
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
