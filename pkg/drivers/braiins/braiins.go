// Package braiins gathers Braiins OS / OS+ miners through the bosminer (and
// BOSer) cgminer-style API on TCP 4028.
//
// Commands and what they feed (units after normalisation):
//   - version:     FirmwareVersion (the BOSer / BOSminer+ / BOSminer / BMMiner
//     value as sent), APIVersion (API); Type/platform ("am1-s9") as a model
//     fallback.
//   - summary:     Hashrate from "MHS 1m" (MH/s -> TH/s; the 1-minute average,
//     "MHS 5s" only when it is missing), UptimeSeconds from Elapsed (s).
//   - devs:        per board Hashrate "MHS 1m", ExpectedHashrate "Nominal MHS"
//     (MH/s -> TH/s), Active (Enabled and Status "Alive"); the miner's
//     ExpectedHashrate is the sum of the boards'; IsMining = any board > 0.
//   - devdetails:  Model ("Bitmain Antminer S9" -> "S9"), per board Chips,
//     FrequencyMHz (sent in Hz), VoltageVolts.
//   - temps:       per board Temperature (Board) and ChipTemperature (Chip),
//     °C; 0 means "no sensor" (bosminer without the tuner sends Chip 0).
//   - fans:        RPM and Speed (percent of PWM).
//   - tunerstatus: PowerWatts (ApproximateMinerPowerConsumption), PowerLimitWatts
//     (PowerLimit), and one MinerError per chain whose tuner Status is not a
//     normal one (stable, tuning, testing a profile).
//   - pools:       the standard cgminer POOLS mapping.
//
// Quirks handled: chain IDs are 6,7,8 on the S9 (am1) and 1,2,3 on later
// platforms, mapped to 0-based slots per command; bosminer lists four fan
// slots on a two-fan S9, so trailing 0 RPM slots are dropped; old versions
// lack devdetails/tunerstatus/devs ("Invalid command"), which is skipped
// silently; the firmware version is taken from any reply's STATUS
// Description when version itself is missing. The 4028 API carries no MAC,
// hostname, serial number or fault light.
package braiins

import (
	"context"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Name is the driver name and the firmware tag.
const Name = "braiins"

// Commands are asked in one joined request where the firmware allows it.
var Commands = []string{"version", "summary", "devs", "devdetails", "temps", "fans", "tunerstatus", "pools"}

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{} })
}

// Driver is the Braiins OS driver. The zero value is ready to use.
type Driver struct{}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather asks every command on t's RPC port and parses what answered.
func (Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	return cgminer.Gather(ctx, t, Commands, Parse)
}
