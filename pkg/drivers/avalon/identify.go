package avalon

import (
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// How a Canaan Avalon is told: "Avalon" in any RPC reply (version PROD,
// stats), or the per-module stats blob ("MM ID") older firmware answers
// when version is not there. A page saying "Avalon" is a guess.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			drivers.If(drivers.RPCAsk("stats"), drivers.All(drivers.VersionFailed, drivers.Unsettled)),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			switch {
			case e.RPCSays("AVALON", `"MM ID`):
				return drivers.Certain
			case e.RootSays("avalon"):
				return drivers.Guess
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "AvalonMiner", Firmware: "stock", Model: versionModel(e)}
		},
	})
}

// versionModel reads Canaan's VERSION PROD ("AvalonMiner 15-194", "Avalon
// Q") and MODEL ("15-194", "nano3"): PROD unless it names only the series
// ("Avalonnano"), then MODEL.
func versionModel(e *drivers.Evidence) string {
	vs := e.RPCOK("version").Objs("VERSION")
	if len(vs) == 0 {
		return ""
	}
	prod, model := strings.TrimSpace(vs[0].S("PROD")), strings.TrimSpace(vs[0].S("MODEL"))
	if prod == "" || (strings.EqualFold(prod, "avalonnano") && model != "") {
		return model
	}
	return prod
}
