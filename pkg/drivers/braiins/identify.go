package braiins

import (
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// How Braiins OS is told: its web UI's title, its miner's name in any RPC
// reply (bOS "bOS_am1-s9"/"braiins-am1-s9", BOSminer, BOSer), or, with the
// RPC API off, the gRPC port (no other miner firmware serves gRPC).
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			// BOSminer names itself in every STATUS; devdetails is what
			// answers when version does not.
			drivers.If(drivers.RPCAsk("devdetails"), drivers.All(drivers.VersionFailed, drivers.Unsettled)),
			drivers.If(drivers.GRPCPreface, drivers.All(drivers.VersionFailed, drivers.Unsettled)),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("braiins os") || e.RPCSays("BOSMINER", "BOSER", "BRAIINS") {
				return drivers.Certain
			}
			if r, ok := e.Get(drivers.GRPCPreface); ok && r.OK {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			// devdetails Model ("Bitmain Antminer S9") names the hardware;
			// version Type may be the firmware ("braiins-am1-s9").
			model := e.RPCField("devdetails", "DEVDETAILS", "Model")
			if t := e.RPCField("version", "VERSION", "Type"); model == "" && !strings.HasPrefix(strings.ToLower(t), "braiins-") {
				model = t
			}
			return drivers.Identity{Make: "Antminer", Firmware: "braiins", Model: model}
		},
	})
}
