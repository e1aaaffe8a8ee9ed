// Package avalon gathers Canaan AvalonMiner stock firmware (cgminer with the
// Avalon driver) over the cgminer JSON API on TCP 4028.
//
// One connection asks "version+summary+devs+pools+estats"; firmware that
// rejects "+" is asked one command per connection, and firmware without
// estats is asked "stats", which carries the same data. A miner that
// refuses every command but stats (devs included) is read from stats alone.
// Kept per miner between gathers (dropped by Forget): that its firmware has
// no estats, for 10 minutes (statsTTL), so its later gathers ask
// "version+summary+devs+pools+stats" in one connection instead of the
// estats request and then stats (Avalon's cgminer joins stats with other
// commands: the captured 10xx reply to "pools+summary+stats"). When that
// joined stats is missing from an answered reply, the memory is dropped.
//
//   - version: Model (MODEL, else PROD without "AvalonMiner "), MAC (12 hex
//     digits), FirmwareVersion (VERSION/LVERSION), APIVersion, SerialNumber (DNA).
//   - devs: Hashrate = sum of "MHS 1m" (the 1-minute average; MH/s -> TH/s),
//     falling back to summary's, then to the blobs' GHSspd (current speed),
//     then GHSavg (average since start). DEVS Temperature (-273 or 0) is
//     never read.
//   - summary: UptimeSeconds (Elapsed, cgminer's own uptime).
//   - pools: the standard cgminer pool list.
//   - estats/stats: each STATS entry carries "MM ID<n>" (also "MM ID0:Summary",
//     plus "HBinfo" on the Avalon Q) text blobs of Key[value] tokens, one per
//     module. From A10 on a module is the whole miner and lists its boards:
//     MGHS (board GH/s, average since start: they sum to GHSavg; a
//     one-board miner's board takes GHSspd, the current speed), MTmax (hottest chip °C), MTavg (chip mean °C),
//     HBITemp/HBOTemp (board inlet/outlet °C), PVT_T<b> (per-chip °C, chips =
//     non-zero readings), ECHU (per-board error bits). On 7xx/8xx/9xx a
//     controller drives many single-board modules (MM ID1..n across AUC
//     entries); each module becomes one board (GHSmm, TMax, Temp, Freq, DNA).
//     Miner level: GHSmm -> ExpectedHashrate (GH/s), Temp (Avalon Q: ITemp)
//     -> EnvTemperature,
//     Fan1..FanN / Fan (RPM) with FanR (%), WALLPOWER (else PS[6], the
//     supply's input W, where PS[4] is its output; see psWall) ->
//     PowerWatts, MPO ->
//     PowerLimitWatts, Led (1 = on) -> FaultLight, SYSTEMSTATU "In Work" ->
//     IsMining, ECMM (controller error bits), Ver/LVer -> firmware and model
//     when version is missing.
//
// Not read: a PSU fan speed (no Avalon reply seen carries one) and the
// 10xx PS[] list's output power PS[4] (the supply's DC side, not the wall).
//
// Quirks handled: bare nan in replies (repaired by the transport), a blob
// token glued to the previous one ("Elapsed[1]BOOTBY[1]"), keys with spaces
// ("Nonce Mask"), and MGHS being the average since start, which the board
// keeps showing after the miner stops (then the boards read 0).
package avalon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Name is the driver name used in configuration.
const Name = "avalon"

func init() {
	drivers.Register(Name, func() drivers.Driver { return &Driver{} })
}

// Driver gathers AvalonMiner stock firmware.
type Driver struct {
	// noEstats: per miner (host, then its RPC address), when its firmware
	// was last seen without estats.
	noEstats minercache.Cache[time.Time]
}

// statsTTL is how long a miner without estats is asked stats joined
// straight away: a firmware upgrade that adds estats is read within it.
const statsTTL = 10 * time.Minute

// Name implements drivers.Driver.
func (*Driver) Name() string { return Name }

// Commands asked of every miner, in one joined request when possible.
var Commands = []string{"version", "summary", "devs", "pools", "estats"}

// statsCommands are asked, joined, of a miner known to have no estats.
var statsCommands = []string{"version", "summary", "devs", "pools", "stats"}

// Gather implements drivers.Driver.
func (d *Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	addr := t.RPCAddr()
	c := &cgminer.Client{Addr: addr}
	if seen, ok := d.noEstats.Get(t.Host, addr); ok && time.Since(seen) < statsTTL {
		b := c.Multi(ctx, statsCommands...)
		if _, err := b.Reply("stats"); err != nil && apiAnswered(b, statsCommands) {
			d.noEstats.Delete(t.Host, addr)
		}
		if err := b.Err(); err != nil {
			return nil, fmt.Errorf("avalon: %w", err)
		}
		return Parse(b), nil
	}
	b := c.Multi(ctx, Commands...)
	if _, err := b.Reply("estats"); err != nil && ctx.Err() == nil && apiAnswered(b, Commands) {
		// Older firmware has no estats; stats carries the same blobs. Some
		// answer stats and refuse every other command (devs included): that
		// miner is still read from stats.
		b.Fill(c.Multi(ctx, "stats"))
		if _, err := b.Reply("stats"); err == nil {
			d.noEstats.Put(t.Host, addr, time.Now())
		}
	}
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("avalon: %w", err)
	}
	return Parse(b), nil
}

// apiAnswered tells whether the miner spoke its API: a reply, or a refusal
// of a command in its STATUS (not a timeout or a refused connection).
func apiAnswered(b *cgminer.Batch, cmds []string) bool {
	for _, cmd := range cmds {
		_, err := b.Reply(cmd)
		var api *drivers.APIError
		if err == nil || errors.As(err, &api) {
			return true
		}
	}
	return false
}

// Forget implements drivers.Forgetter: drops whether host's firmware has
// estats.
func (d *Driver) Forget(host string) { d.noEstats.Forget(host) }
