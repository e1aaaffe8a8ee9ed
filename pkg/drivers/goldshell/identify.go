package goldshell

import (
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// How Goldshell is told: its web UI ("cloud-box"), its cgminer forks
// naming themselves in every STATUS (intminer, kdaminer, bfgminer,
// intchains_qomo: devs answers when version does not), or /mcb/status (no
// login) with a model and a firmware.
func init() {
	status := drivers.WebAsk(webPaths["status"])
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			drivers.If(drivers.RPCAsk("devs"), drivers.All(drivers.VersionFailed, drivers.Unsettled)),
			drivers.If(status, drivers.All((*drivers.Evidence).RootOpen, drivers.Unsettled)),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("cloud-box") || e.RPCSays("INTMINER", "INTCHAINS_QOMO", "KDAMINER", "BFGMINER") {
				return drivers.Certain
			}
			o := e.WebJSON(status.What)
			if _, fw := o.Lookup("firmware"); fw && strings.TrimSpace(o.S("model")) != "" {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			// /mcb/status model "Goldshell-SC5ProⅡ"; the model table
			// drops the make.
			model := strings.TrimSpace(e.WebJSON(status.What).S("model"))
			if model == "" {
				model = e.RPCModel()
			}
			return drivers.Identity{Make: "Goldshell", Firmware: "stock", Model: model}
		},
	})
}
