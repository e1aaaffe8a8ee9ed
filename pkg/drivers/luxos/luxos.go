// Package luxos gathers Antminers running Luxor's LuxOS (LUXminer) through
// its cgminer-style API on TCP 4028. Only read commands are sent; LuxOS
// needs a session for writes and this driver never opens one.
//
// Which command feeds which field (units as the miner sends them -> ours):
//   - version: LUXminer -> FirmwareVersion, API -> APIVersion, Type
//     ("Antminer S19k Pro") -> Model "S19k Pro".
//   - config: MACAddr -> MAC, Hostname, SerialNumber, RedLed -> FaultLight,
//     Profile (looked up in profiles) -> PowerLimitWatts, CurtailMode ->
//     IsMining.
//   - profiles: the current profile's Watts -> PowerLimitWatts (W).
//   - summary: "GHS 1m" (GH/s, 1-minute average; "GHS 5s" when absent) ->
//     Hashrate TH/s; Elapsed (s) -> UptimeSeconds.
//   - stats (STATS[1]): total_rateideal in rate_unit -> ExpectedHashrate;
//     per chain N (1-based, board N-1): chain_acnN -> Chips, freqN (MHz),
//     temp_pcbN / temp_chipN dash strings ("47-34-34-47", a 0 is a missing
//     sensor) -> board/chip temperature, chain_rateN as the last hashrate
//     fallback; fan1..fan_num when the fans command is missing; miner_id
//     (the MAC without separators) when config is missing.
//   - devs: per board (ID, 0-based) "MHS 1m" (MH/s) -> Hashrate, "Nominal
//     MHS" -> ExpectedHashrate, SerialNumber, Status -> Active.
//   - temps: per board sensors named in METADATA ("Board Intake (top)",
//     "Board Exhaust (bottom)", ...): hottest -> Temperature, intake ->
//     InletTemperature, exhaust -> OutletTemperature (°C).
//   - power: POWER[0].Watts -> PowerWatts.
//   - fans: FANS[].ID -> Index, RPM, Speed (%) -> Percent.
//   - pools: the standard cgminer mapping.
//   - events: the events happening now (LuxOS drops an event once its cause
//     is gone, so this is state, not history) -> Errors.
//
// Quirks handled: stats chain_rateN is the average since start (it equals
// devs "MHS av"), so devs "MHS 1m" is preferred per board; stats "total
// rate" is the mean of the chains, not their sum, and is not used; the
// unused chain slot 4 is padding (all zero) and is not a board; temps,
// power, fans, profiles and events may be missing on older LUXminer
// versions, so their "invalid command" answer is skipped silently; config
// RedLed "auto" (the default: the firmware drives the LED) is not a lit
// fault light.
package luxos

import (
	"context"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Name is the driver name and the firmware tag.
const Name = "luxos"

// Commands are asked in one joined request; LuxOS answers "a+b+..."
// with one section per command.
var Commands = []string{
	"version", "config", "summary", "stats", "devs", "pools",
	"power", "fans", "temps", "profiles", "events",
}

// optional commands are absent from some LUXminer versions; their
// "invalid command" reply is not a problem.
var optional = map[string]bool{
	"power": true, "fans": true, "temps": true, "profiles": true, "events": true,
}

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{} })
}

// Driver is the LuxOS driver. It holds no state.
type Driver struct{}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather asks every command in one joined request and parses the replies.
func (Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	return cgminer.Gather(ctx, t, Commands, Parse)
}
