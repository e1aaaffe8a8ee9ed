package antminer

import (
	"math"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// cmdFields reads one object of cmd's reply.
func cmdFields(d *drivers.MinerData, cmd string, o jsonval.Obj) drivers.Object {
	return drivers.Fields{D: d, Source: "command " + strconv.Quote(cmd)}.Of(o)
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
