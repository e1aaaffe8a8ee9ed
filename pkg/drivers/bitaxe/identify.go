package bitaxe

import (
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// How ESP-Miner (Bitaxe, LuckyMiner, NerdAxe) is told: AxeOS or "Lucky
// miner" in its web page, or /api/system/info (no login) answering with
// an ASICModel and ESP-Miner's own keys: a device whose page is not the
// one expected still answers it.
func init() {
	info := drivers.WebAsk(Path(Info))
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{drivers.If(info, drivers.All((*drivers.Evidence).RootOpen, drivers.Unsettled))},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("axeos", "lucky miner") {
				return drivers.Certain
			}
			o := e.WebJSON(info.What)
			_, asic := o.Lookup("ASICModel")
			_, board := o.Lookup("boardVersion")
			_, stratum := o.Lookup("stratumURL")
			if asic && (board || stratum) {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			o := e.WebJSON(info.What)
			d := &drivers.MinerData{Make: "Bitaxe"}
			if !o.IsNil() {
				identify(d, o.S("deviceModel", "minerModel"), "", o.S("ASICModel"), o.S("boardVersion"), o.S("hostname"))
			}
			return drivers.Identity{Make: d.Make, Firmware: "esp-miner", Model: d.Model}
		},
	})
}
