package drivers

// Positive is v when it is above 0. Firmware writes 0 (or a negative
// placeholder) for a sensor, a rate or a count it does not have: that is
// unknown, not a reading.
func Positive(v *float64) *float64 {
	if v == nil || *v <= 0 {
		return nil
	}
	return v
}

// maxTemperature bounds what is taken as a temperature: no part of a miner
// runs above it (silicon fails well below); beyond it a firmware writes a
// placeholder or garbage.
const maxTemperature = 200

// Temperature is v in °C when it is a reading: above 0 (0 is an absent
// sensor) and at most 200.
func Temperature(v *float64) *float64 {
	if v == nil || *v <= 0 || *v > maxTemperature {
		return nil
	}
	return v
}

// Max is the largest of the known values, a copy (so two fields never
// share one pointer); nil when none is known.
func Max(vs ...*float64) *float64 {
	var m *float64
	for _, v := range vs {
		if v != nil && (m == nil || *v > *m) {
			m = v
		}
	}
	if m == nil {
		return nil
	}
	return Ptr(*m)
}
