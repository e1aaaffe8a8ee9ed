package epic

import (
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

var (
	capabilities = drivers.Ask{API: drivers.APIHTTPOnRPC, What: "/capabilities"}
	summaryAsk   = drivers.Ask{API: drivers.APIHTTPOnRPC, What: "/summary"}
)

// How ePIC UMC is told: its web dashboard's title, or its HTTP API on the
// RPC port: /capabilities (a Model) or /summary (its Software name, or keys only UMC writes).
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			drivers.Always(capabilities),
			drivers.If(summaryAsk, func(e *drivers.Evidence) bool {
				return e.HTTPOnRPCJSON(capabilities.What).IsNil() && drivers.Unsettled(e)
			}),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RootSays("miner web dashboard") || model(e) != "" {
				return drivers.Certain
			}
			s := e.HTTPOnRPCJSON(summaryAsk.What)
			// Older UMC (2.0.x) names itself; newer has keys of its own.
			if strings.HasPrefix(strings.ToLower(s.S("Software")), "epic-miner") {
				return drivers.Certain
			}
			if _, ok := s.Lookup("HBStatus"); ok {
				if _, ok := s.Lookup("PerpetualTune"); ok {
					return drivers.Certain
				}
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			// ePIC runs on Antminers ("AntMiner S19 XP") and its own
			// BlockMiners: the make is told by the model.
			id := drivers.Identity{Firmware: "epic", Model: model(e)}
			switch {
			case strings.HasPrefix(strings.ToLower(id.Model), "antminer"):
				id.Make = "Antminer"
			case id.Model != "":
				id.Make = "ePIC"
			}
			return id
		},
	})
}

func model(e *drivers.Evidence) string {
	return strings.TrimSpace(e.HTTPOnRPCJSON(capabilities.What).S("Model"))
}
