package innosilicon

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How Innosilicon is told: its DragonMint web UI, or innominer naming
// itself in any RPC reply. Its /api/type needs a login: not asked.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("dragonmint") || e.RPCSays("INNOMINER") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "Innosilicon", Firmware: "stock", Model: e.RPCModel()}
		},
	})
}
