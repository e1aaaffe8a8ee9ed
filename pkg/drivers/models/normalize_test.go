package models

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type nameCase struct{ make, in, want string }

// Every model string the drivers produce from testdata/ captures (checked by
// running each driver over each folder), and the spellings seen in the
// drivers' own clean-up tests.
var driverModels = []nameCase{
	// antminer (stock, MSKMiner), vnish, hiveon, luxos, braiins
	{"Antminer", "L3+", "L3+"},
	{"Antminer", "S17+", "S17+"},
	{"Antminer", "S17 Pro", "S17 Pro"},
	{"Antminer", "S19 No PIC", "S19 No PIC"},
	{"Antminer", "S19 Pro", "S19 Pro"},
	{"Antminer", "S19", "S19"},
	{"Antminer", "S9", "S9"},
	{"Antminer", "T17+", "T17+"},
	{"Antminer", "T9", "T9"},
	{"Antminer", "S19k Pro", "S19k Pro"},
	{"Antminer", "S21 Pro", "S21 Pro"},
	{"Antminer", "S21", "S21"},
	{"Antminer", "S21+", "S21+"},
	{"Antminer", "S19 XP", "S19 XP"},
	{"Antminer", "S19j Pro", "S19j Pro"},
	{"Antminer", "S19 XP Hydro", "S19 XP Hydro"},
	{"Antminer", "L7", "L7"},
	// avalon
	{"AvalonMiner", "15-194", "1566"},
	{"AvalonMiner", "1246", "1246"},
	{"AvalonMiner", "1047", "1047"},
	{"AvalonMiner", "741", "741"},
	{"AvalonMiner", "841", "841"},
	{"AvalonMiner", "921", "921"},
	{"AvalonMiner", "Nano 3", "Nano 3"},
	{"AvalonMiner", "Nano 3s", "Nano 3s"},
	{"AvalonMiner", "Mini 3", "Mini 3"},
	{"AvalonMiner", "Q", "Q Home"},
	// whatsminer (API v2 devdetails, API v3 miner.type)
	{"Whatsminer", "M31S V20", "M31S V20"},
	{"Whatsminer", "M20S V10", "M20S V10"},
	{"Whatsminer", "M60S VK40", "M60S VK40"},
	{"Whatsminer", "M30S++ VH70", "M30S++ VH70"},
	{"Whatsminer", "M30S+ VE40", "M30S+ VE40"},
	// web families
	{"Elphapex", "DG1+", "DG1+"},
	{"Hammer", "D10", "D10"},
}

// Model strings drivers produce that the table does not have: they stay as
// the driver cleaned them (Normalize only tidies) and are not looked up.
var unknownModels = []nameCase{
	{"Antminer", "S9k", "S9k"},               // no S9k in pyasic's table
	{"Antminer", "S23 Hyd.", "S23 Hydro"},    // stock "Antminer S23 Hyd.": newer than the table
	{"Whatsminer", "M31S", "M31S"},           // no board revision: chips differ per revision
	{"Whatsminer", "M20S", "M20S"},           // idem
	{"Whatsminer", "M50", "M50"},             // idem
	{"AvalonMiner", "Avalonnano", "Nano"},    // Nano without its generation
	{"AvalonMiner", "15-211", "15-211"},      // only 15-194 is known to be an A1566
	{"NerdAxe", "NerdQAxe++", "NerdQAxe++"},  // a make the table does not have
	{"Bitaxe", "Gamma 601", "Gamma 601"},     // board revision after the name
	{"Antminer", "s25 pro", "S25 Pro"},       // future model: tidied only
	{"Antminer", "S25XP+", "S25 XP+"},        // glued word split
	{"Antminer", "S21 NO pic", "S21 No PIC"}, // words spelled one way
}

// Spellings of the task's issue: vendor prefixes, case, spacing, firmware
// decorations, btminer and Canaan strings.
var variants = []nameCase{
	{"Antminer", "Antminer S19 Pro", "S19 Pro"},
	{"Antminer", "Bitmain Antminer S9", "S9"},
	{"Antminer", "S19PRO", "S19 Pro"},
	{"Antminer", "s19 pro", "S19 Pro"},
	{"Antminer", "S19XP", "S19 XP"},
	{"Antminer", "Bitmain Antminer S19XP", "S19 XP"},
	{"Antminer", "S19j Pro+", "S19j Pro+"},
	{"Antminer", "S19J PRO PLUS", "S19j Pro+"},
	{"Antminer", "S19jPro+", "S19j Pro+"},
	{"Antminer", "Bitmain Antminer S19jPro ", "S19j Pro"},
	{"Antminer", "Bitmain  Antminer   S21+  ", "S21+"},
	{"Antminer", "Antminer S19 Pro (Braiins OS)", "S19 Pro"},
	{"Antminer", "Antminer S21 Pro (Vnish 1.2.7)", "S21 Pro"},
	{"Antminer", "Antminer S19 (Vnish 1.2.6)", "S19"},
	{"Antminer", "Antminer S9 Hiveon", "S9"},
	{"Antminer", "Antminer T9 HIVEON", "T9"},
	{"Antminer", "S19-88 v.2.6.0.39 ", "S19 No PIC"},
	{"Antminer", "Antminer S19 (88)", "S19 No PIC"},
	{"Antminer", "S19j-88", "S19j No PIC"},
	{"Antminer", "Antminer S9\nV1.3.58", "S9"},
	{"Antminer", "AntMiner S19 XP (LuxOS) ", "S19 XP"},
	{"Antminer", "Antminer S19k Pro", "S19k Pro"},
	{"Antminer", "S19K Pro", "S19k Pro"},
	{"Antminer", "S19kPro", "S19k Pro"},
	{"Antminer", "Antminer S21 Hyd.", "S21 Hydro"},
	{"Antminer", "Antminer S21+ Hyd.", "S21+ Hydro"},
	{"Antminer", "Bitmain Antminer S19 XP Hydro ", "S19 XP Hydro"},
	{"Antminer", "Antminer L3+", "L3+"},
	{"Antminer", "L3 Plus", "L3+"},
	{"Antminer", "  Antminer  S19j  Pro  ", "S19j Pro"},
	{"Antminer", "Antminer E9Pro", "E9 Pro"},
	{"Antminer", "antminer ks5 pro", "KS5 Pro"},
	{"Bitmain", "S19 Pro", "S19 Pro"}, // make spelled by vendor
	{"Whatsminer", "M30S+_VE41", "M30S+ VE40"},
	{"Whatsminer", "M30S+VE41", "M30S+ VE40"},
	{"Whatsminer", "M30S+ VE41", "M30S+ VE40"},
	{"Whatsminer", "M20S_V10", "M20S V10"},
	{"Whatsminer", "M31S_V21", "M31S V20"},
	{"Whatsminer", "M60SVK40", "M60S VK40"},
	{"Whatsminer", "M60S_VK40", "M60S VK40"},
	{"Whatsminer", "M30S++_VH111", "M30S++ VH110"},
	{"Whatsminer", "M30S+_V101", "M30S+ V100"}, // V100 keeps its tens
	{"Whatsminer", "M30S+_V10", "M30S+ V10"},
	{"Whatsminer", "M60_VK6A", "M60 VK6A"}, // the table's one revision not ending in a digit
	{"Whatsminer", "M31SE_V12", "M31SE V10"},
	{"Whatsminer", "WhatsMiner M50S_VH30 ", "M50S VH30"},
	{"Whatsminer", "m21s_v62", "M21S V60"},
	{"MicroBT", "M30S++_VH71", "M30S++ VH70"},
	{"AvalonMiner", "AvalonMiner 1566", "1566"},
	{"AvalonMiner", "Avalon 1566", "1566"},
	{"AvalonMiner", "AvalonMiner 15-194", "1566"},
	{"AvalonMiner", "1246-83", "1246"},
	{"AvalonMiner", "A1246", "1246"},
	{"AvalonMiner", "AvalonMiner 1047 ", "1047"},
	{"AvalonMiner", "nano3", "Nano 3"},
	{"AvalonMiner", "Avalonnano3", "Nano 3"},
	{"AvalonMiner", "Nano3s", "Nano 3s"},
	{"AvalonMiner", "mini3", "Mini 3"},
	{"AvalonMiner", "Avalon Q", "Q Home"},
	{"AvalonMiner", "Avalon 1166Pro", "1166 Pro"},
	{"Avalon", "1566", "1566"},
	{"Elphapex", "DG1-Home", "DG1Home"},
	{"Elphapex", "Elphapex DG1+", "DG1+"},
	{"Hammer", "Hammer D10", "D10"},
	{"Bitaxe", "BM1370", "Gamma"},
	{"Bitaxe", "Bitaxe Gamma", "Gamma"},
	{"LuckyMiner", "lv08", "LV08"},
	{"Goldshell", "KD-Box-Pro", "KD Box Pro"},
	{"Goldshell", "Mini-DOGE", "Mini Doge"},
	{"ePIC", "BlockMiner 520i", "BlockMiner 520i"},
	{"Braiins", "BMM101", "BMM101"},
	// No make: the vendor word or a single matching make decides.
	{"", "Antminer S19 Pro", "S19 Pro"},
	{"", "S19j Pro", "S19j Pro"},
	{"", "M30S+_VE41", "M30S+ VE40"},
	{"", "AvalonMiner 15-194", "1566"},
	{"", "KS5", "KS5"}, // Antminer KS5 and IceRiver KS5: ambiguous
	// Nothing to name.
	{"Antminer", "", ""},
	{"Antminer", "  \t ", ""},
}

func TestNormalize(t *testing.T) {
	for _, set := range [][]nameCase{driverModels, unknownModels, variants} {
		for _, c := range set {
			got := Normalize(c.make, c.in)
			require.Equal(t, c.want, got, "Normalize(%q, %q)", c.make, c.in)
			require.Equal(t, got, Normalize(c.make, got), "idempotent on %q", got)
		}
	}
}

// Every model the drivers produce from the captures is in the table.
func TestDriverModelsResolve(t *testing.T) {
	for _, c := range driverModels {
		s, ok := Lookup(c.make, c.in)
		require.True(t, ok, "%s %q not found", c.make, c.in)
		require.Equal(t, c.want, s.Model)
		require.Equal(t, canonMake(c.make), s.Make)
	}
	for _, c := range unknownModels {
		_, ok := Lookup(c.make, c.in)
		require.False(t, ok, "%s %q should be unknown", c.make, c.in)
	}
}

// The table's own names are canonical: each one normalises to itself and
// finds itself, and no two names of a make share a key.
func TestTableNamesAreFixedPoints(t *testing.T) {
	perMake := map[string]int{}
	for _, s := range table {
		perMake[s.Make]++
		require.Equal(t, s.Model, Normalize(s.Make, s.Model), "%s %q", s.Make, s.Model)
		got, ok := Lookup(s.Make, s.Model)
		require.True(t, ok, "%s %q", s.Make, s.Model)
		require.Equal(t, s, got)
		if n := Normalize("", s.Model); n != s.Model {
			// Without a make a name two makes share stays ambiguous.
			require.Greater(t, len(anyMake[key(s.Model)]), 1, "%q -> %q", s.Model, n)
		}
		require.NotContains(t, strings.ToLower(s.Model), "avalon")
	}
	for mk, n := range perMake {
		require.Len(t, index[mk], n, "%s: two models with one key", mk)
	}
	require.Len(t, table, 607, "608 CSV rows (488 from pyasic, 120 from asic-rs), S19K Pro dropped as a duplicate of S19k Pro")
}

// Goldshell writes its generation as a Roman numeral character.
func TestNormalizeRomanNumeral(t *testing.T) {
	require.Equal(t, "SC5 Pro II", Normalize("Goldshell", "Goldshell-SC5ProⅡ"))
	require.Equal(t, Normalize("Goldshell", "SC5 Pro II"), Normalize("Goldshell", "Goldshell-SC5ProⅡ"))
}
