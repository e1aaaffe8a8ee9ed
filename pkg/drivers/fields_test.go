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

// The one wording of a field problem, and the rules every driver shares.
func TestFieldsRules(t *testing.T) {
	o, err := jsonval.DecodeObj([]byte(`{"MHS 5s":"12.5","blank":"  ","neg":-3,"negi":"-2","mac":7,
		"name":"  x ","flag":2,"off":0,"word":"maybe","list":[1]}`))
	require.NoError(t, err)
	d := &MinerData{}
	f := Fields{D: d, Source: `command "devs"`}
	require.InDelta(t, 12.5, *f.Float(o, "MHS 1m", "MHS 5s"), 1e-12, "first present key")
	require.Nil(t, f.Float(o, "blank"), "blanks are unknown")
	require.Equal(t, -3.0, *f.Float(o, "neg"))
	require.True(t, *f.Bool(o, "flag"), "a C flag: any non-zero integer")
	require.False(t, *f.Bool(o, "off"))
	require.Equal(t, "x", f.Of(o).Text("name"))
	require.Empty(t, d.Problems)

	require.Nil(t, f.NonNegFloat(o, "neg"))
	require.Nil(t, f.NonNegInt(o, "negi"))
	require.Empty(t, f.Text(o, "mac"), "a number is not a name")
	require.Nil(t, f.Bool(o, "word"))
	require.Empty(t, f.String(o, "list"))
	f.Missing("ID")
	var msgs []string
	for _, p := range d.Problems {
		require.ErrorIs(t, p, ErrBadResponse)
		msgs = append(msgs, p.Error())
	}
	require.Equal(t, []string{
		`command "devs": field "neg": bad response: out of range: -3`,
		`command "devs": field "negi": bad response: out of range: -2`,
		`command "devs": field "mac": bad response: cannot read 7`,
		`command "devs": field "word": bad response: cannot read "maybe"`,
		`command "devs": field "list": bad response: cannot read a list`,
		`command "devs": field "ID": bad response: missing`,
	}, msgs)
}

// Structure: lists and objects a reply must or may have, nested names.
func TestFieldsStructure(t *testing.T) {
	o, err := jsonval.DecodeObj([]byte(`{"SUMMARY":[{"a":1},5,{"a":2}],"POOLS":{"x":1},"msg":{"edevs":[]},"list":"no"}`))
	require.NoError(t, err)
	d := &MinerData{}
	f := CommandFields(d, "summary")
	require.Len(t, f.Section(o, "SUMMARY"), 2, "the element that is no object is skipped")
	require.Nil(t, f.Section(o, "STATS"))
	require.Nil(t, f.List(o, "DEVS"), "a list the reply may leave out")
	require.Nil(t, f.List(o, "POOLS"))
	require.False(t, f.Obj(o, "msg").IsNil())
	require.True(t, f.Obj(o, "list").IsNil())
	require.True(t, f.Obj(o, "nothing").IsNil())
	require.Empty(t, f.Under("msg").Section(o.O("msg"), "edevs"), "an empty list is no problem")
	b := PageFields(d, "/api/getAll").Under("all").Under("chain").Under("[1]")
	b.Bad("Hash Rate", "fast")
	b.Invalid("", "not an object")
	CommandFields(d, "fans").Invalid("FANS", "fan ID 2 listed twice")
	var msgs []string
	for _, p := range d.Problems {
		require.ErrorIs(t, p, ErrBadResponse)
		msgs = append(msgs, p.Error())
	}
	require.Equal(t, []string{
		`command "summary": field "SUMMARY[1]": bad response: not an object`,
		`command "summary": field "STATS": bad response: missing`,
		`command "summary": field "POOLS": bad response: not a list`,
		`command "summary": field "list": bad response: not an object`,
		`command "summary": field "nothing": bad response: missing`,
		`web /api/getAll: field "all.chain[1].Hash Rate": bad response: cannot read "fast"`,
		`web /api/getAll: field "all.chain[1]": bad response: not an object`,
		`command "fans": field "FANS": bad response: fan ID 2 listed twice`,
	}, msgs)
}

func TestReadings(t *testing.T) {
	require.Nil(t, Positive(Ptr(0.0)), "0: no sensor")
	require.Nil(t, Positive(Ptr(-1.0)))
	require.Nil(t, Positive(nil))
	require.Equal(t, 3.5, *Positive(Ptr(3.5)))
	require.Nil(t, Temperature(Ptr(0.0)))
	require.Nil(t, Temperature(Ptr(255.0)), "a placeholder, not a reading")
	require.Equal(t, 200.0, *Temperature(Ptr(200.0)))
	a, b := Ptr(61.0), Ptr(64.0)
	m := Max(a, nil, b)
	require.Equal(t, 64.0, *m)
	require.NotSame(t, b, m, "a copy: no two fields share a pointer")
	require.Nil(t, Max(nil, nil))
}
