package sealminer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// The A2's version reply ("bdminer 4.11.1", "BDMiner") settles it; a
// cgminer that does not name bdminer is not a SealMiner.
func TestIdentification(t *testing.T) {
	id := drivers.Identifications()[Name]
	require.NotNil(t, id.Match)

	e := drivers.NewEvidence()
	body := rpcReplies(t)["version"]
	obj, err := jsonval.DecodeObj(body)
	require.NoError(t, err)
	e.Add(drivers.Version, drivers.Reply{Body: body, Obj: obj, OK: true})
	require.Equal(t, drivers.Certain, id.Match(e))
	require.Equal(t, drivers.Identity{Make: "SealMiner", Firmware: "stock"}, id.Describe(e))

	// With stats in the evidence too, its Model names the miner.
	stats := rpcReplies(t)["stats"]
	sobj, err := jsonval.DecodeObj(stats)
	require.NoError(t, err)
	e.Add(drivers.RPCAsk("stats"), drivers.Reply{Body: stats, Obj: sobj, OK: true})
	require.Equal(t, "A2", id.Describe(e).Model)

	other := drivers.NewEvidence()
	cg := []byte(`{"STATUS":[{"STATUS":"S","Code":22,"Msg":"CGMiner versions","Description":"cgminer 4.11.1"}],"VERSION":[{"CGMiner":"4.11.1","API":"3.7"}],"id":1}`)
	o, err := jsonval.DecodeObj(cg)
	require.NoError(t, err)
	other.Add(drivers.Version, drivers.Reply{Body: cg, Obj: o, OK: true})
	require.Equal(t, drivers.NoMatch, id.Match(other))
}
