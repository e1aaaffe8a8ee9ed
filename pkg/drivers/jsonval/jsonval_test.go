package jsonval

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
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
		for k := range o.All() {
			_, _, _, _ = o.F(k), o.I(k), o.S(k), o.B(k)
			_, _, _ = o.O(k), o.L(k), o.Objs(k)
		}
	})
}

// The single-pass decoder must read every JSON document as encoding/json
// (with UseNumber) does.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5,-3e4,"x\u00e9\ud83d\ude00"],"b":{"c":null,"d":true,"e":false}}`,
		`"\ud800\u0041"`, `"\ud83d"`, "\"\xff\xfe\"", `{"a":1,"a":2}`, `[]`, `{}`, `0`, `-0.0e+1`, `{"a":1} trailing`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want any
		wantErr := dec.Decode(&want)
		got, err := Decode(b)
		if (wantErr == nil) != (err == nil) {
			t.Fatalf("encoding/json err %v, ours %v, input %q", wantErr, err, b)
		}
		if err == nil && !reflect.DeepEqual(want, plain(got)) {
			t.Fatalf("differ on %q:\nencoding/json %#v\nours          %#v", b, want, got)
		}
	})
}

func BenchmarkDecodeStats(b *testing.B) {
	raw, err := os.ReadFile("../../../testdata/antminer/S19Pro_49.0.1.3/stats.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := Decode(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Numbers share chunks that later decodes append to (the decoder is
// pooled): what one decode handed out must never change afterwards.
func TestNumbersSurviveLaterDecodes(t *testing.T) {
	first, err := DecodeObj([]byte(`{"a":12345.678,"b":[-1e3,256,7],"c":0.5}`))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if _, err := Decode([]byte(`[987654321,` + strconv.Itoa(i) + `,-0.25e-7,{"x":31415926}]`)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]any{"a": json.Number("12345.678"), "b": []any{json.Number("-1e3"), json.Number("256"), json.Number("7")}, "c": json.Number("0.5")}
	if !reflect.DeepEqual(first.toMap(), want) {
		t.Fatalf("changed: %#v", first)
	}
}

// BenchmarkDecodeCaptures decodes every captured JSON reply in turn: the
// mix of keys and values a fleet sends, so the key and value tables are
// measured with their misses and cache footprint, not one hot input.
func BenchmarkDecodeCaptures(b *testing.B) {
	files, err := filepath.Glob("../../../testdata/*/*/*.json")
	if err != nil {
		b.Fatal(err)
	}
	var inputs [][]byte
	size := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Decode(raw); err == nil {
			inputs = append(inputs, raw)
			size += len(raw)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range inputs {
			if _, err := Decode(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// Int reads integers exactly (beyond float64's 53 bits) and rounds
// fractions and exponents toward zero through Float.
func TestIntShapes(t *testing.T) {
	for in, want := range map[any]int64{
		json.Number("9007199254740993"): 9007199254740993,
		json.Number("-42"):              -42,
		json.Number("67439352.49"):      67439352,
		json.Number("-2.9"):             -2,
		json.Number("1e3"):              1000,
		json.Number("2.5E2"):            250,
		" 17 ":                          17,
	} {
		got := Int(in)
		if got == nil || *got != want {
			t.Errorf("Int(%q) = %v, want %d", in, got, want)
		}
	}
	for _, in := range []any{json.Number("1e400"), "x", nil, true} {
		if got := Int(in); got != nil {
			t.Errorf("Int(%#v) = %d, want nil", in, *got)
		}
	}
}

// An object keeps its members in the order sent, each key once with its
// last value; Keys are sorted; {} is present and empty, a missing object
// absent; an object prints as JSON.
func TestObjMembers(t *testing.T) {
	o, err := DecodeObj([]byte(`{"b":1,"a":{},"b":"3","c":[{"x":true}]}`))
	require.NoError(t, err)
	require.Equal(t, 3, o.Len())
	var order []string
	for k := range o.All() {
		order = append(order, k)
	}
	require.Equal(t, []string{"b", "a", "c"}, order)
	require.Equal(t, []string{"a", "b", "c"}, o.Keys())
	require.Equal(t, "3", o.S("b"), "the last of a repeated key")
	require.False(t, o.O("a").IsNil())
	require.Zero(t, o.O("a").Len())
	require.True(t, o.O("missing").IsNil())
	require.True(t, o.O("b").IsNil(), "not an object")
	v, ok := o.Lookup("c")
	require.True(t, ok)
	require.Len(t, v, 1)
	require.Equal(t, `{"b":"3","a":{},"c":[{"x":true}]}`, o.String())
	require.Equal(t, `{"k":{"n":1}}`, ObjOf(map[string]any{"k": map[string]any{"n": 1}}).String(), "nested maps become objects")
}
