package antminer

import (
	"regexp"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
)

var (
	parenSuffix = regexp.MustCompile(`\s*\([^)]*\)\s*$`)               // "(Vnish 1.2.6)", "(88)"
	mskVersion  = regexp.MustCompile(`(?i)\s+v\.?\s*[0-9][0-9.]*\s*$`) // MSKMiner "S19-88 v.2.6.0.39"
	vnishVer    = regexp.MustCompile(`(?i)\(\s*vnish\s+([^)\s]+)\s*\)`)
	spaces      = regexp.MustCompile(`\s+`)
	// Custom firmware that names itself in bmminer's Type or version
	// string: "Antminer D3 Blissz v2.06 beta", "2.4.0-asicseer-1.1.9-f7b7".
	blisszType  = regexp.MustCompile(`(?i)\s+blissz\b\s*(.*)$`)
	asicseerVer = regexp.MustCompile(`(?i)\basicseer[-_ ]+v?([0-9][0-9A-Za-z.\-]*)`)
)

// customFirmware tells custom firmware that keeps Bitmain's API by what it
// writes into Type or the BMMiner/CGMiner version: its firmware tag and
// version, or "" for none.
func customFirmware(typ, minerName string) (tag, version string) {
	if i := strings.IndexAny(typ, "\r\n"); i >= 0 {
		typ = typ[:i]
	}
	if m := blisszType.FindStringSubmatch(strings.TrimSpace(typ)); m != nil {
		v := strings.TrimSpace(m[1])
		if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
			v = v[1:]
		}
		return "blissz", v
	}
	if m := asicseerVer.FindStringSubmatch(minerName); m != nil {
		return "asicseer", m[1]
	}
	if strings.Contains(strings.ToLower(minerName), "asicseer") {
		return "asicseer", ""
	}
	return "", ""
}

// CleanModel turns a bmminer Type ("Antminer S19 Pro", "Antminer S9\nV1.3.58",
// "Antminer S19 (Vnish 1.2.6)", "Antminer S9 Hiveon", "S19-88 v.2.6.0.39 ",
// "Antminer D3 Blissz v2.06 beta") into the canonical model ("S19 Pro", "S9",
// "S19", "S9", "S19 No PIC", "D3").
func CleanModel(typ string) string {
	s := typ
	// Old S9 firmware appends the hardware revision on a second line.
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	noPIC := false
	if m := parenSuffix.FindString(s); m != "" {
		// Vnish writes the 88-chip S19 variants as "(88)".
		if strings.TrimSpace(strings.Trim(strings.TrimSpace(m), "()")) == "88" {
			noPIC = true
		}
		s = parenSuffix.ReplaceAllString(s, "")
	}
	s = mskVersion.ReplaceAllString(s, "")
	s = blisszType.ReplaceAllString(s, "") // the firmware, not the model
	for _, p := range []string{"antminer ", "bitmain "} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = s[len(p):]
		}
	}
	for _, suf := range []string{" hiveon", " aml"} {
		if len(s) >= len(suf) && strings.EqualFold(s[len(s)-len(suf):], suf) {
			s = s[:len(s)-len(suf)]
		}
	}
	// MSKMiner names the 88-chip (no PIC) S19 "S19-88".
	if strings.HasSuffix(s, "-88") {
		s = strings.TrimSuffix(s, "-88")
		noPIC = true
	}
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if noPIC && s != "" && !strings.HasSuffix(strings.ToLower(s), "no pic") {
		s += " No PIC"
	}
	return s
}

// VnishVersion returns "1.2.6" from "Antminer S19 (Vnish 1.2.6)", or "".
func VnishVersion(typ string) string {
	if m := vnishVer.FindStringSubmatch(typ); m != nil {
		return m[1]
	}
	return ""
}

// mskFirmwareVersion returns "2.6.0.39" from "S19-88 v.2.6.0.39".
func mskFirmwareVersion(typ string) string {
	m := mskVersion.FindString(strings.TrimSpace(typ))
	if m == "" {
		return ""
	}
	m = strings.TrimSpace(m)
	m = strings.TrimLeft(m, "vV")
	return strings.TrimSpace(strings.TrimPrefix(m, "."))
}

// Algorithm is the coin algorithm of an Antminer model, from its series
// letter: L = scrypt, D = X11, Z = Equihash, ... S and T are SHA-256.
func Algorithm(model string) string {
	m := strings.ToUpper(strings.TrimSpace(model))
	switch {
	case m == "":
		return ""
	case strings.HasPrefix(m, "L"):
		return "scrypt"
	case strings.HasPrefix(m, "DR"):
		return "blake256"
	case strings.HasPrefix(m, "D"):
		return "x11"
	case strings.HasPrefix(m, "Z"):
		return "equihash"
	case strings.HasPrefix(m, "E"):
		return "ethash"
	case strings.HasPrefix(m, "KA"):
		return "blake2s" // Kadena
	case strings.HasPrefix(m, "KS"):
		return "kheavyhash"
	case strings.HasPrefix(m, "K7"):
		return "eaglesong"
	case strings.HasPrefix(m, "HS"):
		return "handshake"
	}
	return "sha256"
}

// unitToTH is the factor from a firmware rate unit ("GH", "GH/s", "MH") to
// the schema's unit.
func unitToTH(u string) (float64, bool) {
	x, ok := hashunit.ParseUnit(u)
	return x.THs(1), ok
}
