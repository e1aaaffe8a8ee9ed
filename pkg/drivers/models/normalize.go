package models

import (
	"regexp"
	"strings"
)

// maxLen bounds a model name: it becomes a tag value.
const maxLen = 96

// makeAliases maps a make as drivers, firmwares or users write it (lower
// case, no spaces) to our make tag.
var makeAliases = map[string]string{
	"antminer": "Antminer", "bitmain": "Antminer",
	"whatsminer": "Whatsminer", "microbt": "Whatsminer",
	"avalonminer": "AvalonMiner", "avalon": "AvalonMiner", "canaan": "AvalonMiner",
	"braiins": "Braiins", "bitaxe": "Bitaxe", "luckyminer": "LuckyMiner",
	"goldshell": "Goldshell", "auradine": "Auradine", "epic": "ePIC",
	"iceriver": "IceRiver", "innosilicon": "Innosilicon", "hammer": "Hammer",
	"volcminer": "VolcMiner", "elphapex": "Elphapex",
}

// makeKeyCleaner drops what spellings of a make differ by; built once (a
// Replacer per call was one of the largest allocations of a gather).
var makeKeyCleaner = strings.NewReplacer(" ", "", "-", "", "_", "")

// canonMakes holds each make tag as itself: drivers mostly pass one.
var canonMakes = func() map[string]string {
	m := map[string]string{}
	for _, v := range makeAliases {
		m[v] = v
	}
	return m
}()

func canonMake(s string) string {
	if v, ok := canonMakes[s]; ok {
		return v
	}
	return makeAliases[strings.ToLower(makeKeyCleaner.Replace(s))]
}

// vendorPrefixes are words miners put before the model ("Bitmain Antminer
// S9", "WhatsMiner M50S_VH30", "AvalonMiner 15-194", "Avalonnano"), with
// the make each one names. Longer spellings first.
var vendorPrefixes = []struct{ word, make string }{
	{"bitmain", "Antminer"}, {"antminer", "Antminer"},
	{"micro bt", "Whatsminer"}, {"microbt", "Whatsminer"},
	{"whats miner", "Whatsminer"}, {"whatsminer", "Whatsminer"},
	{"canaan", "AvalonMiner"}, {"avalon miner", "AvalonMiner"}, {"avalonminer", "AvalonMiner"}, {"avalon", "AvalonMiner"},
	{"lucky miner", "LuckyMiner"}, {"luckyminer", "LuckyMiner"},
	{"goldshell", "Goldshell"}, {"bitaxe", "Bitaxe"}, {"auradine", "Auradine"},
	{"iceriver", "IceRiver"}, {"ice river", "IceRiver"}, {"innosilicon", "Innosilicon"},
	{"hammer", "Hammer"}, {"volcminer", "VolcMiner"}, {"elphapex", "Elphapex"},
	{"braiins", "Braiins"}, {"epic", "ePIC"},
}

var (
	// "(Vnish 1.2.7)", "(LuxOS)", "(Braiins OS)", Vnish's "(88)".
	parenSuffix = regexp.MustCompile(`\s*\(([^()]*)\)?\s*$`)
	// MSKMiner's firmware version after the model: "S19-88 v.2.6.0.39".
	versionSuffix = regexp.MustCompile(`(?i)\s+v\.\s*\d[\d.]*$`)
	// A firmware-name word after the model: "Antminer S9 Hiveon", "... AML".
	wordSuffix = regexp.MustCompile(`(?i)\s+(hiveon|aml)$`)
	// MSKMiner names the 88-chip (no PIC) S19 variants "S19-88".
	dash88 = regexp.MustCompile(`^([A-Za-z].*)-88$`)

	// A word glued to the series: "S19XP", "S19jPro", "E9Pro", "S19Pro+".
	gluedWord = regexp.MustCompile(`(?i)^(.*\d[a-z]?)(pro|xp|hydro|hyd\.?)(\+*)$`)
	// Lower-case series letters: "s19" -> "S19", "ks5" -> "KS5".
	lowerSeries = regexp.MustCompile(`^[a-z]{1,3}\d`)

	// btminer: "M30S+_VE41", "M30S+VE41", "M60S VK40", "M60 VK6A".
	whatsModel = regexp.MustCompile(`^(M\d+[A-Z]*\+*) ?(V[A-Z]?\d+[A-Z]?)$`)
	// Canaan's model with a hashrate variant: "1246-83", "A1246-83".
	avalonVariant = regexp.MustCompile(`^[Aa]?(\d{3,4})-\d+$`)
	// Canaan's model written with the A of the series: "A1246", "A1166 Pro".
	avalonA = regexp.MustCompile(`^[Aa](\d{3,4})(\s.*)?$`)
)

// words are canonical spellings of the words after a series.
var words = map[string]string{"PRO": "Pro", "HYDRO": "Hydro", "HYD": "Hydro", "HYD.": "Hydro", "XP": "XP"}

// aliases are names a firmware reports that the table spells otherwise,
// per make, by key.
var aliases = map[string]map[string]string{
	"AvalonMiner": {
		"15194": "1566",   // VERSION MODEL "15-194", PROD "AvalonMiner 15-194": an A1566
		"Q":     "Q Home", // VERSION MODEL "Q", PROD "Avalon Q"
		"HOMEQ": "Q Home",
	},
	"Bitaxe": { // ESP-Miner reports the ASIC; each one is one Bitaxe model
		"BM1366": "Ultra", "BM1368": "Supra", "BM1370": "Gamma", "BM1397": "Max",
	},
}

// Normalize returns the canonical name of a model: for a model of the
// table, the table's name ("Antminer S19PRO" -> "S19 Pro", "M30S+_VE41" ->
// "M30S+ VE40", "AvalonMiner 15-194" -> "1566"); for any other model, a
// cleaned-up form of what the miner said (vendor words and firmware
// decorations removed), never empty when the input had a name. make is our
// make tag or a common spelling of it; "" lets the model name decide.
// Normalize(make, Normalize(make, m)) == Normalize(make, m).
func Normalize(make, model string) string {
	// Roman numeral characters (Goldshell's "SC5 ProⅡ") read as letters, or
	// the cleanup below would drop them as symbols.
	s := romanNumerals.Replace(model)
	// Each pass only removes or canonicalises; passes are repeated until
	// nothing changes so that the result is a fixed point.
	for range 8 {
		n, _, _ := resolve(make, s)
		if n == s {
			break
		}
		s = n
	}
	return s
}

var romanNumerals = strings.NewReplacer("Ⅰ", " I", "Ⅱ", " II", "Ⅲ", " III", "Ⅳ", " IV", "Ⅴ", " V")

// resolve cleans a model and looks it up: the name to report, and the
// table position when the model is known.
func resolve(make, model string) (string, int, bool) {
	s, inferred := prepare(model)
	if s == "" {
		return "", 0, false
	}
	mk := canonMake(make)
	if mk == "" && strings.TrimSpace(make) != "" {
		// A make the table does not have: clean the name, match nothing.
		return genericForm(s), 0, false
	}
	if mk == "" {
		mk = inferred
	}
	if mk != "" {
		f := form(mk, s)
		if i, ok := find(mk, f); ok {
			return table[i].Model, i, true
		}
		return f, 0, false
	}
	// No make: each family's spelling, kept when one model answers.
	hit := -1
	for _, fm := range []string{"Antminer", "Whatsminer", "AvalonMiner", "Bitaxe"} {
		if i, ok := find("", form(fm, s)); ok {
			if hit >= 0 && hit != i {
				return genericForm(s), 0, false
			}
			hit = i
		}
	}
	if hit >= 0 {
		return table[hit].Model, hit, true
	}
	return genericForm(s), 0, false
}

// prepare keeps the first line in printable ASCII, drops vendor words and
// firmware decorations, and names the make a vendor word gave.
func prepare(model string) (string, string) {
	if i := strings.IndexAny(model, "\r\n"); i >= 0 {
		model = model[:i] // old S9 firmware: "Antminer S9\nV1.3.58"
	}
	var b strings.Builder
	for i := 0; i < len(model); i++ {
		switch c := model[i]; {
		case c == '\t':
			b.WriteByte(' ')
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if len(s) > maxLen {
		s = strings.TrimSpace(s[:maxLen])
	}
	if s == "" {
		return "", ""
	}
	orig := s
	inferred := ""
	for stripped := true; stripped && s != ""; {
		stripped = false
		low := strings.ToLower(s)
		for _, v := range vendorPrefixes {
			if !strings.HasPrefix(low, v.word) {
				continue
			}
			rest := s[len(v.word):]
			// "Avalonnano" glues the word; others need a separator or a
			// digit ("AntminerS19" is not seen, "Avalon1566" is).
			if rest != "" && v.make != "AvalonMiner" && !strings.ContainsAny(rest[:1], " _-0123456789") {
				continue
			}
			if inferred == "" {
				inferred = v.make
			}
			s = strings.TrimLeft(rest, " _-")
			stripped = true
			break
		}
	}
	noPIC := false
	for changed := true; changed && s != ""; {
		changed = false
		if m := parenSuffix.FindStringSubmatch(s); m != nil && m[0] != "" {
			if strings.TrimSpace(m[1]) == "88" {
				noPIC = true // Vnish: "Antminer S19 (88)"
			}
			s, changed = s[:len(s)-len(m[0])], true
		}
		for _, re := range []*regexp.Regexp{versionSuffix, wordSuffix} {
			if loc := re.FindStringIndex(s); loc != nil && loc[0] > 0 {
				s, changed = s[:loc[0]], true
			}
		}
		s = strings.TrimSpace(s)
	}
	if m := dash88.FindStringSubmatch(s); m != nil {
		s, noPIC = m[1], true
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return orig, inferred
	}
	if noPIC && !strings.HasSuffix(strings.ToUpper(s), "NO PIC") {
		s += " No PIC"
	}
	return s, inferred
}

// form spells a prepared name the way the make's table entries are spelled.
func form(mk, s string) string {
	var f string
	switch mk {
	case "Whatsminer":
		f = whatsminerForm(s)
	case "AvalonMiner":
		f = avalonForm(s)
	default:
		f = genericForm(s)
	}
	if a, ok := aliases[mk][key(f)]; ok {
		return a
	}
	if f == "" {
		return s // only separators ("_"): keep what the miner said
	}
	return f
}

var dashesToSpaces = strings.NewReplacer("_", " ", "-", " ")

// whatsminerForm: upper case, one space before the board revision, whose
// last digit is a production variant and becomes 0 (the table lists
// revisions by tens) unless the table has the exact revision.
func whatsminerForm(s string) string {
	u := strings.ToUpper(dashesToSpaces.Replace(s))
	u = strings.Join(strings.Fields(u), " ")
	m := whatsModel.FindStringSubmatch(u)
	if m == nil {
		return u
	}
	base, rev := m[1], m[2]
	if _, ok := index["Whatsminer"][key(base+rev)]; ok {
		return base + " " + rev
	}
	if n := len(rev); rev[n-1] >= '0' && rev[n-1] <= '9' {
		rev = rev[:n-1] + "0"
	}
	return base + " " + rev
}

// avalonForm: Canaan's number without its hashrate variant ("1246-83" ->
// "1246"), Nano and Mini as Canaan markets them ("nano3" -> "Nano 3").
func avalonForm(s string) string {
	low := strings.ToLower(s)
	for _, fam := range []string{"nano", "mini"} {
		if strings.HasPrefix(low, fam) {
			name := strings.ToUpper(fam[:1]) + fam[1:]
			if rest := strings.TrimLeft(low[len(fam):], " _-"); rest != "" {
				name += " " + rest
			}
			return name
		}
	}
	if m := avalonVariant.FindStringSubmatch(s); m != nil {
		s = m[1]
	} else if m := avalonA.FindStringSubmatch(s); m != nil {
		s = m[1] + m[2]
	}
	return genericForm(s)
}

// genericForm: series letters upper case, known words spelled one way
// ("Pro", "XP", "Hydro", "No PIC"), "Plus" written "+", words glued to the
// series split ("S19XP" -> "S19 XP").
func genericForm(s string) string {
	toks := strings.Fields(strings.ReplaceAll(s, "_", " "))
	out := make([]string, 0, len(toks)+1)
	for i, t := range toks {
		if i == 0 && lowerSeries.MatchString(t) {
			j := strings.IndexAny(t, "0123456789")
			t = strings.ToUpper(t[:j]) + t[j:]
		}
		if m := gluedWord.FindStringSubmatch(t); m != nil {
			out = append(out, m[1])
			t = m[2] + m[3]
		}
		u := strings.ToUpper(t)
		plus := strings.TrimLeft(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ.")
		w := strings.TrimSuffix(u, plus)
		switch {
		case len(out) > 0 && (u == "PLUS" || strings.Trim(u, "+") == ""):
			out[len(out)-1] += strings.Repeat("+", max(1, strings.Count(u, "+")))
			continue
		case words[w] != "" && strings.Trim(plus, "+") == "":
			t = words[w] + plus
		case u == "NOPIC":
			t = "No PIC"
		case u == "PIC" && len(out) > 0 && strings.EqualFold(out[len(out)-1], "NO"):
			out[len(out)-1] = "No"
			t = "PIC"
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return s
	}
	return strings.Join(out, " ")
}

var keyCleaner = strings.NewReplacer(" ", "", "-", "", "_", "", ".", "")

// key is how names are matched: case, spaces, '-', '_' and '.' ignored,
// "Plus" as "+", "Hyd." as "Hydro" (stock S21 Hydro firmware says
// "Antminer S21 Hyd.").
func key(s string) string {
	k := keyCleaner.Replace(strings.ToUpper(s))
	k = strings.ReplaceAll(k, "PLUS", "+")
	if strings.HasSuffix(k, "HYD") {
		k += "RO"
	}
	return k
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
