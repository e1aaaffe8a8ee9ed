package luxos

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How LuxOS is told: its web UI ("Luxor Firmware") or LUXminer naming
// itself in any RPC reply.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("luxor firmware") || e.RPCSays("LUXMINER") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "Antminer", Firmware: "luxos", Model: e.RPCModel()}
		},
	})
}
