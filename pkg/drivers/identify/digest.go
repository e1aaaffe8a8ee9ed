package identify

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// digestChallenge is an HTTP Digest challenge (RFC 7616), as much of it as
// the MaraFW check needs. Identification answers the root page's challenge
// directly, saving the 401 round trip a fresh request would cost.
type digestChallenge struct {
	realm, nonce, opaque, algorithm string
	qopAuth                         bool
}

// parseDigest reads a WWW-Authenticate value; ok is false for anything but
// a Digest challenge with a nonce.
func parseDigest(h string) (digestChallenge, bool) {
	var c digestChallenge
	s := strings.TrimSpace(h)
	if len(s) < 7 || !strings.EqualFold(s[:7], "digest ") {
		return c, false
	}
	rest := s[7:]
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " ,\t")
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimLeft(v, " \t")
		var val string
		if strings.HasPrefix(v, `"`) {
			end := 1
			var b strings.Builder
			for end < len(v) && v[end] != '"' {
				if v[end] == '\\' && end+1 < len(v) {
					end++
				}
				b.WriteByte(v[end])
				end++
			}
			val = b.String()
			if end < len(v) {
				end++
			}
			rest = v[end:]
		} else {
			val, rest, _ = strings.Cut(v, ",")
			val = strings.TrimSpace(val)
		}
		switch k {
		case "realm":
			c.realm = val
		case "nonce":
			c.nonce = val
		case "opaque":
			c.opaque = val
		case "algorithm":
			c.algorithm = val
		case "qop":
			for _, q := range strings.Split(val, ",") {
				if strings.TrimSpace(q) == "auth" {
					c.qopAuth = true
				}
			}
		}
	}
	switch strings.ToUpper(c.algorithm) {
	case "", "MD5", "SHA-256":
	default:
		return c, false
	}
	return c, c.nonce != ""
}

// authorize is the Authorization value for one request (nc 1).
func (c digestChallenge) authorize(user, pass, method, uri string) string {
	h := md5.New
	if strings.EqualFold(c.algorithm, "SHA-256") {
		h = sha256.New
	}
	sum := func(parts ...string) string {
		return hexSum(h, strings.Join(parts, ":"))
	}
	ha1 := sum(user, c.realm, pass)
	ha2 := sum(method, uri)
	var b strings.Builder
	b.WriteString("Digest username=" + quote(user) + ", realm=" + quote(c.realm) + ", nonce=" + quote(c.nonce) +
		", uri=" + quote(uri))
	if c.qopAuth {
		var r [8]byte
		_, _ = rand.Read(r[:])
		cnonce := hex.EncodeToString(r[:])
		b.WriteString(`, qop=auth, nc=00000001, cnonce="` + cnonce + `", response="` +
			sum(ha1, c.nonce, "00000001", cnonce, "auth", ha2) + `"`)
	} else {
		b.WriteString(`, response="` + sum(ha1, c.nonce, ha2) + `"`)
	}
	if c.opaque != "" {
		b.WriteString(", opaque=" + quote(c.opaque))
	}
	if c.algorithm != "" {
		b.WriteString(", algorithm=" + c.algorithm)
	}
	return b.String()
}

func hexSum(h func() hash.Hash, s string) string {
	x := h()
	x.Write([]byte(s))
	return hex.EncodeToString(x.Sum(nil))
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
