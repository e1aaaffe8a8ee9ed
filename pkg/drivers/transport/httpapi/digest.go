package httpapi

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// challenge is one Digest WWW-Authenticate challenge (RFC 7616).
type challenge struct {
	realm, nonce, opaque string
	algorithm            string // upper case: MD5, MD5-SESS, SHA-256, SHA-256-SESS
	qopAuth              bool   // qop offered and includes "auth"
	qopOffered           bool
	stale                bool
	userhash             bool
}

// parseAuthHeader splits WWW-Authenticate values into challenges, each a
// scheme (lower case) and its parameters (lower-case keys). It accepts
// several challenges in one value ("Digest a=b, Basic c=d") and several
// header lines.
func parseAuthHeader(values []string) []authChallenge {
	var out []authChallenge
	for _, v := range values {
		out = append(out, parseAuthValue(v)...)
	}
	return out
}

type authChallenge struct {
	scheme string
	params map[string]string
}

func parseAuthValue(s string) []authChallenge {
	var out []authChallenge
	i := 0
	n := len(s)
	skipSpace := func() {
		for i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
	}
	token := func() string {
		start := i
		for i < n && s[i] != ' ' && s[i] != '\t' && s[i] != ',' && s[i] != '=' {
			i++
		}
		return s[start:i]
	}
	for i < n {
		skipSpace()
		if i >= n {
			break
		}
		tok := token()
		if tok == "" { // a stray '='
			i++
			continue
		}
		j := i
		for j < n && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j < n && s[j] == '=' && len(out) > 0 {
			// key=value of the current challenge
			i = j + 1
			for i < n && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			var val string
			if i < n && s[i] == '"' {
				i++
				var b strings.Builder
				for i < n && s[i] != '"' {
					if s[i] == '\\' && i+1 < n {
						i++
					}
					b.WriteByte(s[i])
					i++
				}
				i++ // closing quote
				val = b.String()
			} else {
				start := i
				for i < n && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
					i++
				}
				val = s[start:i]
			}
			out[len(out)-1].params[strings.ToLower(tok)] = val
			continue
		}
		if j < n && s[j] == '=' {
			// a parameter before any scheme: ignore it
			i = j + 1
			token()
			continue
		}
		out = append(out, authChallenge{scheme: strings.ToLower(tok), params: map[string]string{}})
	}
	return out
}

// pickDigest chooses the strongest Digest challenge we can answer:
// SHA-256 before MD5, qop=auth or no qop (RFC 2069).
func pickDigest(cs []authChallenge) (*challenge, bool) {
	var best *challenge
	rank := func(c *challenge) int {
		switch c.algorithm {
		case "SHA-256", "SHA-256-SESS":
			return 2
		}
		return 1
	}
	for _, c := range cs {
		if c.scheme != "digest" {
			continue
		}
		ch := &challenge{
			realm:     c.params["realm"],
			nonce:     c.params["nonce"],
			opaque:    c.params["opaque"],
			algorithm: strings.ToUpper(c.params["algorithm"]),
			stale:     strings.EqualFold(c.params["stale"], "true"),
			userhash:  strings.EqualFold(c.params["userhash"], "true"),
		}
		if ch.algorithm == "" {
			ch.algorithm = "MD5"
		}
		switch ch.algorithm {
		case "MD5", "MD5-SESS", "SHA-256", "SHA-256-SESS":
		default:
			continue
		}
		if q, ok := c.params["qop"]; ok {
			ch.qopOffered = true
			for _, v := range strings.Split(q, ",") {
				if strings.EqualFold(strings.TrimSpace(v), "auth") {
					ch.qopAuth = true
				}
			}
			if !ch.qopAuth {
				continue // only auth-int: it needs the body hashed; not supported
			}
		}
		if ch.nonce == "" {
			continue
		}
		if best == nil || rank(ch) > rank(best) {
			best = ch
		}
	}
	return best, best != nil
}

func (c *challenge) hasher() func() hash.Hash {
	if strings.HasPrefix(c.algorithm, "SHA-256") {
		return sha256.New
	}
	return md5.New
}

func hexHash(h func() hash.Hash, parts ...string) string {
	x := h()
	for i, p := range parts {
		if i > 0 {
			x.Write([]byte{':'})
		}
		x.Write([]byte(p))
	}
	return hex.EncodeToString(x.Sum(nil))
}

// authorize builds the Authorization header value for one request. nc is
// the nonce count for this nonce (1 for its first use).
func (c *challenge) authorize(user, pass, method, uri string, nc uint32) string {
	h := c.hasher()
	cnonce := cnonceFunc()
	ha1 := hexHash(h, user, c.realm, pass)
	if strings.HasSuffix(c.algorithm, "-SESS") {
		ha1 = hexHash(h, ha1, c.nonce, cnonce)
	}
	ha2 := hexHash(h, method, uri)
	ncs := fmt.Sprintf("%08x", nc)
	var resp string
	if c.qopAuth {
		resp = hexHash(h, ha1, c.nonce, ncs, cnonce, "auth", ha2)
	} else {
		resp = hexHash(h, ha1, c.nonce, ha2)
	}
	name := user
	if c.userhash {
		name = hexHash(h, user, c.realm)
	}
	var b strings.Builder
	b.WriteString("Digest ")
	fmt.Fprintf(&b, `username=%s, realm=%s, nonce=%s, uri=%s, algorithm=%s, response=%s`,
		quoteParam(name), quoteParam(c.realm), quoteParam(c.nonce), quoteParam(uri), c.algorithm, quoteParam(resp))
	if c.qopAuth {
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce=%s`, ncs, quoteParam(cnonce))
	}
	if c.opaque != "" {
		fmt.Fprintf(&b, `, opaque=%s`, quoteParam(c.opaque))
	}
	if c.userhash {
		b.WriteString(", userhash=true")
	}
	return b.String()
}

func quoteParam(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// cnonceFunc makes client nonces; tests replace it to check RFC vectors.
var cnonceFunc = newCnonce

func newCnonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}
