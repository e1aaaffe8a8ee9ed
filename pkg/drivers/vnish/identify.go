package vnish

import (
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// How Vnish is told: its web UI (AnthillOS), its name in any RPC reply
// (version or, on 1.2 where version is refused, stats Type "(Vnish
// 1.2.7)"), or its web API's /api/v1/info fw_name. MSKMiner's bmminer
// ("rwglr") may mention Vnish and is not Vnish. Vnish's replies say
// "Antminer" and "Bitmain" too, so its questions are still asked after a
// guess of stock firmware.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			drivers.If(drivers.RPCAsk("stats"), drivers.All(drivers.VersionFailed, drivers.UnsettledOr("antminer"))),
			drivers.If(drivers.WebAsk(WebPath("info")), drivers.All((*drivers.Evidence).RootOpen, drivers.UnsettledOr("antminer"))),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			switch {
			case e.RootSays("anthillos"), e.RPCSays("VNISH") && !e.RPCSays("RWGLR"):
				return drivers.Certain
			case strings.EqualFold(strings.TrimSpace(e.WebJSON(WebPath("info")).S("fw_name")), "vnish"):
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			model := e.RPCModel()
			if model == "" {
				model = e.WebJSON(WebPath("info")).S("miner") // "Antminer S21 Pro"
			}
			return drivers.Identity{Make: "Antminer", Firmware: "vnish", Model: model}
		},
	})
}
