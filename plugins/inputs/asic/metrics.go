package asic

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Field types are fixed per field (the schema in README.md): counts are
// int64, measurements float64, flags bool, text string.

// One tags map and one fields map serve all of a miner's points: every
// Accumulator the plugin runs under (Telegraf's agent and asic-execd through
// metric.New, testutil) copies them in AddFields, so the per-point copies
// of the base tags were garbage.

// baseTags are the tags of every point of a miner, in a map with room for
// the one to four tags a point adds (tagged).
func baseTags(source string, d *drivers.MinerData) map[string]string {
	tags := make(map[string]string, 12)
	tags["source"] = source
	if d == nil {
		return tags
	}
	set := func(k, v string) {
		if v != "" {
			tags[k] = v
		}
	}
	set("mac", d.MAC)
	set("hostname", d.Hostname)
	set("make", d.Make)
	set("model", d.Model)
	set("firmware", d.Firmware)
	set("algorithm", d.Algorithm)
	return tags
}

// tagged adds a point's own tags (key, value pairs; empty values are left
// out) to base for one AddFields and returns the function that takes them
// away again. None of them is a base tag.
func tagged(base map[string]string, extra ...string) func() {
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			base[extra[i]] = extra[i+1]
		}
	}
	return func() {
		for i := 0; i+1 < len(extra); i += 2 {
			delete(base, extra[i])
		}
	}
}

type fields map[string]any

func (f fields) float(name string, v *float64) {
	if v != nil {
		f[name] = *v
	}
}

func (f fields) int(name string, v *int64) {
	if v != nil {
		f[name] = *v
	}
}

func (f fields) bool(name string, v *bool) {
	if v != nil {
		f[name] = *v
	}
}

func (f fields) str(name, v string) {
	if v != "" {
		f[name] = v
	}
}

func addMiner(acc telegraf.Accumulator, source string, d *drivers.MinerData, now time.Time) {
	base := baseTags(source, d)

	f := make(fields, 32)
	hr := d.TotalHashrate()
	exp := d.TotalExpectedHashrate()
	f.float("hashrate_ths", hr)
	f.float("expected_hashrate_ths", exp)
	if hr != nil && exp != nil && *exp > 0 {
		f["hashrate_percent"] = *hr / *exp * 100
	}
	f.float("power_watts", d.PowerWatts)
	f.float("power_limit_watts", d.PowerLimitWatts)
	if d.PowerWatts != nil && hr != nil && *hr > 0 {
		f["efficiency_j_per_th"] = *d.PowerWatts / *hr
	}
	f.float("temperature_celsius", d.MeanBoardTemperature())
	f.float("temperature_max_celsius", d.MaxBoardTemperature())
	f.float("chip_temperature_max_celsius", d.MaxChipTemperature())
	f.float("env_temperature_celsius", d.EnvTemperature)
	f.float("coolant_inlet_temperature_celsius", d.CoolantInletTemperature)
	f.float("coolant_outlet_temperature_celsius", d.CoolantOutletTemperature)
	f.int("psu_fan_speed_rpm", d.PSUFanRPM)
	if d.Boards != nil {
		f["boards"] = int64(len(d.Boards))
	}
	f.int("expected_boards", d.ExpectedBoards)
	f.int("chips", d.TotalChips())
	f.int("expected_chips", d.ExpectedChips)
	if d.Fans != nil {
		f["fans"] = int64(len(d.Fans))
	}
	f.int("expected_fans", d.ExpectedFans)
	f.int("uptime_seconds", d.UptimeSeconds)
	f.bool("is_mining", d.IsMining)
	f.bool("fault_light", d.FaultLight)
	if d.Errors != nil {
		f["errors"] = int64(len(d.Errors))
	}
	f.str("firmware_version", d.FirmwareVersion)
	f.str("api_version", d.APIVersion)
	f.str("serial_number", d.SerialNumber)
	if len(f) > 0 {
		acc.AddFields("asic", f, base, now)
	}

	for _, b := range d.Boards {
		clear(f)
		f.float("hashrate_ths", b.Hashrate)
		f.float("expected_hashrate_ths", b.ExpectedHashrate)
		f.float("temperature_celsius", b.Temperature)
		f.float("chip_temperature_celsius", b.ChipTemperature)
		f.float("inlet_temperature_celsius", b.InletTemperature)
		f.float("outlet_temperature_celsius", b.OutletTemperature)
		f.int("chips", b.Chips)
		f.int("expected_chips", b.ExpectedChips)
		f.float("voltage_volts", b.VoltageVolts)
		f.float("frequency_mhz", b.FrequencyMHz)
		f.bool("active", b.Active)
		f.str("serial_number", b.SerialNumber)
		if len(f) > 0 {
			untag := tagged(base, "board", strconv.Itoa(b.Index))
			acc.AddFields("asic_hashboard", f, base, now)
			untag()
		}
	}

	for _, fan := range d.Fans {
		clear(f)
		f.int("speed_rpm", fan.RPM)
		f.float("speed_percent", fan.Percent)
		if len(f) > 0 {
			untag := tagged(base, "fan", strconv.Itoa(fan.Index))
			acc.AddFields("asic_fan", f, base, now)
			untag()
		}
	}

	for _, p := range d.Pools {
		clear(f)
		f.str("url", p.URL.Raw)
		if p.URL.Port > 0 {
			f["port"] = int64(p.URL.Port)
		}
		f.int("accepted", p.Accepted)
		f.int("rejected", p.Rejected)
		f.int("stale", p.Stale)
		f.int("get_failures", p.GetFailures)
		f.int("remote_failures", p.RemoteFailures)
		f.bool("active", p.Active)
		f.bool("alive", p.Alive)
		if v, ok := p.RejectedPercent(); ok {
			f["rejected_percent"] = v
		}
		if v, ok := p.StalePercent(); ok {
			f["stale_percent"] = v
		}
		f.str("pubkey", p.URL.Pubkey)
		untag := tagged(base, "index", strconv.Itoa(p.Index), "host", p.URL.Host, "scheme", p.URL.Scheme, "user", p.User)
		acc.AddFields("asic_pool", f, base, now)
		untag()
	}

	for _, e := range d.Errors {
		clear(f)
		f["message"] = e.Message
		untag := tagged(base, "code", e.Code)
		acc.AddFields("asic_error", f, base, now)
		untag()
	}
}

// maxStatusError bounds the error text of one asic_status point.
const maxStatusError = 1024

func addStatus(acc telegraf.Accumulator, source string, d *drivers.MinerData, err error, problems []error,
	elapsed time.Duration, now time.Time) {
	result := drivers.Result(err)
	f := map[string]any{
		"up":                    err == nil,
		"response_time_seconds": elapsed.Seconds(),
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	} else if len(problems) > 0 {
		msg = "partial data: " + errors.Join(problems...).Error()
	}
	if msg != "" {
		msg = strings.ReplaceAll(msg, "\n", "; ")
		if len(msg) > maxStatusError {
			// Cut on a rune boundary: a miner's message may be Chinese, and
			// half a character is invalid UTF-8 the line protocol refuses.
			msg = strings.ToValidUTF8(msg[:maxStatusError], "") + "..."
		}
		f["error"] = msg
	}
	tags := baseTags(source, d)
	tags["result"] = result
	acc.AddFields("asic_status", f, tags, now)
}
