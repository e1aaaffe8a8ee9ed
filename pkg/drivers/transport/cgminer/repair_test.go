package cgminer

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRepair(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"valid unchanged", `{"a":[1,2],"b":"x}{y"}`, `{"a":[1,2],"b":"x}{y"}`},
		{"trailing NUL", "{\"a\":1}\x00", `{"a":1}`},
		{"bmminer STATS", `{"STATS":[{"a":1}{"b":2}],"id":1}`, `{"STATS":[{"a":1},{"b":2}],"id":1}`},
		{"bmminer STATS with space", "{\"STATS\":[{\"a\":1} \n{\"b\":2}]}", "{\"STATS\":[{\"a\":1} \n,{\"b\":2}]}"},
		{"btminer trailing comma", `{"a":1,"b":[1,2,],}`, `{"a":1,"b":[1,2]}`},
		{"leading comma in list", `{"a":[,{"b":1}]}`, `{"a":[{"b":1}]}`},
		{"control chars in string", "{\"a\":\"x\ty\nz\"}", `{"a":"x\u0009y\u000az"}`},
		{"nan and inf", `{"a":nan,"b":-inf,"c":NaN,"d":Infinity,"e":"nan"}`, `{"a":null,"b":null,"c":null,"d":null,"e":"nan"}`},
		{"avalon stray comma", `,"id":1}`, `{"id":1}`},
		{"escaped quote", `{"a":"q\"}{\""}`, `{"a":"q\"}{\""}`},
		{"btminer escaped quote", `{"Firmware Version":"\'20200917.22.REL\'"}`, `{"Firmware Version":"'20200917.22.REL'"}`},
		{"btminer 2.0.4 error list", `{"Msg":{"error_code":["110":"2021-03-01 10:00:00","111":"x"]},"l":[1,[2]]}`,
			`{"Msg":{"error_code":{"110":"2021-03-01 10:00:00","111":"x"}},"l":[1,[2]]}`},
		{"exponent", `{"a":1e5,"b":-2E-3,"c":true,"d":false,"e":null}`, `{"a":1e5,"b":-2E-3,"c":true,"d":false,"e":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Repair([]byte(tt.in)))
			require.Equal(t, tt.want, got)
			require.True(t, json.Valid([]byte(got)), "repaired output must be valid JSON: %s", got)
		})
	}
}

func TestRepairDuplicateKeysLastWins(t *testing.T) {
	// Hammer D10 stats repeat temp1..temp4; the last value is the one kept.
	obj, err := Parse("test", []byte(`{"temp1":45,"temp1":46,"temp1":44}`))
	require.NoError(t, err)
	require.Equal(t, int64(44), *obj.I("temp1"))
}

func TestParseDeepNesting(t *testing.T) {
	deep := make([]byte, 0, 2_000_002)
	for range 1_000_000 {
		deep = append(deep, '[')
	}
	for range 1_000_000 {
		deep = append(deep, ']')
	}
	_, err := Parse("127.0.0.1:4028", deep)
	require.Error(t, err)
	require.Contains(t, err.Error(), "127.0.0.1:4028")
}

func FuzzRepair(f *testing.F) {
	for _, s := range []string{
		`{"STATS":[{"a":1}{"b":2}],"id":1}`, "{\"a\":\"x\ty\"}\x00", `,"id":1}`, `{"a":nan}`, `{"a":[1,],}`, `{"a":"\"}{"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := Repair(in)
		if json.Valid(in) && !json.Valid(out) {
			t.Fatalf("valid input made invalid: %q -> %q", in, out)
		}
		_, _ = Parse("fuzz", in)
	})
}

// Hostile shapes that a look-back repair would make quadratic: each must
// repair in one pass. Measured as a benchmark; here only the result.
func TestRepairLinearShapes(t *testing.T) {
	for _, unit := range []string{"  ,", " ", ",", "a", "}{", "[:", "\\'"} {
		in := append([]byte("{"), bytes.Repeat([]byte(unit), 300_000)...)
		_ = Repair(in)
	}
}

func BenchmarkRepairHostile(b *testing.B) {
	in := append([]byte("{"), bytes.Repeat([]byte("  ,"), 300_000)...)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		_ = Repair(in)
	}
}
