package identify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3"
)

// WhatsminerV3Port is where Whatsminer API v3 listens; the firmware fixes it.
const WhatsminerV3Port = 4433

// probeTimeout bounds each probe, so one that hangs leaves the rest of the
// miner's deadline to the others.
const probeTimeout = 1500 * time.Millisecond

// maxPage bounds what is read of a page: markers sit in the first KiB.
const maxPage = 256 << 10

// webMarker maps what a miner's web root says to a driver. Certain markers
// name firmware that only that firmware serves; an Antminer realm is not
// certain (Hiveon, MSKMiner, MaraFW and old Braiins keep Bitmain's web UI),
// so the MaraFW check and the 4028 API have the last word there.
type webMarker struct {
	in      string // "realm" (WWW-Authenticate) or "body"
	marker  string // lower case
	driver  string
	certain bool
}

var webMarkers = []webMarker{
	{"realm", `realm="antminer`, "antminer", false},
	{"realm", `realm="marafw`, "marathon", true},   // newer MaraFW names itself
	{"realm", `realm="blackminer`, "hammer", true}, // Hammer and VolcMiner
	{"realm", `realm="daoge`, "elphapex", true},
	{"body", "braiins os", "braiins", true},
	{"body", "luxor firmware", "luxos", true},
	{"body", "anthillos", "vnish", true},
	{"body", "axeos", "bitaxe", true},
	{"body", "lucky miner", "bitaxe", true},
	{"body", "cloud-box", "goldshell", true},
	{"body", "miner web dashboard", "epic", true},
	{"body", "dragonmint", "innosilicon", true},
	{"body", "<title>用户界面</title>", "iceriver", true},
	{"body", "miner ui", "auradine", true},
	{"body", "avalon", "avalon", false},
}

// webVerdict is what the root page says.
type webVerdict struct {
	driver  string
	certain bool
	// follow is the https URL a Whatsminer-style 307 points to: its page
	// decides (it links /cgi-bin/luci).
	follow string
}

// matchWeb reads GET /'s answer. Pure, so it can be fuzzed.
func matchWeb(status int, authenticate, location string, body []byte) webVerdict {
	realm := strings.ToLower(authenticate)
	lower := bytes.ToLower(body)
	if status == http.StatusTemporaryRedirect && strings.HasPrefix(strings.ToLower(location), "https://") {
		// Whatsminer's web server sends plain HTTP to its HTTPS LuCI UI.
		if bytes.Contains(lower, []byte("/cgi-bin/luci")) {
			return webVerdict{driver: "whatsminer", certain: true}
		}
		return webVerdict{driver: "whatsminer", follow: location}
	}
	for _, m := range webMarkers {
		switch {
		case m.in == "realm" && strings.Contains(realm, m.marker),
			m.in == "body" && bytes.Contains(lower, []byte(m.marker)):
			return webVerdict{driver: m.driver, certain: m.certain}
		}
	}
	return webVerdict{}
}

// matchLuci tells a Whatsminer's HTTPS root page.
func matchLuci(status int, body []byte) bool {
	return status < 400 && bytes.Contains(bytes.ToLower(body), []byte("/cgi-bin/luci"))
}

// matchKaonsu tells MaraFW's GET /kaonsu/v1/brief: a JSON object (stock
// Bitmain firmware answers 404).
func matchKaonsu(status int, body []byte) bool {
	if status != http.StatusOK {
		return false
	}
	_, err := jsonval.DecodeObj(body)
	return err == nil
}

// matchMCBStatus tells Goldshell's GET /mcb/status ({"model":
// "Goldshell-SC5ProⅡ", "firmware": "2.2.0", ...}, no login needed).
func matchMCBStatus(status int, body []byte) (model, firmware string, ok bool) {
	if status != http.StatusOK {
		return "", "", false
	}
	o, err := jsonval.DecodeObj(body)
	if err != nil {
		return "", "", false
	}
	model, _ = o["model"].(string)
	if _, has := o["firmware"]; !has || strings.TrimSpace(model) == "" {
		return "", "", false
	}
	firmware = o.S("firmware")
	return strings.TrimSpace(model), strings.TrimSpace(firmware), true
}

// matchCapabilities tells ePIC's GET /capabilities: a JSON object with a
// Model ("AntMiner S19 XP").
func matchCapabilities(status int, body []byte) (model string, ok bool) {
	if status != http.StatusOK {
		return "", false
	}
	o, err := jsonval.DecodeObj(body)
	if err != nil {
		return "", false
	}
	model, ok = o["Model"].(string)
	return strings.TrimSpace(model), ok && strings.TrimSpace(model) != ""
}

// matchV3 reads Whatsminer API v3's get.device.info reply: msg.miner.type
// ("M60S_VK40").
func matchV3(reply jsonval.Obj) string {
	return strings.TrimSpace(reply.O("msg").O("miner").S("type"))
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// identifier runs the probes of one identification. It remembers the
// addresses that did not answer, so no probe is spent on them again.
type identifier struct {
	t      drivers.Target
	v3Port int

	mu    sync.Mutex
	dials []string         // every connection attempted, for tests
	dead  map[string]error // refused or silent: the error it gave
	conn  map[string]bool  // accepted a connection at least once
}

func (id *identifier) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	id.mu.Lock()
	id.dials = append(id.dials, addr)
	id.mu.Unlock()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err == nil {
		id.mu.Lock()
		id.conn[addr] = true
		id.mu.Unlock()
	}
	return c, err
}

// note remembers an address that refused, or never accepted a connection
// in time. One that accepted and then kept silent may be another protocol
// (ePIC's HTTP waits for a request line a cgminer request lacks).
func (id *identifier) note(addr string, err error) {
	if err == nil {
		return
	}
	id.mu.Lock()
	connected := id.conn[addr]
	id.mu.Unlock()
	switch drivers.Result(err) {
	case drivers.ResultConnectionRefused:
		if id.dead[addr] == nil {
			id.dead[addr] = err
		}
	case drivers.ResultTimeout:
		if connected {
			return
		}
		if id.dead[addr] == nil {
			id.dead[addr] = err
		}
	}
}

// httpGet sends one GET (redirects not followed). insecure is only for
// reading a Whatsminer's self-signed HTTPS page, which carries no
// credentials either way.
func (id *identifier) httpGet(ctx context.Context, rawURL string, header http.Header, insecure bool) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %w", drivers.ErrBadResponse, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	tr := &http.Transport{Proxy: nil, DialContext: id.dial, DisableKeepAlives: true, MaxResponseHeaderBytes: 64 << 10,
		TLSHandshakeTimeout: probeTimeout}
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a miner's self-signed page, no secrets sent
	}
	c := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, fmt.Errorf("GET %s: %w", req.URL.Path, drivers.ErrTimeout)
		}
		return 0, nil, nil, fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	return resp.StatusCode, resp.Header, body, nil
}

// probeWeb reads GET / on the web port. A Whatsminer-style 307 to HTTPS
// is followed once, to the same host only, to read its page.
func (id *identifier) probeWeb(ctx context.Context) (webVerdict, string, error) {
	addr := id.t.WebAddr()
	status, hdr, body, err := id.httpGet(ctx, "http://"+addr+"/", nil, false)
	if err != nil {
		id.note(addr, err)
		return webVerdict{}, "", err
	}
	v := matchWeb(status, hdr.Get("WWW-Authenticate"), hdr.Get("Location"), body)
	if v.follow != "" {
		if u, err := url.Parse(v.follow); err == nil && u.Scheme == "https" && u.Hostname() == id.t.Host && id.dead[u.Host] == nil {
			st, _, page, err := id.httpGet(ctx, u.String(), nil, true)
			id.note(u.Host, err)
			if err == nil && matchLuci(st, page) {
				v.certain = true
			}
		}
		v.follow = ""
	}
	return v, hdr.Get("WWW-Authenticate"), nil
}

// probeKaonsu asks MaraFW's GET /kaonsu/v1/brief with Digest auth (the
// target's credentials, else MaraFW's default root:root), answering the
// root page's challenge directly and a fresh one once.
func (id *identifier) probeKaonsu(ctx context.Context, challenge string) (bool, error) {
	const path = "/kaonsu/v1/brief"
	user, pass := id.t.Username, id.t.Password
	if user == "" {
		user, pass = "root", "root"
	}
	u := "http://" + id.t.WebAddr() + path
	var hdr http.Header
	if ch, ok := parseDigest(challenge); ok {
		hdr = http.Header{"Authorization": {ch.authorize(user, pass, http.MethodGet, path)}}
	}
	for try := 0; try < 2; try++ {
		status, h, body, err := id.httpGet(ctx, u, hdr, false)
		if err != nil {
			id.note(id.t.WebAddr(), err)
			return false, err
		}
		if status != http.StatusUnauthorized {
			return matchKaonsu(status, body), nil
		}
		ch, ok := parseDigest(h.Get("WWW-Authenticate"))
		if !ok {
			break
		}
		hdr = http.Header{"Authorization": {ch.authorize(user, pass, http.MethodGet, path)}}
	}
	// Credentials refused: MaraFW or not, this says nothing certain.
	return false, nil
}

// probeMCB asks Goldshell's GET /mcb/status (no login).
func (id *identifier) probeMCB(ctx context.Context) (model string, ok bool, err error) {
	status, _, body, err := id.httpGet(ctx, "http://"+id.t.WebAddr()+"/mcb/status", nil, false)
	if err != nil {
		id.note(id.t.WebAddr(), err)
		return "", false, err
	}
	model, _, ok = matchMCBStatus(status, body)
	return model, ok, nil
}

// probeV3 asks Whatsminer API v3's get.device.info on TCP 4433.
func (id *identifier) probeV3(ctx context.Context) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	addr := net.JoinHostPort(id.t.Host, strconv.Itoa(id.v3Port))
	c := &btminerv3.Client{Addr: addr, Dial: id.dial}
	reply, err := c.Call(ctx, "get.device.info", nil)
	if err != nil {
		id.note(addr, err)
		return "", false, err
	}
	return matchV3(reply), true, nil
}

// probeGRPC connects to the gRPC port and checks that an HTTP/2 server
// answers the client preface with its SETTINGS frame: Braiins OS+ is the
// only miner firmware serving gRPC.
func (id *identifier) probeGRPC(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	addr := id.t.GRPCAddr()
	conn, err := id.dial(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%s: connect: %w", addr, drivers.ErrTimeout)
		}
		id.note(addr, err)
		return false, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Client preface plus an empty SETTINGS frame.
	preface := append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)
	if _, err := conn.Write(preface); err != nil {
		return false, fmt.Errorf("%s: %w: %v", addr, drivers.ErrBadResponse, err) //nolint:errorlint // not this API, whatever the socket error
	}
	var hdr [9]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%s: read: %w", addr, drivers.ErrTimeout)
			id.note(addr, err)
			return false, err
		}
		return false, fmt.Errorf("%s: %w: %v", addr, drivers.ErrBadResponse, err) //nolint:errorlint // not this API, whatever the socket error
	}
	return hdr[3] == 4, nil // frame type SETTINGS
}

// probeEPIC asks ePIC UMC's HTTP API, which it serves on the 4028 port.
func (id *identifier) probeEPIC(ctx context.Context) (string, bool, error) {
	status, _, body, err := id.httpGet(ctx, "http://"+id.t.RPCAddr()+"/capabilities", nil, false)
	if err != nil {
		id.note(id.t.RPCAddr(), err)
		return "", false, err
	}
	model, ok := matchCapabilities(status, body)
	return model, ok, nil
}

// answered tells whether an error means the miner said something (so it is
// there, but unknown) rather than nothing at all.
func answered(err error) bool {
	r := drivers.Result(err)
	return r == drivers.ResultBadResponse || r == drivers.ResultAuthFailed
}

var errNotRegistered = errors.New("no driver registered")
