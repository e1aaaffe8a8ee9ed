package drivers

import (
	"errors"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// filled sets every field of v (a struct) reachable through pointers and
// strings to a value derived from seed, so a field Merge forgets shows.
func filled(t *testing.T, v reflect.Value, seed int) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(v.Type().Field(i).Name + string(rune('a'+seed)))
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			switch p.Elem().Kind() {
			case reflect.Float64:
				p.Elem().SetFloat(float64(seed) + 0.5)
			case reflect.Int64:
				p.Elem().SetInt(int64(seed))
			case reflect.Bool:
				p.Elem().SetBool(seed%2 == 1)
			default:
				t.Fatalf("field %s: a pointer kind the test does not fill", v.Type().Field(i).Name)
			}
			f.Set(p)
		}
	}
}

func full(t *testing.T, seed int) *MinerData {
	d := &MinerData{}
	filled(t, reflect.ValueOf(d).Elem(), seed)
	b, f := Board{Index: 1}, Fan{Index: 2}
	filled(t, reflect.ValueOf(&b).Elem(), seed)
	filled(t, reflect.ValueOf(&f).Elem(), seed)
	b.Index, f.Index = 1, 2
	d.Boards, d.Fans = []Board{b}, []Fan{f}
	d.Pools = []poolmetrics.Pool{{Index: seed, User: "u"}}
	d.Errors = []MinerError{{Code: "1", Message: "fan lost"}}
	return d
}

// Every field of MinerData, Board and Fan is merged: what only the second
// API carries is kept, whatever field it is.
func TestMergeKeepsWhatOnlyOneCarries(t *testing.T) {
	o := full(t, 1)
	d := &MinerData{}
	require.True(t, Merge(d, o))
	require.Equal(t, o, d)

	// Boards and fans the first API lacks, alongside its own, by index.
	d = &MinerData{Boards: []Board{{Index: 3, Chips: Ptr(int64(63))}}, Fans: []Fan{{Index: 0, RPM: Ptr(int64(4000))}}}
	require.True(t, Merge(d, o))
	require.Equal(t, []int{1, 3}, []int{d.Boards[0].Index, d.Boards[1].Index}, "sorted by slot")
	require.Equal(t, int64(63), *d.Boards[1].Chips)
	require.Equal(t, []int{0, 2}, []int{d.Fans[0].Index, d.Fans[1].Index})
}

// Where both carry a value, the first wins, field by field; the second
// still fills what the first lacks inside one board.
func TestMergeFirstWins(t *testing.T) {
	d, o := full(t, 1), full(t, 2)
	want := full(t, 1)
	require.False(t, Merge(d, o), "nothing new")
	require.Equal(t, want, d)

	d = &MinerData{Hashrate: Ptr(100.0), Boards: []Board{{Index: 1, Temperature: Ptr(60.0)}}}
	o = &MinerData{Hashrate: Ptr(99.0), PowerWatts: Ptr(3000.0),
		Boards: []Board{{Index: 1, Temperature: Ptr(61.0), ChipTemperature: Ptr(70.0)}}}
	require.True(t, Merge(d, o))
	require.Equal(t, 100.0, *d.Hashrate)
	require.Equal(t, 3000.0, *d.PowerWatts)
	require.Equal(t, 60.0, *d.Boards[0].Temperature)
	require.Equal(t, 70.0, *d.Boards[0].ChipTemperature)
}

func TestMergeListsAndProblems(t *testing.T) {
	pools := []poolmetrics.Pool{{Index: 0, User: "rpc"}}
	d := &MinerData{Pools: pools, Problems: []error{errors.New("a")}}
	o := &MinerData{Pools: []poolmetrics.Pool{{Index: 0, User: "web"}, {Index: 1}}, Problems: []error{errors.New("b")}}
	Merge(d, o)
	require.Equal(t, pools, d.Pools, "one list read at one moment: the first's")
	require.Len(t, d.Problems, 2, "every API's problems are reported")

	// Errors: joined, the same fault once; a clean report stays one.
	d = &MinerData{}
	Merge(d, &MinerData{Errors: []MinerError{}})
	require.NotNil(t, d.Errors)
	require.Empty(t, d.Errors)
	d = &MinerData{Errors: []MinerError{{Message: "chain 1 (board 0): no chips"}}}
	require.True(t, Merge(d, &MinerData{Errors: []MinerError{{Message: "no chips"}, {Code: "7", Message: "fan lost"}}}))
	require.Equal(t, []MinerError{{Message: "chain 1 (board 0): no chips"}, {Code: "7", Message: "fan lost"}}, d.Errors)
	d = &MinerData{}
	Merge(d, &MinerData{})
	require.Nil(t, d.Errors, "no report from either: unknown, not clean")
	require.False(t, Merge(d, nil))
}
