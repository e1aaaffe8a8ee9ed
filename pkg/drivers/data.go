package drivers

import (
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// MinerData is what a driver learned from one miner in one gather, in the
// units of the metric schema: hashrate TH/s, temperature °C, power W, time
// seconds, frequency MHz, voltage V. A nil pointer or an empty string means
// the miner did not report the value; it is then not emitted.
type MinerData struct {
	// Identity (tags).
	Make      string // Antminer, Whatsminer, AvalonMiner, ...
	Model     string // S19 Pro, M50S, 1566, ...
	Firmware  string // stock, braiins, luxos, vnish, hiveon, ...
	Algorithm string // sha256, scrypt, ...
	MAC       string // upper case, colon separated
	Hostname  string

	FirmwareVersion string
	APIVersion      string
	SerialNumber    string

	Hashrate         *float64 // TH/s; when nil the board sum is used
	ExpectedHashrate *float64 // TH/s
	PowerWatts       *float64
	PowerLimitWatts  *float64
	EnvTemperature   *float64
	// Coolant (hydro, immersion) entering and leaving the miner, °C.
	CoolantInletTemperature  *float64
	CoolantOutletTemperature *float64
	PSUFanRPM                *int64 // the power supply's own fan
	UptimeSeconds            *int64
	IsMining                 *bool
	FaultLight               *bool
	ExpectedBoards           *int64
	ExpectedChips            *int64 // total over all boards
	ExpectedFans             *int64

	Boards []Board
	Fans   []Fan
	Pools  []poolmetrics.Pool
	// Errors is nil when the firmware has no error report, and an empty
	// non-nil slice when it has one and it is clean: "errors=0" is only
	// emitted for the second.
	Errors []MinerError

	// Problems are fields that failed to parse. The values were dropped; the
	// rest of the data is good. The plugin reports them.
	Problems []error
}

// Board is one hashboard (chain).
type Board struct {
	Index             int // 0-based slot
	Hashrate          *float64
	ExpectedHashrate  *float64
	Temperature       *float64 // PCB/board
	ChipTemperature   *float64 // hottest chip, or the chip average when that is all the firmware has
	InletTemperature  *float64
	OutletTemperature *float64
	Chips             *int64
	ExpectedChips     *int64
	VoltageVolts      *float64
	FrequencyMHz      *float64
	Active            *bool
	SerialNumber      string
}

// Fan is one fan.
type Fan struct {
	Index   int // 0-based
	RPM     *int64
	Percent *float64
}

// MinerError is an error or warning the miner itself reports.
type MinerError struct {
	Code    string // firmware's code; "" when it has none
	Message string
}

// Problem records a field that could not be parsed.
func (d *MinerData) Problem(err error) {
	if err != nil {
		d.Problems = append(d.Problems, err)
	}
}

// TotalHashrate is the miner's own total, or the sum of its boards when the
// firmware gives no total.
func (d *MinerData) TotalHashrate() *float64 {
	if d.Hashrate != nil {
		return d.Hashrate
	}
	return sumFloat(d.Boards, func(b Board) *float64 { return b.Hashrate })
}

// TotalExpectedHashrate is the expected hashrate, or the sum of the boards'.
func (d *MinerData) TotalExpectedHashrate() *float64 {
	if d.ExpectedHashrate != nil {
		return d.ExpectedHashrate
	}
	return sumFloat(d.Boards, func(b Board) *float64 { return b.ExpectedHashrate })
}

// TotalChips is the sum of the boards' chip counts.
func (d *MinerData) TotalChips() *int64 {
	var sum int64
	seen := false
	for _, b := range d.Boards {
		if b.Chips != nil {
			sum += *b.Chips
			seen = true
		}
	}
	if !seen {
		return nil
	}
	return &sum
}

// MeanBoardTemperature is the mean of the boards' temperatures.
func (d *MinerData) MeanBoardTemperature() *float64 {
	var sum float64
	n := 0
	for _, b := range d.Boards {
		if b.Temperature != nil {
			sum += *b.Temperature
			n++
		}
	}
	if n == 0 {
		return nil
	}
	m := sum / float64(n)
	return &m
}

// MaxBoardTemperature is the highest board temperature.
func (d *MinerData) MaxBoardTemperature() *float64 {
	return maxFloat(d.Boards, func(b Board) *float64 { return b.Temperature })
}

// MaxChipTemperature is the highest chip temperature of any board.
func (d *MinerData) MaxChipTemperature() *float64 {
	return maxFloat(d.Boards, func(b Board) *float64 { return b.ChipTemperature })
}

func sumFloat(bs []Board, f func(Board) *float64) *float64 {
	var sum float64
	seen := false
	for _, b := range bs {
		if v := f(b); v != nil {
			sum += *v
			seen = true
		}
	}
	if !seen {
		return nil
	}
	return &sum
}

func maxFloat(bs []Board, f func(Board) *float64) *float64 {
	var m *float64
	for _, b := range bs {
		if v := f(b); v != nil && (m == nil || *v > *m) {
			x := *v
			m = &x
		}
	}
	return m
}

// Ptr returns a pointer to v; drivers use it to fill optional fields.
func Ptr[T any](v T) *T { return &v }
