package hammer

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How Hammer (and VolcMiner) is told: the "blackMiner" realm of its web
// UI, or its ccminer's version Type "Hammer D10" (TCP 8359 when the RPC
// port is configured so).
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RealmSays("blackminer") || e.RPCSays(`"HAMMER `) {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "Hammer", Firmware: "stock", Model: e.RPCModel()}
		},
	})
}
