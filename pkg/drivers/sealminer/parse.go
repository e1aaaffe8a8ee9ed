package sealminer

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Make is the make tag.
const Make = "SealMiner"

// maxSlots bounds the "<n> <key>" slot numbers read, so a corrupt reply
// cannot make boards or fans without end.
const maxSlots = 16

// boardKeys are the per-slot keys that only a hashboard has.
var boardKeys = []string{"Chip Count", "MHS(Sample)", "MHS(Ideal)", "SN", "Temp 0", "Freq", "Online"}

// Parse turns the replies of Commands into MinerData. It does no I/O; a
// command that failed or a value that cannot be read is in Problems and
// the rest is kept.
func Parse(b *cgminer.Batch) *drivers.MinerData {
	d := &drivers.MinerData{Make: Make, Firmware: "stock", Algorithm: hashunit.SHA256}
	r := cgminer.Replies(d, b, Commands, nil)
	if v := first(r["version"], "VERSION"); !v.IsNil() {
		d.APIVersion = drivers.Fields{D: d, Source: `command "version"`}.String(v, "API")
	}
	if s := first(r["summary"], "SUMMARY"); !s.IsNil() {
		f := drivers.Fields{D: d, Source: `command "summary"`}
		d.UptimeSeconds = nonNegInt(f.Int(s, "Elapsed"))
		d.Hashrate = mhs(f.Float(s, "MHS 1m"))
	}
	if s := first(r["stats"], "STATS"); !s.IsNil() {
		stats(d, s)
	}
	if p := r["pools"]; !p.IsNil() {
		d.Pools = cgminer.Pools(p)
	}
	return d
}

func first(o jsonval.Obj, section string) jsonval.Obj {
	if l := o.Objs(section); len(l) > 0 {
		return l[0]
	}
	return jsonval.Obj{}
}

func stats(d *drivers.MinerData, s jsonval.Obj) {
	f := drivers.Fields{D: d, Source: `command "stats"`}
	d.Model = f.String(s, "Model")
	d.FirmwareVersion = f.String(s, "Firmware")
	if m := f.String(s, "MAC"); m != "" {
		d.MAC = drivers.NormalizeMAC(m)
	}
	d.SerialNumber = f.String(s, "Ctrl Board SN")
	if h := mhs(f.Float(s, "MHS(1m)")); h != nil {
		d.Hashrate = h
	}
	d.ExpectedHashrate = mhs(f.Float(s, "MHS(Ideal)"))
	d.PowerWatts = nonNeg(f.Float(s, "PSU Input Power"))
	d.PowerLimitWatts = drivers.Positive(f.Float(s, "Power Limit"))
	d.PSUFanRPM = nonNegInt(f.Int(s, "PSU Fan Speed"))
	d.EnvTemperature = sensor(f.Float(s, "PSU Temp AMB"))
	d.Errors = minerErrors(f, s)

	boards := map[int]*drivers.Board{}
	fans := map[int]*drivers.Fan{}
	for key := range s.All() {
		n, rest, ok := slotKey(key)
		if !ok {
			continue
		}
		if rest == "Speed" {
			fans[n] = &drivers.Fan{Index: n, RPM: nonNegInt(f.Int(s, key))}
			continue
		}
		for _, k := range boardKeys {
			if rest == k {
				boards[n] = &drivers.Board{Index: n}
			}
		}
	}
	for n, b := range boards {
		k := func(name string) string { return strconv.Itoa(n) + " " + name }
		b.Chips = nonNegInt(f.Int(s, k("Chip Count")))
		b.Hashrate = mhs(f.Float(s, k("MHS(Sample)")))
		b.ExpectedHashrate = mhs(f.Float(s, k("MHS(Ideal)")))
		for i := 0; i < 4; i++ {
			if t := sensor(f.Float(s, k("Temp "+strconv.Itoa(i)))); t != nil && (b.Temperature == nil || *t > *b.Temperature) {
				b.Temperature = t
			}
		}
		b.FrequencyMHz = drivers.Positive(f.Float(s, k("Freq")))
		b.Active = f.Bool(s, k("Online"))
		b.SerialNumber = f.String(s, k("SN"))
	}
	for _, n := range slices.Sorted(maps.Keys(boards)) {
		d.Boards = append(d.Boards, *boards[n])
	}
	for _, n := range slices.Sorted(maps.Keys(fans)) {
		if fans[n].RPM != nil {
			d.Fans = append(d.Fans, *fans[n])
		}
	}
}

// slotKey splits "2 Temp 1" into 2 and "Temp 1".
func slotKey(key string) (int, string, bool) {
	num, rest, ok := strings.Cut(key, " ")
	if !ok || num == "" || len(num) > 2 {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n >= maxSlots {
		return 0, "", false
	}
	return n, rest, true
}

// minerErrors reads the firmware's error report: "Error Code" (empty when
// clean) and the PSU's error register ("0x00000000" when clean). nil when
// the reply has neither.
func minerErrors(f drivers.Fields, s jsonval.Obj) []drivers.MinerError {
	_, hasCode := s.Lookup("Error Code")
	_, hasPSU := s.Lookup("PSU Error")
	if !hasCode && !hasPSU {
		return nil
	}
	out := []drivers.MinerError{}
	if c := f.String(s, "Error Code"); c != "" {
		msg := "error " + c
		if chip := f.String(s, "Error Chip"); chip != "" {
			msg += " (chip " + chip + ")"
		}
		out = append(out, drivers.MinerError{Code: c, Message: msg})
	}
	if p := f.String(s, "PSU Error"); p != "" {
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(p), "0x"), 16, 64)
		if err != nil || v != 0 {
			out = append(out, drivers.MinerError{Code: "PSU " + p, Message: "power supply error " + p})
		}
	}
	return out
}

// mhs converts an honest MH/s key (bdminer labels its units truly).
func mhs(v *float64) *float64 {
	return hashunit.Conv(hashunit.Labelled, hashunit.SHA256, hashunit.MH, v)
}

func nonNeg(v *float64) *float64 {
	if v == nil || *v < 0 {
		return nil
	}
	return v
}

func nonNegInt(v *int64) *int64 {
	if v == nil || *v < 0 {
		return nil
	}
	return v
}

// sensor is a temperature; 0 is a sensor that is not there.
func sensor(v *float64) *float64 {
	if v == nil || *v == 0 || *v < -60 || *v > 250 {
		return nil
	}
	return v
}
