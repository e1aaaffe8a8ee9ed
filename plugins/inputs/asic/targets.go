package asic

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// maxTargets bounds what one block may expand to: a /12 of IPv4 or a typo
// like "10.0.0.0/8" would otherwise start 16 million pollers.
const maxTargets = 1 << 20

// target is one miner address to poll.
type target struct {
	host    string // address or host name
	rpcPort int    // 0: the configured/default port
	listed  bool   // named one by one (not from a CIDR or range)
}

// expandMiners turns the miners list into targets, deduplicated in order.
// Entries: "10.0.0.5", "10.0.0.5:4029", "[2001:db8::5]:4028", "miner-12",
// "10.0.1.0/24", "10.0.2.10-10.0.2.50", "10.0.2.10-50".
func expandMiners(entries []string) ([]target, error) {
	var out []target
	seen := map[string]bool{}
	add := func(t target) error {
		key := net.JoinHostPort(t.host, strconv.Itoa(t.rpcPort))
		if seen[key] {
			return nil
		}
		if len(out) >= maxTargets {
			return fmt.Errorf("miners: more than %d addresses", maxTargets)
		}
		seen[key] = true
		out = append(out, t)
		return nil
	}
	for _, raw := range entries {
		e := strings.TrimSpace(raw)
		if e == "" {
			return nil, fmt.Errorf("miners: empty entry")
		}
		var err error
		switch {
		case strings.Contains(e, "/"):
			err = expandCIDR(e, add)
		case isRange(e):
			err = expandRange(e, add)
		default:
			var t target
			t, err = parseHost(e)
			if err == nil {
				err = add(t)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseHost(e string) (target, error) {
	t := target{host: e, listed: true}
	if host, port, err := net.SplitHostPort(e); err == nil {
		p, perr := strconv.Atoi(port)
		if perr != nil || p < 1 || p > 65535 {
			return t, fmt.Errorf("miners: %q: bad port %q", e, port)
		}
		t.host, t.rpcPort = host, p
	}
	if _, err := netip.ParseAddr(t.host); err == nil {
		return t, nil
	}
	if !validHostname(t.host) {
		return t, fmt.Errorf("miners: %q is not an address, host name, CIDR block or range", e)
	}
	return t, nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	// An all-numeric last label is a mistyped address ("10.0.0.300"),
	// never a real name.
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func expandCIDR(e string, add func(target) error) error {
	prefix, err := netip.ParsePrefix(e)
	if err != nil {
		return fmt.Errorf("miners: %q: %w", e, err)
	}
	prefix = prefix.Masked()
	bits := prefix.Addr().BitLen() - prefix.Bits()
	if bits > 20 {
		return fmt.Errorf("miners: %q has %d host bits; at most 20 (a /12 of IPv4) per block", e, bits)
	}
	first := prefix.Addr()
	n := 1 << bits
	for i := 0; i < n; i++ {
		a := first
		first = first.Next()
		// Network and broadcast addresses hold no miner in IPv4 blocks
		// larger than /31.
		if a.Is4() && bits >= 2 && (i == 0 || i == n-1) {
			continue
		}
		if err := add(target{host: a.String()}); err != nil {
			return err
		}
	}
	return nil
}

func isRange(e string) bool {
	a, _, ok := strings.Cut(e, "-")
	if !ok {
		return false
	}
	_, err := netip.ParseAddr(a)
	return err == nil
}

// expandRange reads "a.b.c.d-a.b.c.e" or the short "a.b.c.d-e".
func expandRange(e string, add func(target) error) error {
	from, to, _ := strings.Cut(e, "-")
	start, err := netip.ParseAddr(strings.TrimSpace(from))
	if err != nil || !start.Is4() {
		return fmt.Errorf("miners: range %q: start must be an IPv4 address", e)
	}
	to = strings.TrimSpace(to)
	var end netip.Addr
	if n, err := strconv.Atoi(to); err == nil {
		if n < 0 || n > 255 {
			return fmt.Errorf("miners: range %q: end %d is not an octet", e, n)
		}
		b := start.As4()
		b[3] = byte(n)
		end = netip.AddrFrom4(b)
	} else if end, err = netip.ParseAddr(to); err != nil || !end.Is4() {
		return fmt.Errorf("miners: range %q: end must be an IPv4 address or last octet", e)
	}
	s, t := v4(start), v4(end)
	if t < s {
		return fmt.Errorf("miners: range %q: end is before start", e)
	}
	if t-s >= maxTargets {
		return fmt.Errorf("miners: range %q has more than %d addresses", e, maxTargets)
	}
	for i := s; ; i++ {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], i)
		if err := add(target{host: netip.AddrFrom4(b).String()}); err != nil {
			return err
		}
		if i == t {
			return nil
		}
	}
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}
