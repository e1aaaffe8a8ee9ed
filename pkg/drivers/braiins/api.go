package braiins

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/braiins/bosapi"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Snapshot is what one gather read from the Braiins OS Public API, over
// gRPC or REST. A nil field is a call that failed or that the firmware does
// not implement. Problems are the failed calls (never the Unimplemented
// ones).
type Snapshot struct {
	Details    *bosapi.GetMinerDetailsResponse
	Stats      *bosapi.GetMinerStatsResponse
	Hashboards *bosapi.GetHashboardsResponse
	Errors     *bosapi.GetErrorsResponse
	Cooling    *bosapi.GetCoolingStateResponse
	PoolGroups *bosapi.GetPoolGroupsResponse
	PerfMode   *bosapi.PerformanceMode
	Tuner      *bosapi.GetTunerStateResponse
	Config     *bosapi.GetMinerConfigurationResponse
	Locate     *bosapi.LocateDeviceStatusResponse
	APIVersion *bosapi.ApiVersion
	Problems   []error
	// At is when the replies were read; zero when unknown (then GetErrors'
	// whole history is reported, see errors).
	At time.Time
}

// Method names, used in problems and as the REST reply keys.
const (
	mDetails    = "MinerService/GetMinerDetails"
	mStats      = "MinerService/GetMinerStats"
	mHashboards = "MinerService/GetHashboards"
	mErrors     = "MinerService/GetErrors"
	mCooling    = "CoolingService/GetCoolingState"
	mPools      = "PoolService/GetPoolGroups"
	mPerfMode   = "PerformanceService/GetActivePerformanceMode"
	mTuner      = "PerformanceService/GetTunerState"
	mConfig     = "ConfigurationService/GetMinerConfiguration"
	mLocate     = "ActionsService/GetLocateDeviceStatus"
	mVersion    = "ApiVersionService/GetApiVersion"
)

// ParseAPI maps a Snapshot onto MinerData. It does no I/O. Values that are
// not finite or negative are dropped with a Problem naming the method and
// field.
func ParseAPI(s *Snapshot) *drivers.MinerData {
	p := &apiParser{d: &drivers.MinerData{Make: "Antminer", Firmware: Name, Algorithm: "sha256"}}
	d := p.d
	d.Problems = append(d.Problems, s.Problems...)
	p.details(s.Details)
	if v := s.APIVersion; v != nil && (v.Major|v.Minor|v.Patch) != 0 {
		d.APIVersion = fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
		if v.Pre != "" {
			d.APIVersion += "-" + v.Pre
		}
	}
	if st := s.Stats; st != nil {
		// The 1-minute average; the 5 s value only when it is missing.
		d.Hashrate = p.realHashrate(mStats, "miner_stats.real_hashrate", st.GetMinerStats().GetRealHashrate())
		if n := st.GetMinerStats().GetNominalHashrate(); n != nil {
			d.ExpectedHashrate = p.ghs(mStats, "miner_stats.nominal_hashrate", n.GigahashPerSecond)
		}
		if w := st.GetPowerStats().GetApproximatedConsumption(); w != nil {
			d.PowerWatts = drivers.Ptr(float64(w.Watt))
		}
	}
	if d.ExpectedHashrate == nil && s.Details.GetStickerHashrate() != nil {
		d.ExpectedHashrate = p.ghs(mDetails, "sticker_hashrate", s.Details.GetStickerHashrate().GigahashPerSecond)
	}
	p.hashboards(s.Hashboards)
	p.fans(s.Cooling)
	p.pools(s.PoolGroups)
	p.powerLimit(s)
	p.errors(s)
	if s.Locate != nil {
		d.FaultLight = drivers.Ptr(s.Locate.Enabled)
	}
	p.mining(s.Details)
	return d
}

type apiParser struct {
	d *drivers.MinerData
}

// num drops NaN, infinities and negative values, recording why.
func (p *apiParser) num(method, field string, v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		drivers.CommandFields(p.d, method).OutOfRange(field, v)
		return nil
	}
	return &v
}

func (p *apiParser) ghs(method, field string, v float64) *float64 {
	if f := p.num(method, field, v); f != nil {
		return hashunit.ToTHs(f, hashunit.GH)
	}
	return nil
}

// temp is a temperature in °C; 0 is how the firmware fills a sensor it
// does not have.
func (p *apiParser) temp(method, field string, t *bosapi.Temperature) *float64 {
	if t == nil || t.DegreeC == 0 {
		return nil
	}
	v := t.DegreeC
	if math.IsNaN(v) || math.IsInf(v, 0) || v < -60 || v > 250 {
		drivers.CommandFields(p.d, method).OutOfRange(field, v)
		return nil
	}
	return &v
}

func (p *apiParser) realHashrate(method, field string, r *bosapi.RealHashrate) *float64 {
	switch {
	case r.GetLast_1M() != nil:
		return p.ghs(method, field+".last_1m", r.GetLast_1M().GigahashPerSecond)
	case r.GetLast_5S() != nil:
		return p.ghs(method, field+".last_5s", r.GetLast_5S().GigahashPerSecond)
	}
	return nil
}

func (p *apiParser) details(det *bosapi.GetMinerDetailsResponse) {
	if det == nil {
		return
	}
	d := p.d
	d.MAC = drivers.NormalizeMAC(det.MacAddress)
	d.Hostname = strings.TrimSpace(det.Hostname)
	d.SerialNumber = strings.TrimSpace(det.GetSerialNumber())
	d.FirmwareVersion = bosVersion(det.GetBosVersion().GetCurrent())
	if det.BosminerUptimeS > 0 && det.BosminerUptimeS < math.MaxInt64 {
		d.UptimeSeconds = drivers.Ptr(int64(det.BosminerUptimeS))
	}
	id := det.GetMinerIdentity()
	raw := strings.TrimSpace(id.GetMinerModel())
	if raw == "" {
		raw = strings.TrimSpace(id.GetName())
	}
	lower := strings.ToLower(raw + " " + id.GetName())
	switch {
	case strings.Contains(lower, "braiins") || strings.Contains(lower, "bmm"):
		d.Make = "Braiins"
	case id.GetBrand() == bosapi.MinerBrand_MINER_BRAND_WHATSMINER || strings.Contains(lower, "whatsminer"):
		d.Make = "Whatsminer"
	}
	if raw != "" {
		if len(raw) > len("whatsminer ") && strings.EqualFold(raw[:len("whatsminer ")], "whatsminer ") {
			raw = raw[len("whatsminer "):]
		}
		d.Model = cleanModel(raw)
	}
}

// bosCalver finds the release ("24.09", "25.03.1") in a BOS version string
// such as "2024-09-02-0-ab2c2e0b-24.09-plus".
var bosCalver = regexp.MustCompile(`(?:^|-)(\d{2}\.\d{2}(?:\.\d+)?)(?:-|$)`)

func bosVersion(s string) string {
	s = strings.TrimSpace(s)
	if m := bosCalver.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

func (p *apiParser) hashboards(h *bosapi.GetHashboardsResponse) {
	if h == nil {
		return
	}
	hbs := h.GetHashboards()
	// Slots: the IDs are 1-based (6,7,8 on the S9); non-numeric IDs fall
	// back to their position.
	ids := make([]int, len(hbs))
	numeric := true
	minID := math.MaxInt
	for i, hb := range hbs {
		n, err := strconv.Atoi(strings.TrimSpace(hb.GetId()))
		if err != nil || n < 0 || n > 1000 {
			numeric = false
			break
		}
		ids[i] = n
		minID = min(minID, n)
	}
	offset := 0
	switch {
	case !numeric:
	case minID >= 6 && minID <= 8:
		offset = 6
	case minID >= 1:
		offset = 1
	}
	order := make([]int, len(hbs))
	for i := range order {
		order[i] = i
	}
	if numeric {
		sort.SliceStable(order, func(a, b int) bool { return ids[order[a]] < ids[order[b]] })
	}
	seen := map[int]bool{}
	for pos, i := range order {
		hb := hbs[i]
		slot := pos
		if numeric {
			slot = ids[i] - offset
		}
		if seen[slot] {
			drivers.CommandFields(p.d, mHashboards).Invalid("hashboards.id", fmt.Sprintf("board %q listed twice", hb.GetId()))
			continue
		}
		seen[slot] = true
		f := fmt.Sprintf("hashboards[%s]", hb.GetId())
		b := drivers.Board{
			Index:             slot,
			Active:            drivers.Ptr(hb.GetEnabled()),
			Hashrate:          p.realHashrate(mHashboards, f+".stats.real_hashrate", hb.GetStats().GetRealHashrate()),
			Temperature:       p.temp(mHashboards, f+".board_temp", hb.GetBoardTemp()),
			ChipTemperature:   p.temp(mHashboards, f+".highest_chip_temp", hb.GetHighestChipTemp().GetTemperature()),
			InletTemperature:  p.temp(mHashboards, f+".lowest_inlet_temp", hb.GetLowestInletTemp()),
			OutletTemperature: p.temp(mHashboards, f+".highest_outlet_temp", hb.GetHighestOutletTemp()),
			SerialNumber:      strings.TrimSpace(hb.GetSerialNumber()),
		}
		if n := hb.GetStats().GetNominalHashrate(); n != nil {
			b.ExpectedHashrate = p.ghs(mHashboards, f+".stats.nominal_hashrate", n.GigahashPerSecond)
		}
		if c := hb.GetChipsCount(); c != nil {
			b.Chips = drivers.Ptr(int64(c.Value))
		}
		if v := hb.GetCurrentVoltage(); v != nil {
			b.VoltageVolts = p.num(mHashboards, f+".current_voltage", v.Volt)
		}
		if fr := hb.GetCurrentFrequency(); fr != nil {
			if hz := p.num(mHashboards, f+".current_frequency", fr.Hertz); hz != nil {
				b.FrequencyMHz = drivers.Ptr(*hz / 1e6)
			}
		}
		p.d.Boards = append(p.d.Boards, b)
	}
	sort.SliceStable(p.d.Boards, func(a, b int) bool { return p.d.Boards[a].Index < p.d.Boards[b].Index })
}

func (p *apiParser) fans(c *bosapi.GetCoolingStateResponse) {
	if c == nil {
		return
	}
	seen := map[int]bool{}
	for i, f := range c.GetFans() {
		idx := i
		if f.Position != nil && f.GetPosition() < 64 {
			idx = int(f.GetPosition())
		}
		if seen[idx] {
			continue
		}
		seen[idx] = true
		fan := drivers.Fan{Index: idx, RPM: drivers.Ptr(int64(f.GetRpm()))}
		if f.TargetSpeedRatio != nil {
			if r := p.num(mCooling, fmt.Sprintf("fans[%d].target_speed_ratio", i), f.GetTargetSpeedRatio()); r != nil {
				fan.Percent = drivers.Ptr(*r * 100)
			}
		}
		p.d.Fans = append(p.d.Fans, fan)
	}
	sort.SliceStable(p.d.Fans, func(a, b int) bool { return p.d.Fans[a].Index < p.d.Fans[b].Index })
}

// pools flattens the groups in priority order; Index is the position in
// that flat list.
func (p *apiParser) pools(g *bosapi.GetPoolGroupsResponse) {
	if g == nil {
		return
	}
	p.d.Pools = []poolmetrics.Pool{}
	for _, grp := range g.GetPoolGroups() {
		for _, pl := range grp.GetPools() {
			pool := poolmetrics.Pool{
				Index:  len(p.d.Pools),
				URL:    poolmetrics.ParseURL(pl.GetUrl()),
				User:   pl.GetUser(),
				Active: drivers.Ptr(pl.GetActive()),
				Alive:  drivers.Ptr(pl.GetAlive()),
			}
			if st := pl.GetStats(); st != nil {
				pool.Accepted = u64(st.AcceptedShares)
				pool.Rejected = u64(st.RejectedShares)
				pool.Stale = u64(st.StaleShares)
			}
			p.d.Pools = append(p.d.Pools, pool)
		}
	}
}

func u64(v uint64) *int64 {
	if v > math.MaxInt64 {
		return nil
	}
	return drivers.Ptr(int64(v))
}

// powerLimit: the active performance mode's power target, else the tuner's
// current target, else the configured one.
func (p *apiParser) powerLimit(s *Snapshot) {
	var w *bosapi.Power
	switch {
	case s.PerfMode.GetTunerMode().GetPowerTarget().GetPowerTarget() != nil:
		w = s.PerfMode.GetTunerMode().GetPowerTarget().GetPowerTarget()
	case s.Tuner.GetPowerTargetModeState().GetCurrentTarget() != nil:
		w = s.Tuner.GetPowerTargetModeState().GetCurrentTarget()
	case s.PerfMode == nil && s.Config.GetTuner().GetTunerMode() == bosapi.TunerMode_TUNER_MODE_POWER_TARGET:
		w = s.Config.GetTuner().GetPowerTarget()
	}
	if w != nil && w.Watt > 0 {
		p.d.PowerLimitWatts = drivers.Ptr(float64(w.Watt))
	}
}

// errors come from GetErrors; without it, the tuner state is the error
// report (an ERROR state is one error). GetErrors is a log that outlives
// restarts (real replies hold weeks of entries, some stamped 2015 before
// the clock was set, and the same message every few minutes): what the
// miner reports now is the entries since bosminer started (At minus its
// uptime, with a minute's slack for the two clocks), each message once.
// An entry without a readable timestamp is kept.
func (p *apiParser) errors(s *Snapshot) {
	switch {
	case s.Errors != nil:
		p.d.Errors = []drivers.MinerError{}
		var since time.Time // zero: every entry (the time of reading or the uptime unknown)
		if up := p.d.UptimeSeconds; !s.At.IsZero() && up != nil && *up < int64(math.MaxInt64/time.Second) {
			since = s.At.Add(-time.Duration(*up)*time.Second - time.Minute)
		}
		seen := map[drivers.MinerError]bool{}
		for _, e := range s.Errors.GetErrors() {
			if ts, err := time.Parse(time.RFC3339Nano, e.GetTimestamp()); err == nil && ts.Before(since) {
				continue
			}
			me := drivers.MinerError{Message: strings.TrimSpace(e.GetMessage())}
			for _, c := range e.GetErrorCodes() {
				if c.GetCode() != "" {
					me.Code = c.GetCode()
					if me.Message == "" {
						me.Message = c.GetReason()
					}
					break
				}
			}
			if (me.Message == "" && me.Code == "") || seen[me] {
				continue
			}
			seen[me] = true
			p.d.Errors = append(p.d.Errors, me)
		}
	case s.Tuner != nil:
		p.d.Errors = []drivers.MinerError{}
		if s.Tuner.GetOverallTunerState() == bosapi.TunerState_TUNER_STATE_ERROR {
			p.d.Errors = append(p.d.Errors, drivers.MinerError{Code: "TUNER_STATE_ERROR", Message: "tuner: error"})
		}
	}
}

// mining: the miner's own status when it has one (NORMAL = mining), else
// any hashrate.
func (p *apiParser) mining(det *bosapi.GetMinerDetailsResponse) {
	d := p.d
	if det != nil && det.Status != bosapi.MinerStatus_MINER_STATUS_UNSPECIFIED {
		d.IsMining = drivers.Ptr(det.Status == bosapi.MinerStatus_MINER_STATUS_NORMAL)
		return
	}
	if h := d.TotalHashrate(); h != nil {
		d.IsMining = drivers.Ptr(*h > 0)
	}
}
