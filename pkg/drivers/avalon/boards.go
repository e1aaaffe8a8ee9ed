package avalon

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
)

// Boards from a module: per-board lists on A10 and later, one board per
// module on 7xx-9xx.

// boardsOf reads the per-board lists of an A10-and-later module.
func (p *parser) boardsOf(m *module, several bool, mi int) {
	mghs := m.list("MGHS")
	mtmax := m.list("MTmax")
	mtavg := m.list("MTavg")
	hbi := m.list("HBITemp")
	hbo := m.list("HBOTemp")
	echu := m.list("ECHU")
	pvt := map[int][]float64{}
	for k := range m.kv {
		if b := pvtBoard(k); b >= 0 {
			if l := m.list(k); l != nil {
				pvt[b] = l
			}
		}
	}
	n := max(len(mghs), len(mtmax), len(mtavg), len(hbi), len(hbo))
	for b := range pvt {
		n = max(n, b+1)
	}
	n = min(n, maxBoards)
	// Slots past the firmware's own board count that read all zero are
	// padding, not dead boards.
	if hb := hashBoards(m.kv["SYSTEMSTATU"]); hb >= 0 {
		for n > hb && n > 0 && zeroSlot(n-1, mghs, mtmax, mtavg, pvt[n-1]) {
			n--
		}
	}
	// MGHS is the average since start; once the miner reports no current
	// speed it no longer describes the boards.
	stopped := false
	if spd := m.one("GHSspd"); spd != nil && *spd == 0 {
		stopped = true
	}
	// MGHS is the average since start (the boards sum to GHSavg); a
	// one-board miner's board makes the whole current speed, GHSspd.
	var spd *float64
	if n == 1 {
		spd = m.one("GHSspd")
	}
	tmax, tavg := drivers.Positive(m.one("TMax")), drivers.Positive(m.one("TAvg"))
	offset := len(p.d.Boards)
	for b := 0; b < n; b++ {
		bd := drivers.Board{Index: offset + b}
		if b < len(mghs) || spd != nil {
			var h float64
			switch {
			case stopped:
			case spd != nil && *spd >= 0:
				h = hashunit.GH.THs(*spd)
			case b < len(mghs):
				h = hashunit.GH.THs(mghs[b])
			}
			bd.Hashrate = &h
		}
		bd.InletTemperature = perBoard(hbi, b, n)
		bd.OutletTemperature = perBoard(hbo, b, n)
		chips := pvt[b]
		if chips != nil {
			var c int64
			var hot float64
			for _, t := range chips {
				if t != 0 {
					c++
					hot = max(hot, t)
				}
			}
			bd.Chips = &c
			if c > 0 {
				bd.ChipTemperature = drivers.Ptr(hot)
			}
		}
		if v := perBoard(mtmax, b, n); v != nil {
			bd.ChipTemperature = v
		} else if bd.ChipTemperature == nil && n == 1 {
			bd.ChipTemperature = tmax
		}
		// Boards have no PCB sensor before the Q: the hotter of inlet and
		// outlet when there are such sensors, else the board's chip mean.
		switch {
		case bd.InletTemperature != nil || bd.OutletTemperature != nil:
			bd.Temperature = drivers.Max(bd.InletTemperature, bd.OutletTemperature)
		case perBoard(mtavg, b, n) != nil:
			bd.Temperature = perBoard(mtavg, b, n)
		case n == 1:
			bd.Temperature = tavg
		}
		if n == 1 {
			if f := drivers.Positive(m.one("Freq")); f != nil {
				bd.FrequencyMHz = f
			}
			if dna := m.kv["HDNA"]; knownDNA(dna) {
				bd.SerialNumber = dna
			}
		}
		p.d.Boards = append(p.d.Boards, bd)
		if b < len(echu) && !normalECHU(int64(echu[b])) {
			p.d.Errors = append(p.d.Errors, drivers.MinerError{
				Code:    fmt.Sprintf("ECHU%d=%d", offset+b, int64(echu[b])),
				Message: fmt.Sprintf("hashboard %d reports error code %d (ECHU)", offset+b, int64(echu[b])),
			})
		}
	}
}

// moduleBoard turns a 7xx/8xx/9xx module into one board.
func (p *parser) moduleBoard(m *module) {
	if len(p.d.Boards) >= maxModules {
		return
	}
	idx := len(p.d.Boards)
	bd := drivers.Board{Index: idx}
	if v := m.one("GHSmm"); v != nil {
		bd.ExpectedHashrate = hashunit.ToTHs(v, hashunit.GH)
	}
	bd.ChipTemperature = drivers.Positive(m.one("TMax"))
	bd.InletTemperature = drivers.Positive(m.one("Temp"))
	bd.FrequencyMHz = drivers.Positive(m.one("Freq"))
	if dna := m.kv["DNA"]; knownDNA(dna) {
		bd.SerialNumber = dna
	}
	p.d.Boards = append(p.d.Boards, bd)
	for u, v := range m.list("ECHU") {
		if u >= maxBoards {
			break
		}
		if !normalECHU(int64(v)) {
			p.d.Errors = append(p.d.Errors, drivers.MinerError{
				Code:    fmt.Sprintf("ECHU%d.%d=%d", idx, u, int64(v)),
				Message: fmt.Sprintf("module %d (%s) hash unit %d reports error code %d (ECHU)", idx, m.name, u, int64(v)),
			})
		}
	}
}

// perBoard is l[b] when l has one value per board, ignoring 0 readings.
func perBoard(l []float64, b, n int) *float64 {
	if len(l) != n || b >= len(l) || l[b] <= 0 {
		return nil
	}
	return drivers.Ptr(l[b])
}

func zeroSlot(b int, lists ...[]float64) bool {
	for _, l := range lists {
		if b < len(l) && l[b] != 0 {
			return false
		}
	}
	return true
}

// hashBoards reads N from "Work: In Work, Hash Board: N "; -1 when absent.
func hashBoards(s string) int {
	i := strings.Index(s, "Hash Board:")
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+len("Hash Board:"):])
	if len(f) == 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimRight(f[0], ",]"))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// knownDNA drops empty, all-zero and redacted DNA values.
func knownDNA(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || strings.Trim(s, "0") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
