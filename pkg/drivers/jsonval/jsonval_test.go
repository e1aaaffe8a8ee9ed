package jsonval

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAccessors(t *testing.T) {
	// Shapes from real replies: bmminer sends rates as strings ("GHS 5s":
	// "11781.40" on the S9), btminer quotes its firmware version, Avalon
	// reports -273 as a placeholder (the driver decides; here it is a number).
	o, err := DecodeObj([]byte(`{"GHS 5s":"11781.40","Elapsed":50474,"fan1":6000.0,"Enabled":"Y","Stratum Active":true,
		"Firmware Version":"'20210109.22.REL'","big":1e400,"neg":-273,"empty":"","list":[{"a":1},2],"nan":"nan"}`))
	require.NoError(t, err)
	require.InDelta(t, 11781.40, *o.F("GHS 5s"), 1e-9)
	require.Equal(t, int64(50474), *o.I("Elapsed"))
	require.Equal(t, int64(6000), *o.I("fan1"))
	require.True(t, *o.B("Enabled"))
	require.True(t, *o.B("Stratum Active"))
	require.Equal(t, "'20210109.22.REL'", o.S("Firmware Version"))
	require.Nil(t, o.F("big"), "out of range is absent")
	require.Equal(t, int64(-273), *o.I("neg"))
	require.Nil(t, o.F("empty"))
	require.Nil(t, o.F("missing"))
	require.Nil(t, o.F("nan"), "NaN is absent, never a value")
	require.Len(t, o.Objs("list"), 1)
	require.InDelta(t, 50474.0, *o.F("missing", "Elapsed"), 0, "first present key wins")
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"a":"1.5","b":[1,{"c":"Y"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeObj(b)
		if err != nil {
			return
		}
		for k := range o {
			_, _, _, _ = o.F(k), o.I(k), o.S(k), o.B(k)
			_, _, _ = o.O(k), o.L(k), o.Objs(k)
		}
	})
}
