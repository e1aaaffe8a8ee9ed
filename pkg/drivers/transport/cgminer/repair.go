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
	// last is the last non-space byte written and lastAt its index: looking
	// back for it instead would be quadratic on a run of spaces and commas.
	var last byte
	lastAt := -1
	emit := func(c byte) {
		out = append(out, c)
		if !isSpace(c) {
			last, lastAt = c, len(out)-1
		}
	}
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
				emit(c)
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
				emit('{')
				continue
			}
		}
		// A value right after a finished one lacks its comma ("}{").
		needComma := last == '}' || last == ']'
		switch {
		case c == '"':
			if needComma {
				emit(',')
			}
			inString = true
			emit(c)
		case c == '{' || c == '[':
			if needComma {
				emit(',')
			}
			switch {
			case len(open) >= maxDepth:
				overflow++
			case c == '[':
				open = append(open, len(out))
			default:
				open = append(open, -1)
			}
			emit(c)
		case c == ':':
			if overflow == 0 && len(open) > 0 && open[len(open)-1] >= 0 {
				out[open[len(open)-1]] = '{'
				open[len(open)-1] = -2
			}
			emit(c)
		case c == ',':
			if last == '[' || last == '{' || last == ',' {
				continue
			}
			emit(c)
		case c == '}' || c == ']':
			if last == ',' {
				// Drop the trailing comma (the spaces after it stay).
				out = append(out[:lastAt], out[lastAt+1:]...)
			}
			if overflow > 0 {
				overflow--
			} else if len(open) > 0 {
				if open[len(open)-1] == -2 {
					c = '}'
				}
				open = open[:len(open)-1]
			}
			emit(c)
		case c == '-' || isLetter(c):
			j := i
			if c == '-' {
				j++
			}
			k := j
			for k < len(in) && isLetter(in[k]) {
				k++
			}
			if isNonFinite(string(in[j:k])) {
				if needComma {
					emit(',')
				}
				for _, b := range []byte("null") {
					emit(b)
				}
				i = k - 1
				continue
			}
			// Copy the whole word at once: rescanning each suffix would be
			// quadratic on a hostile run of letters.
			for _, b := range in[i:k] {
				emit(b)
			}
			if k > i+1 {
				i = k - 1
			}
		default:
			emit(c)
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
