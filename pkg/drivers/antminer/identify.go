package antminer

import "github.com/asicmetrics/telegraf-asic/pkg/drivers"

// How stock Bitmain firmware (and MSKMiner, which keeps its API) is told.
// Most firmware built for Bitmain hardware says "Antminer" or keeps
// Bitmain's web realm, so those are guesses; only MSKMiner's "rwglr"
// (which Hiveon's bmminer says too, hence "without Hiveon") is certain.
func init() {
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{
			// Old firmware (L3+ 1.0.1.4) answers stats, not version.
			drivers.If(drivers.RPCAsk("stats"), drivers.All(drivers.VersionFailed, drivers.Unsettled)),
		},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			switch {
			case e.RPCSays("RWGLR") && !e.RPCSays("HIVEON"):
				return drivers.Certain
			case e.RPCSays("ANTMINER", "BMMINER", "BITMAIN"), e.RealmSays("antminer"):
				return drivers.Guess
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			id := drivers.Identity{Make: "Antminer", Firmware: "stock", Model: e.RPCModel()}
			if e.RPCSays("RWGLR") {
				id.Firmware = "mskminer"
			}
			return id
		},
	})
}
