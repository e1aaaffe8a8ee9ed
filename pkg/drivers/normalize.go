package drivers

import (
	"strings"
)

// NormalizeMAC returns a MAC as upper-case, colon-separated pairs
// ("AA:BB:CC:DD:EE:FF") from the forms firmware sends (aabbccddeeff,
// aa-bb-..., aa:bb:...). Anything that is not 12 hex digits is returned
// trimmed and upper-cased, so nothing is lost.
func NormalizeMAC(s string) string {
	s = strings.TrimSpace(s)
	hexOnly := make([]byte, 0, 12)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			hexOnly = append(hexOnly, c)
		case c == ':' || c == '-' || c == '.':
		default:
			return strings.ToUpper(s)
		}
	}
	if len(hexOnly) != 12 {
		return strings.ToUpper(s)
	}
	up := strings.ToUpper(string(hexOnly))
	var b strings.Builder
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(up[i : i+2])
	}
	return b.String()
}
