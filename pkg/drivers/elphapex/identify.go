package elphapex

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How Elphapex is told: the "Daoge" realm of its web UI (it has no RPC API).
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RealmSays("daoge") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(*drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "Elphapex", Firmware: "stock"}
		},
	})
}
