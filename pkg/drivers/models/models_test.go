package models

import (
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/stretchr/testify/require"
)

func i64(v int64) *int64 { return &v }

func boards(n int) []drivers.Board {
	bs := make([]drivers.Board, n)
	for i := range bs {
		bs[i].Index = i
	}
	return bs
}

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		make, model string
		want        Spec
	}{
		// models.csv: S19Pro,S19 Pro,SHA256,3,114,4
		{"Antminer", "Antminer S19PRO", Spec{Make: "Antminer", Model: "S19 Pro", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 114, Fans: 4, FansKnown: true}},
		// L3Plus,L3+,SCRYPT,4,72,2
		{"Antminer", "L3+", Spec{Make: "Antminer", Model: "L3+", Algorithm: "scrypt", Boards: 4, ChipsPerBoard: 72, Fans: 2, FansKnown: true}},
		// Avalon1566,Avalon 1566,SHA256,3,160,2
		{"AvalonMiner", "15-194", Spec{Make: "AvalonMiner", Model: "1566", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 160, Fans: 2, FansKnown: true}},
		// S19XPHydro,S19 XP Hydro,SHA256,3,204,0: no fans, known
		{"Antminer", "S19 XP Hydro", Spec{Make: "Antminer", Model: "S19 XP Hydro", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 204, Fans: 0, FansKnown: true}},
		// M30SVE60,M30S VE60,SHA256,3,,2: chips unknown
		{"Whatsminer", "M30S_VE63", Spec{Make: "Whatsminer", Model: "M30S VE60", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 0, Fans: 2, FansKnown: true}},
		// KS3 exists for Antminer (3x92, 2 fans) and IceRiver (3x?, 4 fans)
		{"IceRiver", "KS3", Spec{Make: "IceRiver", Model: "KS3", Algorithm: "kheavyhash", Boards: 3, ChipsPerBoard: 0, Fans: 4, FansKnown: true}},
		{"Antminer", "KS3", Spec{Make: "Antminer", Model: "KS3", Algorithm: "kheavyhash", Boards: 3, ChipsPerBoard: 92, Fans: 2, FansKnown: true}},
		// Rows from asic-rs's hardware tables (M7x, newer M6x, A14):
		// M72SVM30,M72S VM30,SHA256,3,234,0 (hydro: no fans, known)
		{"Whatsminer", "M72S_VM31", Spec{Make: "Whatsminer", Model: "M72S VM30", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 234, Fans: 0, FansKnown: true}},
		// M79SVM30,M79S VM30,SHA256,8,304,0
		{"Whatsminer", "M79S_VM30", Spec{Make: "Whatsminer", Model: "M79S VM30", Algorithm: "sha256", Boards: 8, ChipsPerBoard: 304, Fans: 0, FansKnown: true}},
		// M60SPlusPlusVM70,M60S++ VM70,SHA256,3,141,2
		{"Whatsminer", "M60S++VM70", Spec{Make: "Whatsminer", Model: "M60S++ VM70", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 141, Fans: 2, FansKnown: true}},
		// Avalon1466,Avalon 1466,SHA256,3,176,2
		{"AvalonMiner", "Avalon 1466", Spec{Make: "AvalonMiner", Model: "1466", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 176, Fans: 2, FansKnown: true}},
		// Byte,Byte,GenericAlgo,0,0,0: a placeholder row, algorithm and counts unknown
		{"Goldshell", "Byte", Spec{Make: "Goldshell", Model: "Byte", Algorithm: "", Boards: 0, ChipsPerBoard: 0, Fans: 0, FansKnown: false}},
	} {
		got, ok := Lookup(c.make, c.model)
		require.True(t, ok, "%s %q", c.make, c.model)
		require.Equal(t, c.want, got, "%s %q", c.make, c.model)
	}
	for _, c := range [][2]string{{"Antminer", "S9k"}, {"Antminer", ""}, {"NerdAxe", "S19 Pro"}, {"Whatsminer", "S19 Pro"}, {"", "KS3"}} {
		_, ok := Lookup(c[0], c[1])
		require.False(t, ok, "%q %q", c[0], c[1])
	}
	require.Len(t, All(), len(table))
}

func TestApplyS19Pro(t *testing.T) {
	d := &drivers.MinerData{Make: "Antminer", Model: "S19PRO", Boards: boards(3)}
	Apply(d)
	require.Equal(t, "S19 Pro", d.Model)
	require.Equal(t, "sha256", d.Algorithm, "filled: the driver left it empty")
	require.Equal(t, i64(3), d.ExpectedBoards, "boards")
	require.Equal(t, i64(342), d.ExpectedChips, "3 boards x 114 chips = 342 chips")
	require.Equal(t, i64(4), d.ExpectedFans, "fans")
	for _, b := range d.Boards {
		require.Equal(t, i64(114), b.ExpectedChips, "chips on board %d", b.Index)
	}
}

func TestApplyL3PlusAndAvalon(t *testing.T) {
	d := &drivers.MinerData{Make: "Antminer", Model: "Antminer L3+", Boards: boards(4)}
	Apply(d)
	require.Equal(t, "L3+", d.Model)
	require.Equal(t, "scrypt", d.Algorithm)
	require.Equal(t, i64(4), d.ExpectedBoards)
	require.Equal(t, i64(288), d.ExpectedChips, "4 boards x 72 chips = 288")
	require.Equal(t, i64(2), d.ExpectedFans)
	require.Equal(t, i64(72), d.Boards[3].ExpectedChips)

	a := &drivers.MinerData{Make: "AvalonMiner", Model: "15-194", Algorithm: "sha256", Boards: boards(3)}
	Apply(a)
	require.Equal(t, "1566", a.Model, "VERSION MODEL 15-194 is an A1566")
	require.Equal(t, i64(3), a.ExpectedBoards)
	require.Equal(t, i64(480), a.ExpectedChips, "3 boards x 160 chips = 480")
	require.Equal(t, i64(2), a.ExpectedFans)
	require.Equal(t, i64(160), a.Boards[0].ExpectedChips)

	// The 1047 as its real replies show it (see README): 2 boards x 120 chips.
	a1047 := &drivers.MinerData{Make: "AvalonMiner", Model: "1047", Algorithm: "sha256", Boards: boards(2)}
	Apply(a1047)
	require.Equal(t, i64(2), a1047.ExpectedBoards)
	require.Equal(t, i64(240), a1047.ExpectedChips, "2 boards x 120 chips = TA[240]")
	require.Equal(t, i64(120), a1047.Boards[1].ExpectedChips)

	d3 := &drivers.MinerData{Make: "Antminer", Model: "D3", Boards: boards(3)}
	Apply(d3)
	require.Equal(t, i64(2), d3.ExpectedFans, "fan_num 2 in the real D3 reply")
	require.Equal(t, "x11", d3.Algorithm)

	// Whatsminer: expected_chips is per miner, per board on the boards.
	w := &drivers.MinerData{Make: "Whatsminer", Model: "M60S VK40", Boards: boards(3)}
	Apply(w)
	require.Equal(t, i64(675), w.ExpectedChips, "3 boards x 225 chips")
	require.Equal(t, i64(225), w.Boards[2].ExpectedChips)

	// A hydro model has no fans: 0 is known and emitted, not left out.
	h := &drivers.MinerData{Make: "Antminer", Model: "S19 XP Hydro"}
	Apply(h)
	require.Equal(t, i64(0), h.ExpectedFans, "hydro: 0 fans")
	require.Equal(t, i64(612), h.ExpectedChips, "3 x 204 = 612")
}

func TestApplyNeverOverwrites(t *testing.T) {
	bs := boards(3)
	bs[1].ExpectedChips = i64(100)
	d := &drivers.MinerData{
		Make: "Antminer", Model: "S19 Pro", Algorithm: "scrypt",
		ExpectedBoards: i64(2), ExpectedChips: i64(300), ExpectedFans: i64(6),
		Boards: bs,
	}
	Apply(d)
	require.Equal(t, "scrypt", d.Algorithm, "driver's algorithm kept")
	require.Equal(t, i64(2), d.ExpectedBoards)
	require.Equal(t, i64(300), d.ExpectedChips)
	require.Equal(t, i64(6), d.ExpectedFans)
	require.Equal(t, i64(114), d.Boards[0].ExpectedChips, "nil: filled")
	require.Equal(t, i64(100), d.Boards[1].ExpectedChips, "driver's value kept")
}

func TestApplyLeavesUnknownAlone(t *testing.T) {
	for _, mk := range []struct{ make, model string }{
		{"Antminer", "S23 Hyd."}, {"Antminer", "S9k"}, {"Whatsminer", "M31S"}, {"Antminer", ""}, {"NerdAxe", "NerdQAxe++"},
	} {
		d := &drivers.MinerData{Make: mk.make, Model: mk.model, Boards: boards(3)}
		want := &drivers.MinerData{Make: mk.make, Model: mk.model, Boards: boards(3)}
		Apply(d)
		require.Equal(t, want, d, "%s %q untouched", mk.make, mk.model)
	}
	Apply(nil) // no panic
}

func TestApplyPartialKnowledge(t *testing.T) {
	// M30S VE60: 3 boards, 2 fans, chips per board unknown in the CSV.
	d := &drivers.MinerData{Make: "Whatsminer", Model: "M30S_VE61", Boards: boards(3)}
	Apply(d)
	require.Equal(t, "M30S VE60", d.Model)
	require.Equal(t, i64(3), d.ExpectedBoards)
	require.Nil(t, d.ExpectedChips, "chips unknown: not 0")
	require.Equal(t, i64(2), d.ExpectedFans)
	require.Nil(t, d.Boards[0].ExpectedChips)

	// Goldshell Byte: multi-coin, counts 0 in the CSV = unknown.
	g := &drivers.MinerData{Make: "Goldshell", Model: "Byte"}
	Apply(g)
	require.Empty(t, g.Algorithm)
	require.Nil(t, g.ExpectedBoards)
	require.Nil(t, g.ExpectedChips)
	require.Nil(t, g.ExpectedFans, "0 fans in a placeholder row is not a fact")
}

// Avalon 7xx-9xx: the driver's boards are modules of an AUC controller (the
// 7xx capture has ten); the table's 4 x 22 chips and 1 fan are one module's.
func TestApplyAvalonModules(t *testing.T) {
	d := &drivers.MinerData{Make: "AvalonMiner", Model: "741", Algorithm: "sha256", Boards: boards(10)}
	Apply(d)
	require.Equal(t, "741", d.Model)
	require.Nil(t, d.ExpectedBoards)
	require.Nil(t, d.ExpectedChips)
	require.Nil(t, d.ExpectedFans)
	require.Nil(t, d.Boards[0].ExpectedChips)
}
