package capserve

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Each family's factory web credentials, as its firmware ships them.
const (
	digestUser, digestPass = "root", "root"      // Bitmain UI and its forks, MaraFW
	goldUser               = "admin"             // Goldshell
	innoUser, innoPass     = "admin", "admin"    // Innosilicon
	vnishPass              = "admin"             // Vnish unlock
	iceUser, icePass       = "admin", "12345678" // IceRiver
	fluxUser, fluxPass     = "admin", "admin"    // Auradine FluxOS
	bosUser, bosPass       = "root", ""          // Braiins OS 25.x and later: no password until one is set
)

// goldCipher is Goldshell's default password 123456789 as its own UI sends
// it with cipher=true (AES-128-CBC, recorded, not computed here).
const goldCipher = "bbad7537f4c8b6ea31eea0b3d760e257"

const nonce = "0a1b2c3d4e5f"

var digestParam = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))`)

func md5hex(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }

// digestOK checks a Digest Authorization (MD5, qop=auth) for the Bitmain
// default root:root, independently of the code under test.
func digestOK(r *http.Request, realm string) bool {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		return false
	}
	p := map[string]string{}
	for _, m := range digestParam.FindAllStringSubmatch(h, -1) {
		p[m[1]] = m[2] + m[3]
	}
	ha1 := md5hex(digestUser + ":" + realm + ":" + digestPass)
	ha2 := md5hex(r.Method + ":" + r.URL.RequestURI())
	want := md5hex(ha1 + ":" + nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	return p["username"] == digestUser && p["nonce"] == nonce && p["response"] == want
}

// webPrefixes are where firmwares serve the pages a capture folder holds
// as web_<page>.json (bitaxe's web_system_info is /api/system/info).
var webPrefixes = []string{"/kaonsu/v1/", "/mcb/", "/api/v1/", "/api/", "/cgi-bin/"}

// anyPage is the captured page served at path under any known prefix
// (a trailing .cgi dropped), nil when none.
func anyPage(c Capture, path string) []byte {
	for _, p := range webPrefixes {
		if rest, ok := strings.CutPrefix(path, p); ok {
			rest = strings.TrimSuffix(rest, ".cgi")
			if b, ok := c.Web[strings.ReplaceAll(rest, "/", "_")]; ok {
				return b
			}
		}
	}
	return nil
}

func write(w http.ResponseWriter, b []byte) {
	if b == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	_, _ = w.Write(b)
}

// tokens hands out and checks login tokens.
type tokens struct {
	mu    sync.Mutex
	n     int
	valid map[string]bool
}

func (k *tokens) issue(prefix string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n++
	tok := prefix + strconv.Itoa(k.n)
	if k.valid == nil {
		k.valid = map[string]bool{}
	}
	k.valid[tok] = true
	return tok
}

func (k *tokens) reset() {
	k.mu.Lock()
	k.valid = nil
	k.mu.Unlock()
}

func (k *tokens) ok(tok string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return tok != "" && k.valid[tok]
}

// Login serves a capture's web pages at a family's paths behind its
// login, with the firmware's factory credentials (the Digest families are
// checked before, in the web handler). An unknown family, or "", serves
// the pages under any known prefix. Drivers' tests use it directly to
// count logins and expire tokens.
type Login struct {
	h      http.Handler
	k      *tokens
	logins atomic.Int32
	calls  atomic.Int32 // page requests that needed the login
	refuse atomic.Bool
	// IceRiver releases: one answers an expired session with 401 instead
	// of its login page, one has no login at all (its panel is open).
	expired401, open atomic.Bool

	mu    sync.Mutex
	pages map[string][]byte

	pass string // "": the factory password
	// plain: the firmware takes the password as typed (Goldshell releases
	// that accept cipher=false); the only way a password other than the
	// factory one can be checked where the UI ciphers it.
	plain bool
}

// NewLogin is family's login in front of pages (page name -> body), with
// the firmware's factory credentials.
func NewLogin(family string, pages map[string][]byte) *Login {
	l := &Login{k: &tokens{}, pages: pages}
	l.h = l.handler(family, Capture{Web: pages})
	return l
}

// SetPage replaces (or adds) the page name: a miner whose answer changes.
func (l *Login) SetPage(name string, body []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pages := make(map[string][]byte, len(l.pages)+1)
	for k, v := range l.pages {
		pages[k] = v
	}
	pages[name] = body
	l.pages = pages
}

func (l *Login) page(name string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pages[name]
}

// Expired401 makes IceRiver's panel answer a missing or expired session
// with HTTP 401 instead of its login page, as some releases do.
func (l *Login) Expired401(on bool) { l.expired401.Store(on) }

// NoLogin makes IceRiver's UI one without a login: /user/loginpost is not
// found and the panel answers without a session.
func (l *Login) NoLogin(on bool) { l.open.Store(on) }

// WithPassword makes the login accept password instead of the factory
// one; plain says the firmware takes it as typed (Goldshell's
// cipher=false).
func (l *Login) WithPassword(password string, plain bool) *Login {
	l.pass, l.plain = password, plain
	return l
}

// password is what the login accepts: the one given, else def (the
// factory one).
func (l *Login) password(def string) string {
	if l.pass != "" {
		return l.pass
	}
	return def
}

func (l *Login) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.h.ServeHTTP(w, r) }

// Logins counts login requests, accepted or not.
func (l *Login) Logins() int { return int(l.logins.Load()) }

// Calls counts page requests behind the login, answered or turned away.
func (l *Login) Calls() int { return int(l.calls.Load()) }

// ResetCalls starts Calls again from 0.
func (l *Login) ResetCalls() { l.calls.Store(0) }

// Expire forgets every token issued so far, as a reboot or a timeout does.
func (l *Login) Expire() { l.k.reset() }

// Refuse makes every token, fresh ones too, count as expired (on) or
// valid again (off): a firmware whose sessions keep failing.
func (l *Login) Refuse(on bool) { l.refuse.Store(on) }

// valid tells a token the login issued and has not expired.
func (l *Login) valid(tok string) bool { return !l.refuse.Load() && l.k.ok(tok) }

// pagesAt serves page <name> at prefix+name+suffix with no login (the
// Digest families are checked before, in the web UI); a "/" in name is
// "_" in the capture's file name.
func (l *Login) pagesAt(prefix, suffix, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, prefix)
		name, ok2 := strings.CutSuffix(name, suffix)
		if !ok || !ok2 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		write(w, l.page(strings.ReplaceAll(name, "/", "_")))
	})
}

func (l *Login) handler(family string, c Capture) http.Handler {
	k := l.k
	bearer := func(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }
	switch family {
	case "antminer", "hiveon", "elphapex", "hammer":
		return l.pagesAt("/cgi-bin/", ".cgi", "text/html") // as the real CGI scripts label them
	case "marathon":
		return l.pagesAt("/kaonsu/v1/", "", "application/json")
	case "bitaxe":
		return l.pagesAt("/api/", "", "application/json") // /api/system/info is web_system_info
	case "goldshell":
		// GET /user/login?username=&password=&cipher=true -> {"JWT Token":..};
		// this firmware wants the ciphered password (cipher=false is
		// answered with a page, as newer releases do). /mcb/status needs no
		// login; the other /mcb pages a Bearer token.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/user/logout":
				_, _ = fmt.Fprint(w, `{}`)
				return
			case "/user/login":
				l.logins.Add(1)
				q := r.URL.Query()
				var ok bool
				switch {
				case q.Get("cipher") == "true":
					ok = l.pass == "" && q.Get("password") == goldCipher
				case l.plain:
					ok = q.Get("password") == l.pass
				default:
					_, _ = fmt.Fprint(w, "<html>cipher required</html>")
					return
				}
				if !ok || q.Get("username") != goldUser {
					_, _ = fmt.Fprint(w, `{"error":"wrong password"}`)
					return
				}
				_, _ = fmt.Fprintf(w, `{"JWT Token":%q}`, k.issue("jwt"))
				return
			}
			name := map[string]string{"/mcb/status": "status", "/mcb/setting": "setting", "/mcb/cgminer": "cgminer_" + r.URL.Query().Get("cgminercmd"), "/mcb/pools": "pools"}[r.URL.Path]
			if name != "status" {
				l.calls.Add(1)
				if !l.valid(bearer(r)) {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
			}
			write(w, l.page(name))
		})
	case "innosilicon":
		// POST /api/auth (form username, password) -> {"success":true,"jwt":..};
		// POST /api/<page> with the Bearer token.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			page, ok := strings.CutPrefix(r.URL.Path, "/api/")
			if r.Method != http.MethodPost || !ok {
				http.Error(w, "no", http.StatusMethodNotAllowed)
				return
			}
			if page == "auth" {
				l.logins.Add(1)
				if r.ParseForm() != nil || r.PostForm.Get("username") != innoUser || r.PostForm.Get("password") != l.password(innoPass) {
					_, _ = fmt.Fprint(w, `{"success":false,"message":"username or password error"}`)
					return
				}
				_, _ = fmt.Fprintf(w, `{"success":true,"jwt":%q}`, k.issue("jwt"))
				return
			}
			l.calls.Add(1)
			if !l.valid(bearer(r)) {
				_, _ = fmt.Fprint(w, `{"success":false,"token":"expired"}`)
				return
			}
			w.Header().Set("Content-Type", "text/html") // as the firmware labels it
			write(w, l.page(page))
		})
	case "vnish":
		// POST /api/v1/unlock {"pw":..} -> {"token":..}, sent bare in
		// Authorization.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			page, ok := strings.CutPrefix(r.URL.Path, "/api/v1/")
			if !ok {
				http.NotFound(w, r)
				return
			}
			if page == "unlock" {
				l.logins.Add(1)
				var body struct{ PW string }
				if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil || body.PW != l.password(vnishPass) {
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"unlock_timeout":null}`))
					return
				}
				_, _ = fmt.Fprintf(w, `{"token":%q}`, k.issue("tok"))
				return
			}
			l.calls.Add(1)
			if !l.valid(r.Header.Get("Authorization")) {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			write(w, l.page(page))
		})
	case "iceriver":
		// POST /user/loginpost post=6&user=&pwd= sets a session cookie;
		// POST /user/userpanel?post=4 answers the panel, or the login page
		// without one.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				http.Error(w, "method", http.StatusMethodNotAllowed)
				return
			}
			switch r.URL.Path {
			case "/user/loginpost":
				l.logins.Add(1)
				if l.open.Load() {
					http.NotFound(w, r)
					return
				}
				if r.FormValue("post") != "6" || r.FormValue("user") != iceUser || r.FormValue("pwd") != l.password(icePass) {
					_, _ = fmt.Fprint(w, `{"error":1,"data":{},"message":"password error"}`)
					return
				}
				http.SetCookie(w, &http.Cookie{Name: "session", Value: k.issue("s"), Path: "/"})
				_, _ = fmt.Fprint(w, `{"error":0,"data":{},"message":""}`)
			case "/user/userpanel":
				ck, err := r.Cookie("session")
				w.Header().Set("Content-Type", "text/html")
				l.calls.Add(1)
				if !l.open.Load() && (err != nil || !l.valid(ck.Value) || r.FormValue("post") != "4") {
					if l.expired401.Load() {
						w.WriteHeader(http.StatusUnauthorized)
						return
					}
					_, _ = fmt.Fprint(w, `<!DOCTYPE html><html><head><TITLE>用户界面</TITLE></head><body><form action="/user/loginpost">login</form></body></html>`)
					return
				}
				write(w, l.page("userpanel"))
			default:
				http.NotFound(w, r)
			}
		})
	case "auradine":
		return l.flux()
	case "braiins":
		// Only a capture of the REST API has it; the bosminer (4028)
		// captures are of firmware older than it (its login is then not
		// found, as on those releases).
		if _, ok := c.Web[bosRESTMarker]; ok {
			return l.bosREST()
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write(w, anyPage(c, r.URL.Path))
	})
}

// serveEPIC is ePIC's HTTP API on the RPC port: GET /<page>, no login for
// reading.
func serveEPIC(w http.ResponseWriter, r *http.Request, c Capture) {
	write(w, c.Web[strings.TrimPrefix(r.URL.Path, "/")])
}

// flux is Auradine's FluxOS REST API (its own port, not the web UI): POST
// /token {"command":"token","user":..,"password":..} -> a token sent back
// in the Token header; GET /<page> with it.
func (l *Login) flux() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			l.logins.Add(1)
			var req map[string]string
			if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req["command"] != "token" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if req["user"] != fluxUser || req["password"] != l.password(fluxPass) {
				_, _ = fmt.Fprint(w, `{"STATUS":[{"STATUS":"E","Msg":"Invalid user or password"}],"id":1}`)
				return
			}
			_, _ = fmt.Fprintf(w, `{"STATUS":[{"STATUS":"S","Msg":"Token"}],"Token":[{"Token":%q}],"id":1}`, l.k.issue("tok"))
			return
		}
		l.calls.Add(1)
		if !l.valid(r.Header.Get("Token")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		write(w, l.page(strings.TrimPrefix(r.URL.Path, "/")))
	})
}

// bosRESTMarker is the page every Braiins OS REST capture holds
// (GET /api/v1/miner/details); it tells the folder and the API apart.
const bosRESTMarker = "miner_details"

// bosREST is the Braiins OS Public REST API on the web port, as its OpenAPI
// document describes it: POST /api/v1/auth/login {"username","password"}
// -> {"token":..,"timeout_s":..}; the token then goes, as it is, in the
// Authorization header (the tools that read real units send no "Bearer "
// before it, as gRPC's metadata has none). A refused password is a 401
// (hand-chosen: no capture shows the firmware's refusal). The page of GET
// /api/v1/<path> is the capture file named after the path: "/" and "-" as
// "_", a trailing "/" dropped (/api/v1/pools/ is pools.json,
// /api/v1/performance/tuner-state performance_tuner_state.json).
func (l *Login) bosREST() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, ok := strings.CutPrefix(r.URL.Path, "/api/v1/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if path == "auth/login" {
			l.logins.Add(1)
			var req struct {
				Username *string `json:"username"`
				Password *string `json:"password"`
			}
			if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req.Username == nil || req.Password == nil {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = fmt.Fprint(w, `{"message":"bad request"}`)
				return
			}
			if *req.Username != bosUser || *req.Password != l.password(bosPass) {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = fmt.Fprint(w, `{"message":"invalid username or password"}`)
				return
			}
			_, _ = fmt.Fprintf(w, `{"token":%q,"timeout_s":3600}`, l.k.issue("bos"))
			return
		}
		l.calls.Add(1)
		if !l.valid(r.Header.Get("Authorization")) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = fmt.Fprint(w, `{"message":"unauthenticated"}`)
			return
		}
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		name := strings.NewReplacer("/", "_", "-", "_").Replace(strings.TrimSuffix(path, "/"))
		write(w, l.page(name))
	})
}
