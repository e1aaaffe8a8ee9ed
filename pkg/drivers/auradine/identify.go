package auradine

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How Auradine is told: its web UI ("Miner UI") or GCMiner/FluxOS naming
// itself in any RPC reply.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("miner ui") || e.RPCSays("GCMINER", "FLUXOS") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			// devdetails Model names the hardware; version Type may not.
			model := e.RPCField("devdetails", "DEVDETAILS", "Model")
			if model == "" {
				model = e.RPCModel()
			}
			return drivers.Identity{Make: "Auradine", Firmware: "stock", Model: model}
		},
	})
}
