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

func baseTags(source string, d *drivers.MinerData) map[string]string {
	tags := map[string]string{"source": source}
	if d == nil {
		return tags
	}
	for k, v := range map[string]string{
		"mac": d.MAC, "hostname": d.Hostname, "make": d.Make, "model": d.Model,
		"firmware": d.Firmware, "algorithm": d.Algorithm,
	} {
		if v != "" {
			tags[k] = v
		}
	}
	return tags
}

func withTags(base map[string]string, extra ...string) map[string]string {
	t := make(map[string]string, len(base)+len(extra)/2)
	for k, v := range base {
		t[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			t[extra[i]] = extra[i+1]
		}
	}
	return t
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

	f := fields{}
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
		f := fields{}
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
			acc.AddFields("asic_hashboard", f, withTags(base, "board", strconv.Itoa(b.Index)), now)
		}
	}

	for _, fan := range d.Fans {
		f := fields{}
		f.int("speed_rpm", fan.RPM)
		f.float("speed_percent", fan.Percent)
		if len(f) > 0 {
			acc.AddFields("asic_fan", f, withTags(base, "fan", strconv.Itoa(fan.Index)), now)
		}
	}

	for _, p := range d.Pools {
		f := fields{}
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
		tags := withTags(base, "index", strconv.Itoa(p.Index), "host", p.URL.Host, "scheme", p.URL.Scheme, "user", p.User)
		acc.AddFields("asic_pool", f, tags, now)
	}

	for _, e := range d.Errors {
		acc.AddFields("asic_error", map[string]any{"message": e.Message}, withTags(base, "code", e.Code), now)
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
	acc.AddFields("asic_status", f, withTags(baseTags(source, d), "result", result), now)
}
