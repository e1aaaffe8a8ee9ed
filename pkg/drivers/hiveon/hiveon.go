// Package hiveon is the driver for Hiveon firmware on Antminers, read
// through its bmminer API on TCP 4028.
//
// The replies are parsed by antminer.ParseBMMiner; Hiveon adds:
//   - Type "Antminer S9 Hiveon" -> Model "S9";
//   - stats chain_power ("1089.00 (AB)") and chain_powerN are NOT power:
//     they are the firmware's model of the boards' draw, not a wall reading
//     (a real S9 reply 69 s after start says 34.65 W at 11.8 TH/s), so the
//     power stays absent;
//   - on the T9, boards made of chain triples (2,9,10), (3,11,12), (4,13,14):
//     rates and chips summed, hottest temperatures; EnvTemperature = mean of
//     the non-zero temp3_N of those chains.
//
// Hiveon's bmminer says "rwglr" like MSKMiner's; "Hiveon" in Type tells them
// apart (that is the identifier's job; here the firmware tag is fixed).
package hiveon

import (
	"context"
	"strconv"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Name is the driver name.
const Name = "hiveon"

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{} })
}

// Driver gathers Hiveon firmware.
type Driver struct{}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather implements drivers.Driver.
func (Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	return cgminer.Gather(ctx, t, antminer.Commands, Parse)
}

// t9Chains are the chain numbers of each T9 board (slot 0, 1, 2).
var t9Chains = [][]int{{2, 9, 10}, {3, 11, 12}, {4, 13, 14}}

// layout keeps the T9 boards that have a present chain; an absent board
// leaves its slot empty.
func layout(stats jsonval.Obj, model string) [][]int {
	if model != "T9" {
		return nil
	}
	present := map[int]bool{}
	for _, n := range antminer.PresentChains(stats) {
		present[n] = true
	}
	out := make([][]int, len(t9Chains))
	for i, chains := range t9Chains {
		for _, n := range chains {
			if present[n] {
				out[i] = chains
				break
			}
		}
	}
	return out
}

var options = antminer.Options{Firmware: "hiveon", Layout: layout}

// Parse reads the replies to antminer.Commands from a Hiveon miner.
func Parse(b *cgminer.Batch) *drivers.MinerData {
	d := antminer.ParseBMMiner(b, options)
	if d.Model != "T9" {
		return d
	}
	r, err := b.Reply("stats")
	if err != nil {
		return d
	}
	_, data := antminer.StatsEntries(r)
	if data.IsNil() {
		return d
	}
	var sum float64
	n := 0
	for _, chains := range t9Chains {
		for _, c := range chains {
			if t := data.F("temp3_" + strconv.Itoa(c)); t != nil && *t != 0 && *t > -50 && *t < 200 {
				sum += *t
				n++
			}
		}
	}
	if n > 0 {
		d.EnvTemperature = drivers.Ptr(sum / float64(n))
	}
	return d
}
