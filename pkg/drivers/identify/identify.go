// Package identify tells which driver a miner needs, and what make, model
// and firmware it is, from what its APIs say about themselves.
//
// What each firmware looks like is not written here: every family package
// registers a drivers.Identification next to its driver (the Asks that can
// tell it, a Match, a Describe). This package only runs the probes, each
// distinct Ask at most once per identification and within the miner's
// deadline, and holds the one order of priority between families.
package identify

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// WhatsminerV3Port is where Whatsminer API v3 listens; the firmware fixes it.
const WhatsminerV3Port = 4433

// probeTimeout bounds each probe (at least; see probeCtx), so one that
// hangs leaves the rest of the miner's deadline to the others.
const probeTimeout = 1500 * time.Millisecond

// minProbe is the least time left worth starting a probe in.
const minProbe = 20 * time.Millisecond

// maxPage bounds what is read of a page or a reply: markers and keys sit
// near the start.
const maxPage = 256 << 10

// priority is the one order between families. Evidence is weighed by
// confidence first (drivers.Certain over drivers.Guess); among families
// equally sure, the first listed wins. Firmware built on another's code
// comes before it: Braiins, Whatsminer, LuxOS, Hiveon, MaraFW and Vnish run
// on Bitmain-style hardware and say "Antminer" or "bmminer" somewhere too;
// Hiveon says MSKMiner's "rwglr" too, and MSKMiner mentions other firmware.
// "*" stands for every registered family not named here, by name.
var priority = []string{
	"braiins", "whatsminer", "luxos", "hiveon", "marathon", "antminer", "vnish", "epic",
	"auradine", "innosilicon", "avalon", "goldshell", "hammer", "elphapex", "iceriver", "bitaxe", "sealminer", "*",
}

// web is the one HTTP transport of every identification request: pages
// are small, and no connection is kept (OneShot, closeConn).
var web = httpapi.NewTransport(httpapi.Options{MaxBody: maxPage, MaxIdleConns: 16, IdleTimeout: 2 * time.Second, OneShot: true})

// followTLS reads a Whatsminer's self-signed HTTPS page when the target has
// no TLS settings of its own: nothing is sent there but a GET of "/".
var followTLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a miner's self-signed page, no credentials sent

// closeConn keeps no connection open after an identification request: a
// miner's small web server (an ESP32's few sockets) needs them for the
// driver.
var closeConn = http.Header{"Connection": {"close"}}

// Result is what identification learnt: the driver to use and, where the
// evidence showed them, the make, the model (canonical form, as drivers
// report it) and the firmware tag value the driver will report.
type Result struct {
	Driver   string
	Make     string
	Model    string // "" when no reply named it
	Firmware string
}

// Known is what the caller learnt about the miner's ports shortly before
// (a scan's connect probes, a check): ports that refused a connection are
// not asked again. A refusal is only worth reusing while fresh: a miner
// that was booting may listen now.
type Known struct {
	Refused []int
}

// Identify tells the driver of a miner; see IdentifyMiner.
func Identify(ctx context.Context, t drivers.Target, v3Port int) (string, error) {
	r, err := IdentifyMiner(ctx, t, v3Port)
	return r.Driver, err
}

// IdentifyMiner tells the driver, make, model and firmware of a miner. It
// asks, in this order, each under a short timeout (1.5 s) and the
// caller's deadline:
//
//  1. GET / on the web port (a 307 to https on the same host followed once);
//  2. "version" on the RPC port;
//  3. the families' own Asks, round by round (every family's first, in
//     priority order, then every second, ...), each only when its
//     condition holds on the evidence so far, until no Ask is left.
//
// After each reply every family weighs the evidence; the first certain one
// ends identification at once, else the best guess stands at the end. A
// port that refused, or never accepted a connection in time, is not asked
// again; an RPC port that spoke HTTP gets no cgminer command more, one
// that spoke cgminer no HTTP request. Nothing known gives
// drivers.ErrUnsupported naming what answered and what it said; nothing
// answering gives drivers.ErrRefused when every port refused, else
// drivers.ErrTimeout.
func IdentifyMiner(ctx context.Context, t drivers.Target, v3Port int) (Result, error) {
	r, _, err := IdentifyKnown(ctx, t, v3Port, Known{})
	return r, err
}

// Seen is how an identification went, also when it failed.
type Seen struct {
	// Open are the ports of the miner's host that accepted a connection:
	// what a later check of the miner compares with.
	Open []int
	// Incomplete: a probe timed out or the deadline ended before every Ask
	// was asked, so an unsupported verdict may only mean a slow miner.
	Incomplete bool
	// Guess: the verdict is a guess (drivers.Guess), not a certainty. A
	// guess from an incomplete identification may be wrong: the Ask that
	// would have told the family apart (Vnish's web info beside stock
	// Bitmain's "Antminer") may be the one that timed out.
	Guess bool
}

// IdentifyKnown is IdentifyMiner that asks nothing of the ports k says
// refused (a miner whose every port refused is drivers.ErrRefused without
// a dial), and says how it went.
func IdentifyKnown(ctx context.Context, t drivers.Target, v3Port int, k Known) (Result, Seen, error) {
	id := newIdentifier(t, v3Port, families())
	id.know(k)
	r, err := id.run(ctx)
	return r, Seen{Open: id.open(), Incomplete: id.cut, Guess: err == nil && id.guessed}, err
}

// know marks the ports k says refused as dead, with the refusal as their
// error (so a miner where they all refused is connection_refused).
func (id *identifier) know(k Known) {
	for _, p := range k.Refused {
		addr := net.JoinHostPort(id.t.Host, strconv.Itoa(p))
		if id.dead[addr] == nil {
			id.fail(addr, "", fmt.Errorf("%s: %w: refused a connection just before", addr, drivers.ErrRefused), false)
		}
	}
}

// open lists the ports of the miner's host that accepted a connection,
// sorted.
func (id *identifier) open() []int {
	id.mu.Lock()
	defer id.mu.Unlock()
	var out []int
	add := func(addr string) {
		h, ps, err := net.SplitHostPort(addr)
		if err != nil || h != id.t.Host {
			return
		}
		if p, err := strconv.Atoi(ps); err == nil && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for a := range id.conn {
		add(a)
	}
	for a := range id.said {
		add(a)
	}
	for a := range id.garbled {
		add(a)
	}
	slices.Sort(out)
	return out
}

type family struct {
	name string
	id   drivers.Identification
}

// famCache keeps families' result until an identification is registered
// (built per identification, it was 3% of a gather's allocated bytes).
var famCache struct {
	sync.Mutex
	n    int
	fams []family
}

// families are the registered identifications in priority order. The
// slice is shared: callers do not modify it.
func families() []family {
	n := drivers.IdentificationCount()
	famCache.Lock()
	defer famCache.Unlock()
	if famCache.fams == nil || famCache.n != n {
		famCache.fams, famCache.n = buildFamilies(), n
	}
	return famCache.fams
}

func buildFamilies() []family {
	all := drivers.Identifications()
	out := make([]family, 0, len(all))
	listed := map[string]bool{}
	for _, n := range priority {
		listed[n] = true
	}
	for _, n := range priority {
		if n == "*" {
			var rest []string
			for name := range all {
				if !listed[name] {
					rest = append(rest, name)
				}
			}
			sort.Strings(rest)
			for _, name := range rest {
				out = append(out, family{name, all[name]})
			}
			continue
		}
		if id, ok := all[n]; ok {
			out = append(out, family{n, id})
		}
	}
	return out
}

// identifier runs one identification.
type identifier struct {
	t      drivers.Target
	v3Port int
	fams   []family
	ev     *drivers.Evidence

	asked map[drivers.Ask]bool
	// rpcProto is what the RPC port spoke: "" (not yet), "cgminer", "http",
	// "silent" (accepted, said nothing), "other".
	rpcProto string
	// answers are what answered and the first bytes it said, for an
	// unsupported miner's error.
	answers []string
	said    map[string]bool // addresses already in answers
	// errs are the errors of the probes that got no answer.
	errs []error

	mu    sync.Mutex
	dials []string         // connections attempted outside HTTP, for tests
	dead  map[string]error // refused or never connected: the error it gave
	// garbled are addresses whose HTTP answer was no HTTP.
	garbled map[string]bool
	conn    map[string]bool // accepted a connection at least once
	// cut: the caller's deadline ended before every Ask was asked, or a
	// probe timed out: the deciding reply may be the one not had.
	cut bool
	// guessed: the verdict was a guess, not a certainty.
	guessed bool
}

func newIdentifier(t drivers.Target, v3Port int, fams []family) *identifier {
	return &identifier{t: t, v3Port: v3Port, fams: fams, ev: drivers.NewEvidence(),
		asked: map[drivers.Ask]bool{}, dead: map[string]error{}, conn: map[string]bool{}, garbled: map[string]bool{}, said: map[string]bool{}}
}

func (id *identifier) run(ctx context.Context) (Result, error) {
	if r, err, done := id.askAndWeigh(ctx, drivers.Root); done {
		return r, err
	}
	if r, err, done := id.askAndWeigh(ctx, drivers.Version); done {
		return r, err
	}
	// Round after round until no Ask is left whose condition holds: each
	// family's first Ask, in priority order, then each one's second, ...
	// (a family's most telling Ask comes early); a reply can make an Ask
	// skipped before worth asking.
	for more := true; more && ctx.Err() == nil; {
		more = false
		for i := 0; ; i++ {
			left := false
			for _, f := range id.fams {
				if i >= len(f.id.Asks) {
					continue
				}
				left = true
				ca := f.id.Asks[i]
				if id.asked[ca.Ask] || (ca.When != nil && !ca.When(id.ev)) {
					continue
				}
				more = true
				if r, err, done := id.askAndWeigh(ctx, ca.Ask); done {
					return r, err
				}
			}
			if !left {
				break
			}
		}
	}
	if f, c := id.best(); c >= drivers.Guess {
		id.guessed = c == drivers.Guess
		return id.found(f)
	}
	return Result{}, id.failure()
}

// askAndWeigh asks a and, when it brought a reply, ends identification if
// a family is now certain.
func (id *identifier) askAndWeigh(ctx context.Context, a drivers.Ask) (Result, error, bool) {
	id.asked[a] = true
	if !id.ask(ctx, a) {
		return Result{}, nil, false
	}
	f, c := id.best()
	if c == drivers.Certain {
		r, err := id.found(f)
		return r, err, true
	}
	if c == drivers.Guess {
		id.ev.Guess = f.name
	}
	return Result{}, nil, false
}

// best is the surest family, the first in priority among equals.
func (id *identifier) best() (family, drivers.Confidence) {
	var best family
	bestC := drivers.NoMatch
	for _, f := range id.fams {
		if c := f.id.Match(id.ev); c > bestC {
			best, bestC = f, c
		}
	}
	return best, bestC
}

var errNotRegistered = errors.New("no driver registered")

func (id *identifier) found(f family) (Result, error) {
	if !drivers.Registered(f.name) {
		return Result{}, fmt.Errorf("identify %s: %w: %s firmware, %w", id.t.Host, drivers.ErrUnsupported, f.name, errNotRegistered)
	}
	r := Result{Driver: f.name}
	if f.id.Describe != nil {
		d := f.id.Describe(id.ev)
		r.Make, r.Firmware = d.Make, d.Firmware
		if m := strings.TrimSpace(d.Model); m != "" {
			r.Model = models.Normalize(d.Make, m)
		}
	}
	return r, nil
}

// failure is the error of a miner no family claimed: unsupported when
// anything answered, refused when every port refused, else a timeout.
func (id *identifier) failure() error {
	if len(id.answers) > 0 {
		return fmt.Errorf("identify %s: %w: no known firmware; answered: %s", id.t.Host, drivers.ErrUnsupported,
			strings.Join(id.answers, "; "))
	}
	var first error
	allRefused := len(id.errs) > 0
	for _, err := range id.errs {
		if first == nil {
			first = err
		}
		if drivers.Result(err) != drivers.ResultConnectionRefused {
			allRefused = false
		}
	}
	switch {
	case first == nil:
		return fmt.Errorf("identify %s: %w: nothing was asked within the deadline", id.t.Host, drivers.ErrTimeout)
	case allRefused:
		return fmt.Errorf("identify %s: every port refused: %w", id.t.Host, first)
	}
	for _, err := range id.errs {
		if drivers.Result(err) == drivers.ResultTimeout {
			return fmt.Errorf("identify %s: nothing answered: %w", id.t.Host, err)
		}
	}
	return fmt.Errorf("identify %s: nothing answered: %w: %v", id.t.Host, drivers.ErrTimeout, first) //nolint:errorlint // the sentinel classifies; the cause is context only
}

// ask sends one Ask unless its port is known dead or speaks another
// protocol; it tells whether a reply was added to the evidence.
func (id *identifier) ask(ctx context.Context, a drivers.Ask) bool {
	// A probe started with no time left would only add a connection.
	if dl, ok := ctx.Deadline(); ctx.Err() != nil || ok && time.Until(dl) < minProbe {
		id.cut = true
		return false
	}
	switch a.API {
	case drivers.APIRPC:
		return id.askRPC(ctx, a)
	case drivers.APIWeb:
		if a == drivers.RootFollowed {
			return false // asked by Root itself
		}
		return id.askHTTP(ctx, a, id.t.WebAddr())
	case drivers.APIHTTPOnRPC:
		if id.rpcProto == "cgminer" {
			return false
		}
		return id.askHTTP(ctx, a, id.t.RPCAddr())
	case drivers.APIWhatsminerV3:
		return id.askV3(ctx, a)
	case drivers.APIGRPC:
		return id.askGRPC(ctx, a)
	}
	return false
}

func (id *identifier) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	id.mu.Lock()
	id.dials = append(id.dials, addr)
	id.mu.Unlock()
	c, err := drivers.Dial(ctx, network, addr)
	if err == nil {
		id.mu.Lock()
		id.conn[addr] = true
		id.mu.Unlock()
	}
	return c, err
}

// fail records a probe's error and remembers an address that refused or
// never accepted a connection in time. One that accepted and then kept
// silent may speak another protocol (ePIC's HTTP waits for a request line
// a cgminer request lacks); one that answered garbage answered.
func (id *identifier) fail(addr, what string, err error, connected bool) {
	if drivers.Result(err) == drivers.ResultTimeout {
		id.cut = true
	}
	switch drivers.Result(err) {
	case drivers.ResultConnectionRefused:
		id.dead[addr] = err
	case drivers.ResultTimeout:
		if !connected {
			id.dead[addr] = err
		}
	case drivers.ResultBadResponse, drivers.ResultAuthFailed:
		// It answered, if not in a way any API expects; the error already
		// names the address.
		if !id.said[addr] {
			id.said[addr] = true
			if len(id.answers) < maxAnswers {
				id.answers = append(id.answers, what+": "+err.Error())
			}
		}
		return
	}
	if addr == id.t.RPCAddr() {
		// The RPC port's error first: it names the miner as the plugin
		// does (host:port when the port is configured per miner).
		id.errs = append([]error{err}, id.errs...)
		return
	}
	id.errs = append(id.errs, err)
}

// answered notes what an address said, for the error of a miner no family
// claims: the first bytes, quoted.
func (id *identifier) answered(addr, what, status string, body []byte) {
	// The first thing each port said: the rest (404s of the families'
	// endpoints) adds length, not insight.
	if id.said[addr] {
		return
	}
	id.said[addr] = true
	if len(id.answers) >= maxAnswers {
		return
	}
	s := addr + " " + what + ":"
	if status != "" {
		s += " " + status
	}
	id.answers = append(id.answers, s+" "+quoteHead(body, 48))
}

// maxAnswers bounds what an unsupported miner's error lists.
const maxAnswers = 4

// quoteHead quotes at most n bytes of b, cut on a character boundary, as
// a Go string (control characters escaped).
func quoteHead(b []byte, n int) string {
	more := ""
	if len(b) > n {
		b, more = b[:n], "..."
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return strconv.Quote(string(b)) + more
}

// probeCtx bounds one probe: probeTimeout, or a third of what is left of
// the miner's deadline when that is more, so that a busy box that is slow
// to connect does not turn a good miner into a timeout while time is left.
func (id *identifier) probeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := probeTimeout
	if dl, ok := ctx.Deadline(); ok {
		d = max(d, time.Until(dl)/3)
	}
	return context.WithTimeout(ctx, d)
}

func (id *identifier) askRPC(ctx context.Context, a drivers.Ask) bool {
	addr := id.t.RPCAddr()
	if id.dead[addr] != nil || (id.rpcProto != "" && id.rpcProto != "cgminer") {
		return false
	}
	pctx, cancel := id.probeCtx(ctx)
	defer cancel()
	c := &cgminer.Client{Addr: addr, MaxReply: maxPage, Dial: id.dial}
	raw, err := c.Raw(pctx, marshal(map[string]any{"command": a.What}))
	if err != nil {
		id.mu.Lock()
		connected := id.conn[addr]
		id.mu.Unlock()
		id.fail(addr, "RPC "+strconv.Quote(a.What), err, connected)
		if drivers.Result(err) == drivers.ResultTimeout && connected && id.rpcProto == "" {
			// Accepted and never said a word: no cgminer command will do
			// better. (One that answered before is only slow.)
			id.rpcProto = "silent"
		}
		return false
	}
	if len(raw) >= 5 && strings.EqualFold(string(raw[:5]), "HTTP/") {
		// An HTTP server on this port (ePIC's API).
		id.rpcProto = "http"
		id.answered(addr, "RPC "+strconv.Quote(a.What), "", raw)
		return false
	}
	obj, err := cgminer.Parse(addr, raw)
	if err != nil {
		id.rpcProto = "other"
		id.answered(addr, "RPC "+strconv.Quote(a.What), "", raw)
		return false
	}
	id.rpcProto = "cgminer"
	id.answered(addr, "RPC "+strconv.Quote(a.What), "", raw)
	id.ev.Add(a, drivers.Reply{Body: raw, Obj: obj, OK: cgminer.CheckStatus(a.What, obj) == nil})
	return true
}

// creds are the credentials of a Digest Ask: the target's, each the
// Ask's default where the target leaves it empty.
func (id *identifier) creds(a drivers.Ask) (string, string) {
	return id.t.Credentials(a.DefaultUser, a.DefaultPass)
}

// rootCreds are the credentials the root page's client carries (it sends
// none): the first Digest Ask's on the web port, so the root's challenge is
// kept for that Ask and answered at once.
func (id *identifier) rootCreds() drivers.Ask {
	for _, f := range id.fams {
		for _, ca := range f.id.Asks {
			if ca.API == drivers.APIWeb && ca.Digest {
				return ca.Ask
			}
		}
	}
	return drivers.Ask{}
}

func (id *identifier) askHTTP(ctx context.Context, a drivers.Ask, addr string) bool {
	if id.dead[addr] != nil || id.garbled[addr] {
		return false
	}
	// The tls_* options make every web API https, as in the drivers.
	cfg := httpapi.Config{Addr: addr, API: "identification"}.For(id.t)
	req := httpapi.Request{Path: a.What, AnyStatus: true, Header: closeConn}
	digest := a
	if a == drivers.Root {
		digest, req.NoAuth = id.rootCreds(), true
	}
	if digest.Digest {
		cfg.Digest = true
		cfg.Username, cfg.Password = id.creds(digest)
	}
	pctx, cancel := id.probeCtx(ctx)
	defer cancel()
	resp, err := web.Client(cfg).Send(pctx, req)
	what := "GET " + pathOnly(a.What)
	if err != nil {
		// Through the shared transport a silent server and one that never
		// accepted look the same: neither gets another request; nor one
		// that closed on us or spoke no HTTP.
		id.fail(addr, what, err, false)
		if drivers.Result(err) == drivers.ResultBadResponse {
			id.garbled[addr] = true
		}
		return false
	}
	id.recordHTTP(a, addr, what, resp)
	if a == drivers.Root {
		id.follow(ctx, resp)
	}
	return true
}

func (id *identifier) recordHTTP(a drivers.Ask, addr, what string, resp *httpapi.Response) {
	status := "HTTP " + strconv.Itoa(resp.Status)
	head := resp.Body
	if len(head) == 0 {
		head = []byte(resp.Header.Get("WWW-Authenticate"))
	}
	id.answered(addr, what, status, head)
	var obj jsonval.Obj
	if o, err := jsonval.DecodeObj(resp.Body); err == nil {
		obj = o
	}
	id.ev.Add(a, drivers.Reply{Status: resp.Status, Header: resp.Header, Body: resp.Body, Obj: obj, OK: resp.Status < 400})
}

// follow reads the HTTPS page a root's 307 points to, on the same host
// only (Whatsminer's web server sends plain HTTP to its LuCI UI).
func (id *identifier) follow(ctx context.Context, root *httpapi.Response) {
	if root.Status != http.StatusTemporaryRedirect && root.Status != http.StatusFound && root.Status != http.StatusMovedPermanently {
		return
	}
	u, err := url.Parse(root.Header.Get("Location"))
	if err != nil || u.Scheme != "https" || u.Hostname() != id.t.Host || id.dead[u.Host] != nil {
		return
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	tc := id.t.TLS
	if tc == nil {
		tc = followTLS
	}
	pctx, cancel := id.probeCtx(ctx)
	defer cancel()
	resp, err := web.Client(httpapi.Config{Addr: host, HTTPS: true, TLS: tc, API: "identification"}).
		Send(pctx, httpapi.Request{Path: "/", NoAuth: true, AnyStatus: true, Header: closeConn})
	if err != nil {
		id.fail(host, "GET https /", err, false)
		return
	}
	id.recordHTTP(drivers.RootFollowed, host, "GET https /", resp)
}

// marshal encodes a request of strings and nil, which cannot fail.
func marshal(v map[string]any) []byte { b, _ := json.Marshal(v); return b }

func pathOnly(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}

func (id *identifier) askV3(ctx context.Context, a drivers.Ask) bool {
	addr := net.JoinHostPort(id.t.Host, strconv.Itoa(id.v3Port))
	if id.dead[addr] != nil {
		return false
	}
	pctx, cancel := id.probeCtx(ctx)
	defer cancel()
	c := &btminerv3.Client{Addr: addr, Dial: id.dial, MaxReply: maxPage}
	what := "API v3 " + strconv.Quote(a.What)
	raw, err := c.Raw(pctx, marshal(map[string]any{"cmd": a.What, "param": nil}))
	if err != nil {
		id.mu.Lock()
		connected := id.conn[addr]
		id.mu.Unlock()
		id.fail(addr, what, err, connected)
		return false
	}
	id.answered(addr, what, "", raw)
	obj, err := btminerv3.ParseReply(addr, a.What, raw)
	if obj.IsNil() {
		// Not a v3 reply, or a refusal: still what it said.
		if o, derr := jsonval.DecodeObj(raw); derr == nil {
			obj = o
		}
	}
	id.ev.Add(a, drivers.Reply{Body: raw, Obj: obj, OK: err == nil})
	return true
}

// askGRPC connects to the gRPC port and checks that an HTTP/2 server
// answers the client preface with its SETTINGS frame.
func (id *identifier) askGRPC(ctx context.Context, a drivers.Ask) bool {
	addr := id.t.GRPCAddr()
	if id.dead[addr] != nil {
		return false
	}
	pctx, cancel := id.probeCtx(ctx)
	defer cancel()
	conn, err := id.dial(pctx, "tcp", addr)
	if err != nil {
		id.fail(addr, "gRPC", drivers.NetErr(pctx, addr, "connect", err), false)
		return false
	}
	defer func() { _ = conn.Close() }()
	if dl, ok := pctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Client preface plus an empty SETTINGS frame.
	preface := append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)
	if _, err := conn.Write(preface); err != nil {
		id.fail(addr, "gRPC", fmt.Errorf("%s: %w: %v", addr, drivers.ErrBadResponse, err), true) //nolint:errorlint // the sentinel classifies; the cause is context only
		return false
	}
	var hdr [9]byte
	n, err := io.ReadFull(conn, hdr[:])
	if err != nil && n == 0 {
		var ne net.Error
		if pctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
			id.fail(addr, "gRPC", fmt.Errorf("%s: read: %w", addr, drivers.ErrTimeout), true)
		} else {
			id.fail(addr, "gRPC", fmt.Errorf("%s: %w: closed without a word", addr, drivers.ErrBadResponse), true)
		}
		return false
	}
	id.answered(addr, "gRPC preface", "", hdr[:n])
	id.ev.Add(a, drivers.Reply{Body: append([]byte(nil), hdr[:n]...), OK: n == len(hdr) && hdr[3] == 4}) // frame type SETTINGS
	return true
}
