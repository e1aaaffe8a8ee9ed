package drivers

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

func TestFields(t *testing.T) {
	// Shapes from real replies: numbers as strings (bmminer "GHS 5s"),
	// "" for absent chains, "Y"/"N" flags, and a broken value.
	o, err := jsonval.DecodeObj([]byte(`{"rate":"11781.40","fan":6000,"empty":"","null":null,"flag":"Y",
		"bad":{"x":1},"name":" S19 Pro ","big":1e300,"count":"42"}`))
	require.NoError(t, err)
	d := &MinerData{}
	f := Fields{D: d, Source: `command "stats"`}
	require.InDelta(t, 11781.40, *f.Float(o, "rate"), 1e-9)
	require.Equal(t, int64(6000), *f.Int(o, "fan"))
	require.Equal(t, int64(42), *f.Int(o, "count"))
	require.True(t, *f.Bool(o, "flag"))
	require.Equal(t, "S19 Pro", f.String(o, "name"))
	require.Nil(t, f.Float(o, "empty"), `"" is unknown, not 0`)
	require.Nil(t, f.Float(o, "null"))
	require.Nil(t, f.Float(o, "missing"))
	require.Empty(t, d.Problems, "absent values are not problems")

	require.Nil(t, f.Float(o, "bad"))
	require.Nil(t, f.Int(o, "big"))
	require.Len(t, d.Problems, 2)
	require.ErrorIs(t, d.Problems[0], ErrBadResponse)
	require.Contains(t, d.Problems[0].Error(), `command "stats": field "bad"`)
	require.Contains(t, d.Problems[1].Error(), `field "big"`)
}
