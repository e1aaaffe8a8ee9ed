// Package toyfirmware is a firmware family that exists only for tests: it
// shows that a new family is one package (its driver and its
// identification) plus one import line, with no edit to identify.
package toyfirmware

import (
	"context"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Name is the driver name.
const Name = "toyfirmware"

// Driver reports nothing: only its registration matters here.
type Driver struct{}

func (Driver) Name() string { return Name }

func (Driver) Gather(context.Context, drivers.Target) (*drivers.MinerData, error) {
	return &drivers.MinerData{Make: "Toy"}, nil
}

// How the toy is told: its RPC API refuses version, and its "toyinfo"
// command answers with a key only it writes.
func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{} })
	drivers.RegisterIdentification(Name, drivers.Identification{
		Asks: []drivers.ConditionalAsk{drivers.If(drivers.RPCAsk("toyinfo"), drivers.All(drivers.VersionFailed, drivers.Unsettled))},
		Match: func(e *drivers.Evidence) drivers.Confidence {
			for _, o := range e.RPCOK("toyinfo").Objs("TOYINFO") {
				if _, ok := o.Lookup("Toy Gears"); ok {
					return drivers.Certain
				}
			}
			return drivers.NoMatch
		},
		Describe: func(e *drivers.Evidence) drivers.Identity {
			return drivers.Identity{Make: "Toy", Firmware: "stock", Model: e.RPCField("toyinfo", "TOYINFO", "Model")}
		},
	})
}
