package marathon

import (
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// briefAsk is MaraFW's GET /kaonsu/v1/brief, with Digest (the target's
// credentials, else MaraFW's default root:root).
var briefAsk = drivers.Ask{API: drivers.APIWeb, What: Path("brief"), Digest: true, DefaultUser: "root", DefaultPass: "root"}

// How MaraFW is told: newer releases name themselves in the realm; older
// ones keep Bitmain's realm, and then /kaonsu/v1/brief answers JSON where
// stock Bitmain firmware answers 404. Its RPC API, when on, says KAONSU or
// MaraFW.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			drivers.If(briefAsk, func(e *drivers.Evidence) bool { return e.RealmSays("antminer", "marafw") }),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			if e.RealmSays("marafw") || e.RPCSays("KAONSU", "MARAFW") || !e.WebJSON(briefAsk.What).IsNil() {
				return drivers.Certain
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "Antminer", Firmware: "marathon", Model: e.RPCModel()}
		},
	})
}
