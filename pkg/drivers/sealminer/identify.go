package sealminer

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How a SealMiner is told: its cgminer API names its program, "bdminer",
// in every reply's STATUS Description (and VERSION's "BDMiner" key).
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RPCSays("BDMINER") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: Make, Firmware: "stock", Model: e.RPCField("stats", "STATS", "Model")}
		},
	})
}
