package hiveon

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How Hiveon is told: it keeps Bitmain's web UI and realm, but its bmminer
// names it in version ("Antminer S9 Hiveon").
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RPCSays("HIVEON") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "Antminer", Firmware: "hiveon", Model: e.RPCModel()}
		},
	})
}
