package iceriver

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How IceRiver is told: the title of its web UI ("用户界面", user
// interface); its data needs a login, so nothing more is asked.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("<title>用户界面</title>") {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(*drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "IceRiver", Firmware: "stock"}
		},
	})
}
