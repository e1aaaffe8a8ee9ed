package hashunit

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseUnit(t *testing.T) {
	for in, want := range map[string]Unit{
		"H": H, "h/s": H, "H/S": H, "KH": KH, "kH/s": KH, "KSol/s": KH, "ksol": KH, "Sol/s": H,
		"MH": MH, "MH/s": MH, "Mh/s": MH, "MHS": MH, "M": MH, "GH": GH, "GH/s": GH, "GHS": GH,
		" gh/s ": GH, "G": GH, "T": TH, "TH/s": TH, "THS": TH, "PH/s": PH, "EH": EH, "GHPS": GH,
	} {
		got, ok := ParseUnit(in)
		require.True(t, ok, "%q", in)
		require.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"", "  ", "X", "GHz", "MB/s", "HS/s", "TT"} {
		_, ok := ParseUnit(in)
		require.False(t, ok, "%q", in)
	}
}

func TestToTHs(t *testing.T) {
	require.InDelta(t, 110.56689, *ToTHs(ptr(110566.89), GH), 1e-9)
	require.InDelta(t, 0.00050456, *ToTHs(ptr(504.56), MH), 1e-15)
	require.InDelta(t, 13.940237455, *ToTHs(ptr(13940237.455), MH), 1e-9)
	require.Equal(t, 0.0, *ToTHs(ptr(0), GH))
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		require.Nil(t, ToTHs(ptr(bad), GH), "%v", bad)
	}
	require.Nil(t, ToTHs(nil, GH))
}

// The misLabel rows, each against the capture it came from.
func TestKey(t *testing.T) {
	cases := []struct {
		api   API
		algo  string
		label Unit
		raw   float64
		ths   float64
		why   string
	}{
		{BMMiner, SHA256, GH, 110566.89, 110.56689, "S19 Pro 49.0.1.3: GHS 5s is GH/s"},
		{BMMiner, Scrypt, GH, 504.56, 504.56e-6, "L3+ 1.0.1.3: GHS 5s holds MH/s"},
		{BMMiner, X11, GH, 16346.64, 0.01634664, "D3: GHS 5s holds MH/s"},
		{BMMiner, Ethash, GH, 197.30, 197.30e-6, "E3: GHS 5s holds MH/s"},
		{BMMiner, Equihash, GH, 141.54, 141.54e-9, "Z11: GHS 5s holds kSol/s"},
		{BMMiner, Scrypt, MH, 4885.08, 4885.08e-6, "Hammer D10: MHS 5s is MH/s"},
		{InnosiliconWeb, Ethash, MH, 470821977.34, 470.82197734e-6, "A11MX web DEVS: MHS 1m holds H/s"},
		{Labelled, Blake2b, MH, 1828940.2402133332, 1.8289402402133332, "ePIC BlockMiner (Sia): Average MHs is MH/s"},
		{BMMiner, "", GH, 1000, 1, "unknown algorithm: the label"},
	}
	for _, c := range cases {
		got := Conv(c.api, c.algo, c.label, &c.raw)
		require.NotNil(t, got, c.why)
		require.InDelta(t, c.ths, *got, math.Abs(c.ths)*1e-12, c.why)
	}
}

func TestAlgorithm(t *testing.T) {
	for in, want := range map[string]string{
		"SHA256": SHA256, "sha-256": SHA256, "SHA256d": SHA256, "Scrypt": Scrypt, "Blake2b": Blake2b,
		"kHeavyHash": KHeavyHash, "KHeavyHash": KHeavyHash, "Blake3": Blake3, "Eaglesong": Eaglesong,
		"Equihash": Equihash, "X11": X11, "Blake2S": Blake2s, "Kadena": Blake2s, "Sia": Blake2b, "Handshake": Handshake,
		" ethash ": Ethash, "BlockFlow": Blake3,
	} {
		require.Equal(t, want, Algorithm(in), "%q", in)
	}
	require.Equal(t, "", Algorithm(""))
	require.Equal(t, "", Algorithm("NotAnAlgo"))
}

func TestUnitString(t *testing.T) {
	require.Equal(t, "GH/s", GH.String())
	require.Equal(t, "H/s", H.String())
	require.Equal(t, "?", Unit(42).String())
}

func FuzzParseUnit(f *testing.F) {
	for _, s := range []string{"GH/s", "KSol/s", "", "MHS", "x/S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := ParseUnit(s)
		if ok && u <= 0 {
			t.Fatalf("%q: unit %v", s, u)
		}
		_ = Algorithm(s)
	})
}

func ptr(v float64) *float64 { return &v }
