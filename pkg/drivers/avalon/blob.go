package avalon

import (
	"math"
	"strconv"
	"strings"
)

// Bounds on one MM blob, so a hostile or corrupt reply costs little.
const (
	maxTokens  = 4096 // Key[value] pairs kept per blob
	maxKeyLen  = 40
	maxListLen = 4096 // numbers in one value
	maxBoards  = 16   // per-board slots read from one module
	maxFans    = 16
	maxModules = 256 // MM ID entries (a 9xx controller drives 50)
)

// parseBlob splits Avalon's `Key[value] Key[value]` text into a map. Keys are
// the text between the previous token (or brace, quote, colon, comma) and
// '['; a value runs to the next ']'. Nested wrappers such as
// `'STATS':{...}` and HBinfo's `'HB0':{PVT_T0[...]}` flatten naturally. The
// first occurrence of a key wins. The scan is linear in the input.
func parseBlob(s string, into map[string]string) {
	keyStart := 0
	n := len(into)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			end := strings.IndexByte(s[i+1:], ']')
			if end < 0 {
				return // unterminated value: nothing more can be trusted
			}
			key := strings.Trim(s[keyStart:i], " \t\r\n'\"")
			val := s[i+1 : i+1+end]
			if validKey(key) {
				if _, dup := into[key]; !dup {
					into[key] = val
					n++
					if n >= maxTokens {
						return
					}
				}
			}
			i += end + 1
			keyStart = i + 1
		case '{', '}', ':', ',', '\'', '"':
			keyStart = i + 1
		}
	}
}

func validKey(k string) bool {
	if k == "" || len(k) > maxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ' ' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// numList reads a space-separated list of numbers ("59459.52 61407.83",
// " 66  65", "49%"). ok is false when any element is not a finite number or
// the list is longer than maxListLen.
func numList(v string) (out []float64, ok bool) {
	i := 0
	for i < len(v) {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		j := i
		for j < len(v) && v[j] != ' ' && v[j] != '\t' {
			j++
		}
		if j == i {
			break
		}
		if len(out) >= maxListLen {
			return nil, false
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(v[i:j], "%"), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		out = append(out, f)
		i = j
	}
	return out, true
}
