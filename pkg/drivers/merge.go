package drivers

import (
	"slices"
	"strings"
)

// Merge is the one way the readings of two APIs of one miner become one:
// each API is parsed into its own MinerData, then the second (o) is merged
// into the first (d), field by field, with one preference:
//
//   - a field only one API carries is kept, whichever it is;
//   - where both carry it, d's value wins: the driver passes the API it
//     trusts more (for every family so far the 4028 RPC API, which the
//     plugin's units and the model table are written against) as d;
//   - boards and fans are matched by index and merged the same way field
//     by field; a board or fan only o reports is added;
//   - pools are one list read at one moment: o's are taken only when d
//     has none;
//   - errors are joined: o's faults that d does not already report (the
//     same message, or one containing the other) are added, and a clean
//     report (empty, non-nil) from either makes the result a clean report;
//   - o's Problems are added to d's (the caller names the API in them).
//
// A value one API is known to report wrongly is not left for Merge to
// choose: the driver does not put it in that API's MinerData.
//
// It tells whether o added any value d lacked.
func Merge(d, o *MinerData) (added bool) {
	if o == nil {
		return false
	}
	str := func(dst *string, src string) {
		if *dst == "" && src != "" {
			*dst, added = src, true
		}
	}
	str(&d.Make, o.Make)
	str(&d.Model, o.Model)
	str(&d.Firmware, o.Firmware)
	str(&d.Algorithm, o.Algorithm)
	str(&d.MAC, o.MAC)
	str(&d.Hostname, o.Hostname)
	str(&d.FirmwareVersion, o.FirmwareVersion)
	str(&d.APIVersion, o.APIVersion)
	str(&d.SerialNumber, o.SerialNumber)
	added = fill(&d.Hashrate, o.Hashrate) || added
	added = fill(&d.ExpectedHashrate, o.ExpectedHashrate) || added
	added = fill(&d.PowerWatts, o.PowerWatts) || added
	added = fill(&d.PowerLimitWatts, o.PowerLimitWatts) || added
	added = fill(&d.EnvTemperature, o.EnvTemperature) || added
	added = fill(&d.CoolantInletTemperature, o.CoolantInletTemperature) || added
	added = fill(&d.CoolantOutletTemperature, o.CoolantOutletTemperature) || added
	added = fill(&d.PSUFanRPM, o.PSUFanRPM) || added
	added = fill(&d.UptimeSeconds, o.UptimeSeconds) || added
	added = fill(&d.IsMining, o.IsMining) || added
	added = fill(&d.FaultLight, o.FaultLight) || added
	added = fill(&d.ExpectedBoards, o.ExpectedBoards) || added
	added = fill(&d.ExpectedChips, o.ExpectedChips) || added
	added = fill(&d.ExpectedFans, o.ExpectedFans) || added

	for _, ob := range o.Boards {
		i := slices.IndexFunc(d.Boards, func(b Board) bool { return b.Index == ob.Index })
		if i < 0 {
			d.Boards, added = append(d.Boards, ob), true
			continue
		}
		added = mergeBoard(&d.Boards[i], ob) || added
	}
	slices.SortStableFunc(d.Boards, func(a, b Board) int { return a.Index - b.Index })
	for _, of := range o.Fans {
		i := slices.IndexFunc(d.Fans, func(f Fan) bool { return f.Index == of.Index })
		if i < 0 {
			d.Fans, added = append(d.Fans, of), true
			continue
		}
		added = fill(&d.Fans[i].RPM, of.RPM) || added
		added = fill(&d.Fans[i].Percent, of.Percent) || added
	}
	slices.SortStableFunc(d.Fans, func(a, b Fan) int { return a.Index - b.Index })
	if len(d.Pools) == 0 && len(o.Pools) > 0 {
		d.Pools, added = o.Pools, true
	}
	if o.Errors != nil {
		n := len(d.Errors)
		d.Errors = JoinErrors(d.Errors, o.Errors)
		added = added || len(d.Errors) > n
	}
	d.Problems = append(d.Problems, o.Problems...)
	return added
}

func mergeBoard(b *Board, o Board) bool {
	added := fill(&b.Hashrate, o.Hashrate)
	added = fill(&b.ExpectedHashrate, o.ExpectedHashrate) || added
	added = fill(&b.Temperature, o.Temperature) || added
	added = fill(&b.ChipTemperature, o.ChipTemperature) || added
	added = fill(&b.InletTemperature, o.InletTemperature) || added
	added = fill(&b.OutletTemperature, o.OutletTemperature) || added
	added = fill(&b.Chips, o.Chips) || added
	added = fill(&b.ExpectedChips, o.ExpectedChips) || added
	added = fill(&b.VoltageVolts, o.VoltageVolts) || added
	added = fill(&b.FrequencyMHz, o.FrequencyMHz) || added
	added = fill(&b.Active, o.Active) || added
	if b.SerialNumber == "" && o.SerialNumber != "" {
		b.SerialNumber, added = o.SerialNumber, true
	}
	return added
}

func fill[T any](dst **T, src *T) bool {
	if *dst == nil && src != nil {
		*dst = src
		return true
	}
	return false
}

// JoinErrors is have plus each of add's faults that have does not already
// report (the same message, or one containing the other: two APIs word one
// fault more or less fully). The result is non-nil, a clean report, when
// either is.
func JoinErrors(have, add []MinerError) []MinerError {
	if have == nil && add == nil {
		return nil
	}
	if have == nil {
		have = []MinerError{}
	}
next:
	for _, e := range add {
		for _, h := range have {
			if h.Message != "" && (strings.Contains(h.Message, e.Message) || strings.Contains(e.Message, h.Message)) {
				continue next
			}
		}
		have = append(have, e)
	}
	return have
}
