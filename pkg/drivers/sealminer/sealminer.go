// Package sealminer gathers Bitdeer SealMiner units (A2 ...) through their
// cgminer-style API on TCP 4028, spoken by Bitdeer's "bdminer". Only read
// commands are sent.
//
// Which command feeds which field (units as the miner sends them -> ours):
//   - version: VERSION[0].API -> APIVersion.
//   - summary: Elapsed (s) -> UptimeSeconds; "MHS 1m" (MH/s) -> Hashrate
//     only when stats has no "MHS(1m)".
//   - stats: one flat STATS entry. Miner keys: Model ("A2") -> Model,
//     Firmware ("2025091001") -> FirmwareVersion, MAC, "Ctrl Board SN" (the
//     control board's serial, the only unit serial reported) ->
//     SerialNumber, "MHS(1m)" (MH/s) -> Hashrate, "MHS(Ideal)" (MH/s) ->
//     ExpectedHashrate, "PSU Input Power" (W, at the wall) -> PowerWatts,
//     "Power Limit" (W) -> PowerLimitWatts, "PSU Fan Speed" (RPM) ->
//     PSUFanRPM, "PSU Temp AMB" (°C, the PSU's ambient sensor) ->
//     EnvTemperature, "Error Code" and "PSU Error" -> Errors. Board and fan
//     keys are flattened as "<n> <key>": per board n (0-based) "Chip Count"
//     -> Chips, "MHS(Sample)" (MH/s) -> Hashrate, "MHS(Ideal)" (MH/s) ->
//     ExpectedHashrate, "Temp 0".."Temp 3" (°C; the hottest, 0 = no sensor)
//     -> Temperature, Freq (MHz) -> FrequencyMHz, Online -> Active, SN ->
//     SerialNumber; per fan n "Speed" (RPM) -> RPM.
//   - pools: the standard cgminer mapping.
//
// Quirks handled: a slot is a board only when it has board keys (the A2
// lists "3 Speed" and "3 PWM" for its fourth fan, which is no board);
// stats "MHS(1m)" is preferred over summary "MHS 1m" because it is the
// chips' own measure and agrees with the sum of the boards, while the
// summary's follows accepted shares (197.6 against 220.3 TH/s on the
// capture). Not read: the boards' "Temp 0".."Temp 3" are not said to be
// inlet, outlet or chip sensors, so only the hottest is kept as the board
// temperature; "<n> PWM" and "Chip Voltage" have no documented scale; "Board
// Count" and "Fan Count" count what the firmware found, not what the model
// should have. The web UI (/cgi-bin/*.php behind a session cookie from
// login.php) repeats the same values except its LED state, and the login
// exchange has no real capture yet, so it is not read.
package sealminer

import (
	"context"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Name is the driver name.
const Name = "sealminer"

// Commands are asked in one joined request, one at a time when the
// firmware refuses the joined form.
var Commands = []string{"version", "summary", "stats", "pools"}

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{} })
}

// Driver is the SealMiner driver. It holds no state.
type Driver struct{}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather asks every command and parses what answered.
func (Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	return cgminer.Gather(ctx, t, Commands, Parse)
}
