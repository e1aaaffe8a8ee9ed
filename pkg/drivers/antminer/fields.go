package antminer

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// fields reads one reply object, reporting values that are present but
// unreadable as problems naming the command and the field.
type fields struct {
	d   *drivers.MinerData
	cmd string
	o   jsonval.Obj
}

// num reads a number or numeric string. Absent, null and "" are unknown
// without a problem: bmminer writes "" for chains that do not exist.
func (f fields) num(key string) *float64 {
	v, ok := f.o[key]
	if !ok || v == nil {
		return nil
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return nil
	}
	x := jsonval.Float(v)
	if x == nil {
		f.bad(key, v)
	}
	return x
}

// int reads an integer (a fractional value is truncated).
func (f fields) int(key string) *int64 {
	x := f.num(key)
	if x == nil {
		return nil
	}
	if *x > 1e15 || *x < -1e15 {
		f.bad(key, *x)
		return nil
	}
	i := int64(*x)
	return &i
}

func (f fields) str(key string) string {
	v, ok := f.o[key]
	if !ok || v == nil {
		return ""
	}
	s := jsonval.String(v)
	if s == "" {
		if _, isStr := v.(string); !isStr {
			f.bad(key, v)
		}
	}
	return s
}

func (f fields) bad(key string, v any) {
	f.d.Problem(fmt.Errorf("command %q: field %q: cannot read %s", f.cmd, key, describe(v)))
}

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
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Temperatures outside this range are sensor faults (an S9 reports -83 °C
// for a disconnected chip sensor), not readings.
const (
	minTemp = -50
	maxTemp = 200
)

func plausibleTemp(t float64) bool {
	return t >= minTemp && t <= maxTemp && t != 0
}

// DashTemps reads bmminer's multi-sensor strings ("73-45-64-65",
// "2--1-20-22" with a negative reading, "25-61", "m-m-m-m", "-") and
// returns the plausible non-zero readings. A 0 is a missing sensor.
func DashTemps(s string) []float64 {
	var out []float64
	i := 0
	for i < len(s) {
		j := i
		if s[j] == '-' { // a sign, since a separator was consumed before
			j++
		}
		k := j
		for k < len(s) && s[k] != '-' {
			k++
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(s[i:k]), 64); err == nil && !math.IsNaN(v) && plausibleTemp(v) {
			out = append(out, v)
		}
		i = k + 1
	}
	return out
}

func maxOf(vs []float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	m := vs[0]
	for _, v := range vs[1:] {
		if v > m {
			m = v
		}
	}
	return &m
}

// tempList reads a new_api temperature list: numbers, or strings in
// milli-°C on some firmware.
func tempList(l []any) []float64 {
	var out []float64
	for _, e := range l {
		v := jsonval.Float(e)
		if v == nil {
			continue
		}
		t := *v
		if t > 1000 { // milli-°C
			t /= 1000
		}
		if plausibleTemp(t) {
			out = append(out, t)
		}
	}
	return out
}
