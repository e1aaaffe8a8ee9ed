// Package poolmetrics parses the pool URLs miners report and computes the
// standardized pool metrics. It is pure: no I/O, no knowledge of drivers or
// Telegraf.
package poolmetrics

import (
	"net"
	"strconv"
	"strings"
)

// Known stratum schemes.
const (
	SchemeV1    = "stratum+tcp"
	SchemeV1SSL = "stratum+ssl"
	SchemeV2    = "stratum2+tcp"
)

// URL is a pool URL split into its parts. Raw is the URL as the miner sent
// it (trimmed), with "stratum+tcp://" put in front of a bare host:port so
// that it reads scheme://host:port like every other pool URL; the other
// parts are empty or zero when they could not be read, and Parsed tells
// whether Host was found.
type URL struct {
	Raw    string
	Scheme string // one of the Scheme* constants; "" when unknown
	Host   string // lower case; IPv6 literals without brackets
	Port   int    // 0 when absent
	Pubkey string // stratum v2 authority key, from the path
	Parsed bool   // Host is known
}

// schemeAliases maps what firmware writes to the three canonical schemes.
// Anything else is kept verbatim (lower case) but is not one of the three.
var schemeAliases = map[string]string{
	"stratum+tcp":  SchemeV1,
	"stratum":      SchemeV1,
	"tcp":          SchemeV1,
	"stratum+ssl":  SchemeV1SSL,
	"stratum+tls":  SchemeV1SSL,
	"stratum+ssl2": SchemeV1SSL,
	"ssl":          SchemeV1SSL,
	"tls":          SchemeV1SSL,
	"stratum2+tcp": SchemeV2,
	"stratum2":     SchemeV2,
	"stratum2+ssl": SchemeV2,
}

// ParseURL reads a pool URL as miners send it: with or without a scheme,
// any case, surrounding spaces, IPv6 literals, with or without a port, with a
// stratum v2 pubkey as the path. It never fails: what cannot be read stays
// in Raw only.
func ParseURL(s string) URL {
	u := URL{Raw: strings.TrimSpace(s)}
	rest := u.Raw
	if rest == "" {
		return u
	}
	bare := false
	if i := strings.Index(rest, "://"); i >= 0 {
		scheme := strings.ToLower(rest[:i])
		rest = rest[i+3:]
		canon, ok := schemeAliases[scheme]
		if !ok && !validScheme(scheme) {
			return u
		}
		// An unknown but well-formed scheme (http, stratum+whatever) leaves
		// Scheme empty; host and port are still worth reporting.
		u.Scheme = canon
	} else {
		// A bare host:port is what most firmware means by stratum v1.
		u.Scheme = SchemeV1
		bare = true
	}
	// Drop credentials some UIs embed (user@host); they are not the host.
	// NiceHash's "#xnsub" (extranonce subscribe) and any query are options,
	// not part of the address.
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority = authority[at+1:]
	}
	host, port, ok := splitHostPort(authority)
	if !ok {
		return u
	}
	u.Host = strings.ToLower(host)
	u.Port = port
	u.Parsed = true
	// A bare name without a port is left as sent: it is not an address a
	// scheme would make whole. One without a dot ("DevFee", the fee
	// placeholder of Vnish and Hiveon) is no host on a pool's network
	// either: nothing says which protocol it speaks.
	switch {
	case bare && port > 0:
		u.Raw = SchemeV1 + "://" + u.Raw
	case bare && !strings.ContainsAny(host, ".:"):
		u.Scheme = ""
	}
	if u.Scheme == SchemeV2 {
		u.Pubkey = strings.Trim(path, "/ ")
	}
	return u
}

func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// splitHostPort accepts host, host:port, [v6], [v6]:port and a bare v6
// literal. The port must be 1-65535 when present.
func splitHostPort(a string) (string, int, bool) {
	a = strings.TrimSpace(a)
	if a == "" {
		return "", 0, false
	}
	if strings.HasPrefix(a, "[") {
		end := strings.Index(a, "]")
		if end < 0 {
			return "", 0, false
		}
		host := a[1:end]
		if net.ParseIP(host) == nil {
			return "", 0, false
		}
		rest := a[end+1:]
		if rest == "" {
			return host, 0, true
		}
		if !strings.HasPrefix(rest, ":") {
			return "", 0, false
		}
		p, ok := parsePort(rest[1:])
		return host, p, ok
	}
	if strings.Count(a, ":") > 1 {
		// Bare IPv6 literal without brackets: no port can be told apart.
		if net.ParseIP(a) == nil {
			return "", 0, false
		}
		return a, 0, true
	}
	host, portStr, hasPort := strings.Cut(a, ":")
	if !validHost(host) {
		return "", 0, false
	}
	if !hasPort {
		return host, 0, true
	}
	p, ok := parsePort(portStr)
	return host, p, ok
}

func parsePort(s string) (int, bool) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p < 1 || p > 65535 {
		return 0, false
	}
	return p, true
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}
