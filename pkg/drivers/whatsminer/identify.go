package whatsminer

import (
	"net/http"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// How a Whatsminer is told: its web server's 307 to an HTTPS LuCI page;
// btminer naming itself in any RPC reply; the keys of MicroBT's cgminer
// fork ("Fan Speed In"/"Fan Speed Out" in summary and devs), which old
// firmware that refuses version, devdetails and stats still answers;
// get_version; or API v3's get.device.info on 4433.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			drivers.If(drivers.RPCAsk("summary"), drivers.All(drivers.VersionFailed, drivers.Unsettled)),
			drivers.If(drivers.RPCAsk("get_version"), func(e *drivers.Evidence) bool {
				return drivers.VersionFailed(e) && drivers.Unsettled(e) && !hasFanKeys(e)
			}),
			drivers.If(drivers.Ask{API: drivers.APIWhatsminerV3, What: "get.device.info"}, drivers.All(drivers.VersionFailed, drivers.Unsettled)),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			switch {
			case e.RPCSays("BTMINER", "BITMICRO", "WHATSMINER"), hasFanKeys(e), v3Answered(e):
				return drivers.Certain
			case e.RootSays("/cgi-bin/luci") && redirected(e):
				return drivers.Certain
			case redirected(e):
				return drivers.Guess
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			model := e.RPCField("devdetails", "DEVDETAILS", "Model")
			if model == "" {
				model = v3Type(e)
			}
			return drivers.Identity{Make: "Whatsminer", Firmware: "stock", Model: model}
		},
	})
}

// redirected tells the root's 307 to https: Whatsminer's plain-HTTP
// server sends every page to its HTTPS UI.
func redirected(e *drivers.Evidence) bool {
	r, ok := e.Get(drivers.Root)
	return ok && r.Status == http.StatusTemporaryRedirect &&
		strings.HasPrefix(strings.ToLower(r.Header.Get("Location")), "https://")
}

// hasFanKeys tells MicroBT's summary or devs: intake and exhaust fan
// speeds, a pair no other cgminer fork reports.
func hasFanKeys(e *drivers.Evidence) bool {
	for _, cmd := range []string{"summary", "devs", "edevs"} {
		for _, section := range []string{"SUMMARY", "DEVS"} {
			for _, o := range e.RPCOK(cmd).Objs(section) {
				if _, in := o.Lookup("Fan Speed In"); in {
					if _, out := o.Lookup("Fan Speed Out"); out {
						return true
					}
				}
			}
		}
	}
	return false
}

// v3Type is API v3's get.device.info msg.miner.type ("M60S_VK40").
func v3Type(e *drivers.Evidence) string {
	r, ok := e.Get(drivers.Ask{API: drivers.APIWhatsminerV3, What: "get.device.info"})
	if !ok || !r.OK {
		return ""
	}
	return strings.TrimSpace(r.Obj.O("msg").O("miner").S("type"))
}

// v3Answered tells a reply in API v3's framing with code 0: no other
// firmware speaks it.
func v3Answered(e *drivers.Evidence) bool {
	r, ok := e.Get(drivers.Ask{API: drivers.APIWhatsminerV3, What: "get.device.info"})
	return ok && r.OK
}
