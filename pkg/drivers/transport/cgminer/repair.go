package cgminer

// Repair rewrites the malformed JSON that miner firmware really sends into
// valid JSON, without changing valid input's meaning:
//   - NUL bytes (cgminer terminates replies with one) are dropped;
//   - control characters inside strings are escaped;
//   - a missing comma between objects or arrays ("}{", bmminer STATS) is added;
//   - a trailing comma before } or ] (btminer) and a leading one after [ are dropped;
//   - bare NaN, nan, inf, -inf, Infinity (Avalon) become null;
//   - a reply that starts with a stray comma (Avalon) is given its brace;
//   - an invalid escape such as \' (btminer 2020 "Firmware Version") loses
//     its backslash;
//   - a list written like an object, ["110":"time", ...] (btminer API 2.0.4
//     error_code), becomes that object.
//
// It works in one pass over the input and allocates at most one buffer
// slightly larger than the input.
func Repair(in []byte) []byte {
	out := make([]byte, 0, len(in)+len(in)/64+8)
	inString := false
	escaped := false
	start := true
	// open holds, per nesting level, where a '[' was written (so it can
	// become '{' when a ':' shows the list is really an object), -1 for '{',
	// and -2 for a list turned object. Deeper than maxDepth is not tracked:
	// the decoder rejects such input anyway.
	var open []int
	overflow := 0
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == 0 {
			continue
		}
		if inString {
			switch {
			case escaped:
				escaped = false
				if !validEscape(c) {
					out[len(out)-1] = c // drop the backslash, keep the character
					continue
				}
				out = append(out, c)
			case c == '\\':
				escaped = true
				out = append(out, c)
			case c == '"':
				inString = false
				out = append(out, c)
			case c < 0x20:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				out = append(out, c)
			}
			continue
		}
		if start && !isSpace(c) {
			start = false
			if c == ',' {
				out = append(out, '{')
				continue
			}
		}
		switch {
		case c == '"':
			if needComma(out) {
				// "}" followed by a string key would be a missing comma too.
				out = append(out, ',')
			}
			inString = true
			out = append(out, c)
		case c == '{' || c == '[':
			if needComma(out) {
				out = append(out, ',')
			}
			switch {
			case len(open) >= maxDepth:
				overflow++
			case c == '[':
				open = append(open, len(out))
			default:
				open = append(open, -1)
			}
			out = append(out, c)
		case c == ':':
			if overflow == 0 && len(open) > 0 && open[len(open)-1] >= 0 {
				out[open[len(open)-1]] = '{'
				open[len(open)-1] = -2
			}
			out = append(out, c)
		case c == ',':
			if p := lastNonSpace(out); p == '[' || p == '{' || p == ',' {
				continue
			}
			out = append(out, c)
		case c == '}' || c == ']':
			out = trimTrailingComma(out)
			if overflow > 0 {
				overflow--
			} else if len(open) > 0 {
				if open[len(open)-1] == -2 {
					c = '}'
				}
				open = open[:len(open)-1]
			}
			out = append(out, c)
		case c == '-' || isLetter(c):
			j := i
			if c == '-' {
				j++
			}
			k := j
			for k < len(in) && isLetter(in[k]) {
				k++
			}
			word := string(in[j:k])
			if isNonFinite(word) {
				if needComma(out) {
					out = append(out, ',')
				}
				out = append(out, "null"...)
				i = k - 1
				continue
			}
			// Copy the whole word at once: rescanning each suffix would be
			// quadratic on a hostile run of letters.
			out = append(out, in[i:k]...)
			if k > i+1 {
				i = k - 1
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

const (
	hex      = "0123456789abcdef"
	maxDepth = 10000
)

func validEscape(c byte) bool {
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u':
		return true
	}
	return false
}

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNonFinite(w string) bool {
	switch w {
	case "nan", "NaN", "NAN", "inf", "Inf", "INF", "Infinity", "infinity":
		return true
	}
	return false
}

func lastNonSpace(b []byte) byte {
	for i := len(b) - 1; i >= 0; i-- {
		if !isSpace(b[i]) {
			return b[i]
		}
	}
	return 0
}

// needComma tells whether a new value starting here directly follows a
// finished value (a closing brace or bracket) without a separator.
func needComma(b []byte) bool {
	p := lastNonSpace(b)
	return p == '}' || p == ']'
}

func trimTrailingComma(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if isSpace(b[i]) {
			continue
		}
		if b[i] == ',' {
			return append(b[:i], b[i+1:]...)
		}
		return b
	}
	return b
}
