package braiins

import (
	"fmt"
	"math"
	"strings"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/braiins/bosapi"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// ParseREST turns the REST bodies of one gather into MinerData. It does no
// I/O. The REST API is the gRPC one in JSON (snake_case names, enums as
// numbers, oneofs nested under lower-case variant names such as
// "tunermode"/"powertarget"), so each body is read into the gRPC message
// and ParseAPI does the rest. A field of the wrong type is dropped with a
// Problem; a body that is not JSON drops that method only.
func ParseREST(r *RESTReplies) *drivers.MinerData {
	if r == nil {
		r = &RESTReplies{}
	}
	rp := &restParser{s: &Snapshot{At: r.At}}
	rp.s.Problems = append(rp.s.Problems, r.Failed...)
	for _, m := range []string{mDetails, mStats, mHashboards, mErrors, mCooling, mPools, mPerfMode, mTuner, mConfig, mLocate, mVersion} {
		body, ok := r.Bodies[m]
		if !ok {
			continue
		}
		v, err := jsonval.Decode(body)
		if err != nil {
			rp.problem(m, "", "not JSON: %v", err)
			continue
		}
		rp.method = m
		rp.body(m, v)
	}
	return ParseAPI(rp.s)
}

type restParser struct {
	s      *Snapshot
	method string
}

// problem words a problem as drivers.Fields does; the snapshot keeps it
// until ParseAPI moves it into the MinerData.
func (rp *restParser) problem(method, field, format string, args ...any) {
	d := &drivers.MinerData{}
	drivers.CommandFields(d, method).Invalid(field, fmt.Sprintf(format, args...))
	rp.s.Problems = append(rp.s.Problems, d.Problems...)
}

func (rp *restParser) body(m string, v any) {
	if m == mLocate {
		// A bare boolean.
		if b := jsonval.Bool(v); b != nil {
			rp.s.Locate = &bosapi.LocateDeviceStatusResponse{Enabled: *b}
		} else {
			rp.problem(m, "", "not a boolean")
		}
		return
	}
	if m == mPools {
		// A bare array of groups.
		list, ok := v.([]any)
		if !ok {
			if o, isObj := v.(jsonval.Obj); isObj {
				list = o.L("pool_groups", "poolGroups")
			}
			if list == nil {
				rp.problem(m, "", "not a list of pool groups")
				return
			}
		}
		rp.s.PoolGroups = &bosapi.GetPoolGroupsResponse{}
		for i, g := range list {
			o, ok := g.(jsonval.Obj)
			if !ok {
				rp.problem(m, fmt.Sprintf("[%d]", i), "not an object")
				continue
			}
			rp.s.PoolGroups.PoolGroups = append(rp.s.PoolGroups.PoolGroups, rp.poolGroup(fmt.Sprintf("[%d]", i), o))
		}
		return
	}
	mo, ok := v.(jsonval.Obj)
	if !ok {
		rp.problem(m, "", "not a JSON object")
		return
	}
	o := jsonval.Obj(mo)
	switch m {
	case mDetails:
		rp.s.Details = rp.details(o)
	case mStats:
		rp.s.Stats = &bosapi.GetMinerStatsResponse{
			MinerStats: rp.workStats("miner_stats", o.O("miner_stats")),
		}
		if ps := o.O("power_stats"); !ps.IsNil() {
			rp.s.Stats.PowerStats = &bosapi.MinerPowerStats{ApproximatedConsumption: rp.power("power_stats.approximated_consumption", ps.O("approximated_consumption"))}
		}
	case mHashboards:
		rp.s.Hashboards = &bosapi.GetHashboardsResponse{}
		for i, hb := range rp.objs("hashboards", o) {
			rp.s.Hashboards.Hashboards = append(rp.s.Hashboards.Hashboards, rp.hashboard(fmt.Sprintf("hashboards[%d]", i), hb))
		}
	case mErrors:
		rp.s.Errors = &bosapi.GetErrorsResponse{}
		for i, e := range rp.objs("errors", o) {
			me := &bosapi.MinerError{Timestamp: rp.str(fmt.Sprintf("errors[%d].timestamp", i), e, "timestamp"), Message: rp.str(fmt.Sprintf("errors[%d].message", i), e, "message")}
			for _, c := range e.Objs("error_codes") {
				me.ErrorCodes = append(me.ErrorCodes, &bosapi.ErrorCode{Code: c.S("code"), Reason: c.S("reason"), Hint: c.S("hint")})
			}
			rp.s.Errors.Errors = append(rp.s.Errors.Errors, me)
		}
	case mCooling:
		rp.s.Cooling = &bosapi.GetCoolingStateResponse{}
		for i, f := range rp.objs("fans", o) {
			field := fmt.Sprintf("fans[%d]", i)
			fs := &bosapi.FanState{}
			if v := rp.uint(field+".rpm", f, math.MaxUint32, "rpm"); v != nil {
				fs.Rpm = uint32(*v)
			} else {
				continue // a fan without RPM says nothing
			}
			if v := rp.uint(field+".position", f, math.MaxUint32, "position"); v != nil {
				fs.Position = drivers.Ptr(uint32(*v))
			}
			if v := rp.float(field+".target_speed_ratio", f, "target_speed_ratio"); v != nil {
				fs.TargetSpeedRatio = v
			}
			rp.s.Cooling.Fans = append(rp.s.Cooling.Fans, fs)
		}
	case mPerfMode:
		rp.s.PerfMode = &bosapi.PerformanceMode{}
		if tm := o.O("tunermode", "tuner_mode"); !tm.IsNil() {
			target := tm.O("target")
			if target.IsNil() {
				target = tm
			}
			if pt := target.O("powertarget", "power_target"); !pt.IsNil() {
				rp.s.PerfMode.Mode = &bosapi.PerformanceMode_TunerMode{TunerMode: &bosapi.TunerPerformanceMode{
					Target: &bosapi.TunerPerformanceMode_PowerTarget{PowerTarget: &bosapi.PowerTargetMode{
						PowerTarget: rp.power("tunermode.target.powertarget.power_target", pt.O("power_target")),
					}},
				}}
			}
		}
	case mTuner:
		rp.s.Tuner = &bosapi.GetTunerStateResponse{}
		if v := rp.uint("overall_tuner_state", o, 100, "overall_tuner_state"); v != nil {
			rp.s.Tuner.OverallTunerState = bosapi.TunerState(*v)
		}
		ms := o.O("mode_state")
		if ms.IsNil() {
			ms = o
		}
		if pt := ms.O("powertargetmodestate", "power_target_mode_state"); !pt.IsNil() {
			rp.s.Tuner.ModeState = &bosapi.GetTunerStateResponse_PowerTargetModeState{PowerTargetModeState: &bosapi.PowerTargetModeState{
				CurrentTarget: rp.power("mode_state.powertargetmodestate.current_target", pt.O("current_target")),
			}}
		}
	case mConfig:
		rp.s.Config = &bosapi.GetMinerConfigurationResponse{}
		if tc := o.O("tuner"); !tc.IsNil() {
			t := &bosapi.TunerConfiguration{PowerTarget: rp.power("tuner.power_target", tc.O("power_target"))}
			if v := rp.uint("tuner.tuner_mode", tc, 100, "tuner_mode"); v != nil {
				t.TunerMode = drivers.Ptr(bosapi.TunerMode(*v))
			}
			rp.s.Config.Tuner = t
		}
	case mVersion:
		v := &bosapi.ApiVersion{Pre: o.S("pre")}
		for _, f := range []struct {
			name string
			dst  *uint64
		}{{"major", &v.Major}, {"minor", &v.Minor}, {"patch", &v.Patch}} {
			if n := rp.uint(f.name, o, 1<<20, f.name); n != nil {
				*f.dst = *n
			}
		}
		rp.s.APIVersion = v
	}
}

// objs is a list of objects under key; a non-list is a Problem.
func (rp *restParser) objs(key string, o jsonval.Obj) []jsonval.Obj {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		rp.problem(rp.method, key, "not a list")
		return nil
	}
	out := make([]jsonval.Obj, 0, len(list))
	for i, e := range list {
		m, ok := e.(jsonval.Obj)
		if !ok {
			rp.problem(rp.method, fmt.Sprintf("%s[%d]", key, i), "not an object")
			continue
		}
		out = append(out, m)
	}
	return out
}

// float reads a present number; a value of another type is a Problem.
func (rp *restParser) float(field string, o jsonval.Obj, key string) *float64 {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		return nil
	}
	f := jsonval.Float(v)
	if f == nil {
		rp.problem(rp.method, field, "not a number: %.40q", fmt.Sprint(v))
	}
	return f
}

// uint reads a present non-negative integer no larger than limit.
func (rp *restParser) uint(field string, o jsonval.Obj, limit uint64, key string) *uint64 {
	f := rp.float(field, o, key)
	if f == nil {
		return nil
	}
	if *f < 0 || *f > float64(limit) || *f != math.Trunc(*f) {
		rp.problem(rp.method, field, "out of range: %v", *f)
		return nil
	}
	return drivers.Ptr(uint64(*f))
}

func (rp *restParser) str(field string, o jsonval.Obj, key string) string {
	v, ok := o.Lookup(key)
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		rp.problem(rp.method, field, "not a string")
		return ""
	}
	return s
}

// The unit messages: an object with one number.

func (rp *restParser) gh(field string, o jsonval.Obj) *bosapi.GigaHashrate {
	if o.IsNil() {
		return nil
	}
	if v := rp.float(field+".gigahash_per_second", o, "gigahash_per_second"); v != nil {
		return &bosapi.GigaHashrate{GigahashPerSecond: *v}
	}
	return nil
}

func (rp *restParser) tempMsg(field string, o jsonval.Obj) *bosapi.Temperature {
	if o.IsNil() {
		return nil
	}
	if v := rp.float(field+".degree_c", o, "degree_c"); v != nil {
		return &bosapi.Temperature{DegreeC: *v}
	}
	return nil
}

func (rp *restParser) power(field string, o jsonval.Obj) *bosapi.Power {
	if o.IsNil() {
		return nil
	}
	if v := rp.uint(field+".watt", o, 1<<40, "watt"); v != nil {
		return &bosapi.Power{Watt: *v}
	}
	return nil
}

func (rp *restParser) workStats(field string, o jsonval.Obj) *bosapi.WorkSolverStats {
	if o.IsNil() {
		return nil
	}
	ws := &bosapi.WorkSolverStats{NominalHashrate: rp.gh(field+".nominal_hashrate", o.O("nominal_hashrate"))}
	if rh := o.O("real_hashrate"); !rh.IsNil() {
		ws.RealHashrate = &bosapi.RealHashrate{
			Last_5S: rp.gh(field+".real_hashrate.last_5s", rh.O("last_5s")),
			Last_1M: rp.gh(field+".real_hashrate.last_1m", rh.O("last_1m")),
		}
	}
	return ws
}

func (rp *restParser) details(o jsonval.Obj) *bosapi.GetMinerDetailsResponse {
	d := &bosapi.GetMinerDetailsResponse{
		Uid:             rp.str("uid", o, "uid"),
		Hostname:        rp.str("hostname", o, "hostname"),
		MacAddress:      rp.str("mac_address", o, "mac_address"),
		StickerHashrate: rp.gh("sticker_hashrate", o.O("sticker_hashrate")),
	}
	if s := rp.str("serial_number", o, "serial_number"); s != "" {
		d.SerialNumber = &s
	}
	if id := o.O("miner_identity"); !id.IsNil() {
		d.MinerIdentity = &bosapi.MinerIdentity{Name: rp.str("miner_identity.name", id, "name"), MinerModel: rp.str("miner_identity.miner_model", id, "miner_model")}
		if v := rp.uint("miner_identity.brand", id, 100, "brand"); v != nil {
			d.MinerIdentity.Brand = bosapi.MinerBrand(*v)
		}
	}
	if bv := o.O("bos_version"); !bv.IsNil() {
		d.BosVersion = &bosapi.BosVersion{Current: rp.str("bos_version.current", bv, "current"), Major: rp.str("bos_version.major", bv, "major")}
	}
	if v := rp.uint("bosminer_uptime_s", o, math.MaxInt64/2, "bosminer_uptime_s"); v != nil {
		d.BosminerUptimeS = *v
	}
	if v := rp.uint("system_uptime_s", o, math.MaxInt64/2, "system_uptime_s"); v != nil {
		d.SystemUptimeS = *v
	}
	if v := rp.uint("status", o, 100, "status"); v != nil {
		d.Status = bosapi.MinerStatus(*v)
	}
	return d
}

func (rp *restParser) hashboard(field string, o jsonval.Obj) *bosapi.Hashboard {
	hb := &bosapi.Hashboard{
		Id:                strings.TrimSpace(jsonval.String(o.V("id"))),
		Stats:             rp.workStats(field+".stats", o.O("stats")),
		BoardTemp:         rp.tempMsg(field+".board_temp", o.O("board_temp")),
		LowestInletTemp:   rp.tempMsg(field+".lowest_inlet_temp", o.O("lowest_inlet_temp")),
		HighestOutletTemp: rp.tempMsg(field+".highest_outlet_temp", o.O("highest_outlet_temp")),
	}
	if b := o.B("enabled"); b != nil {
		hb.Enabled = *b
	}
	if v := rp.uint(field+".chips_count", o, math.MaxUint32, "chips_count"); v != nil {
		hb.ChipsCount = wrapperspb.UInt32(uint32(*v))
	}
	if v := o.O("current_voltage"); !v.IsNil() {
		if f := rp.float(field+".current_voltage.volt", v, "volt"); f != nil {
			hb.CurrentVoltage = &bosapi.Voltage{Volt: *f}
		}
	}
	if v := o.O("current_frequency"); !v.IsNil() {
		if f := rp.float(field+".current_frequency.hertz", v, "hertz"); f != nil {
			hb.CurrentFrequency = &bosapi.Frequency{Hertz: *f}
		}
	}
	if hc := o.O("highest_chip_temp"); !hc.IsNil() {
		hb.HighestChipTemp = &bosapi.TemperatureSensor{Temperature: rp.tempMsg(field+".highest_chip_temp.temperature", hc.O("temperature"))}
	}
	if s := rp.str(field+".serial_number", o, "serial_number"); s != "" {
		hb.SerialNumber = &s
	}
	return hb
}

func (rp *restParser) poolGroup(field string, o jsonval.Obj) *bosapi.PoolGroup {
	g := &bosapi.PoolGroup{Name: rp.str(field+".name", o, "name"), Uid: rp.str(field+".uid", o, "uid")}
	for i, p := range rp.objs("pools", o) {
		f := fmt.Sprintf("%s.pools[%d]", field, i)
		pool := &bosapi.Pool{Uid: rp.str(f+".uid", p, "uid"), Url: rp.str(f+".url", p, "url"), User: rp.str(f+".user", p, "user")}
		for _, b := range []struct {
			key string
			dst *bool
		}{{"enabled", &pool.Enabled}, {"alive", &pool.Alive}, {"active", &pool.Active}} {
			if v := p.B(b.key); v != nil {
				*b.dst = *v
			}
		}
		if st := p.O("stats"); !st.IsNil() {
			pool.Stats = &bosapi.PoolStats{}
			for _, c := range []struct {
				key string
				dst *uint64
			}{{"accepted_shares", &pool.Stats.AcceptedShares}, {"rejected_shares", &pool.Stats.RejectedShares}, {"stale_shares", &pool.Stats.StaleShares}} {
				if v := rp.uint(f+".stats."+c.key, st, math.MaxInt64/2, c.key); v != nil {
					*c.dst = *v
				}
			}
		}
		g.Pools = append(g.Pools, pool)
	}
	return g
}
