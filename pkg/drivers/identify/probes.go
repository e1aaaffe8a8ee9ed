package identify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3"
)

// WhatsminerV3Port is where Whatsminer API v3 listens; the firmware fixes it.
const WhatsminerV3Port = 4433

// probeTimeout bounds each probe, so one that hangs leaves the rest of the
// miner's deadline to the others.
const probeTimeout = 1500 * time.Millisecond

// webMarker maps what a miner's web root says to a driver. Certain markers
// name firmware that only that firmware serves; an Antminer realm is not
// certain (Hiveon, MSKMiner and old Braiins keep Bitmain's web UI), so the
// 4028 API has the last word there.
type webMarker struct {
	in      string // "realm" (WWW-Authenticate) or "body"
	marker  string
	driver  string
	certain bool
}

var webMarkers = []webMarker{
	{"realm", `realm="antminer`, "antminer", false},
	{"realm", `realm="blackminer`, "hammer", true},
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

// probeWeb reads GET / on the web port (redirects not followed; a miner
// that answers with HTTPS-only redirects is left to the other probes).
func probeWeb(ctx context.Context, t drivers.Target) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.WebAddr()+"/", nil)
	if err != nil {
		return "", false, err
	}
	c := &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true, MaxResponseHeaderBytes: 64 << 10},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	realm := strings.ToLower(resp.Header.Get("WWW-Authenticate"))
	lower := bytes.ToLower(body)
	for _, m := range webMarkers {
		switch {
		case m.in == "realm" && strings.Contains(realm, m.marker),
			m.in == "body" && bytes.Contains(lower, []byte(m.marker)):
			return m.driver, m.certain, nil
		}
	}
	return "", false, nil
}

// probeV3 asks Whatsminer API v3's get.device.info on TCP 4433.
func probeV3(ctx context.Context, t drivers.Target, port int) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	c := &btminerv3.Client{Addr: net.JoinHostPort(t.Host, strconv.Itoa(port))}
	_, err := c.Call(ctx, "get.device.info", nil)
	return err == nil, err
}

// probeGRPC connects to the gRPC port and checks that an HTTP/2 server
// answers the client preface with its SETTINGS frame: Braiins OS+ is the
// only miner firmware serving gRPC.
func probeGRPC(ctx context.Context, t drivers.Target) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.GRPCAddr())
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Client preface plus an empty SETTINGS frame.
	preface := append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)
	if _, err := conn.Write(preface); err != nil {
		return false, err
	}
	var hdr [9]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return false, err
	}
	return hdr[3] == 4, nil // frame type SETTINGS
}

// probeEPIC asks ePIC UMC's HTTP API, which it serves on the 4028 port.
func probeEPIC(ctx context.Context, t drivers.Target) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.RPCAddr()+"/capabilities", nil)
	if err != nil {
		return false, err
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, MaxResponseHeaderBytes: 64 << 10}}
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	return resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"Model"`)), nil
}

// Identify tells the driver of a miner by asking, in this fixed order, each
// with a short timeout, and taking the first certain answer:
//  1. the web root (401 realms, page markers);
//  2. the 4028 API's version, devdetails and stats (Probe);
//  3. Whatsminer API v3 on 4433;
//  4. gRPC on the gRPC port (Braiins OS+);
//  5. ePIC's HTTP API on the 4028 port.
//
// A web answer that is not certain (Bitmain's realm, an "Avalon" page) is
// kept and used when no later probe answers. The result names a registered
// driver; nothing known gives drivers.ErrUnsupported, and a miner that
// answered nothing gives the first probe's error.
func Identify(ctx context.Context, t drivers.Target, v3Port int) (string, error) {
	registered := func(name string) bool { _, err := drivers.New(name); return err == nil }
	// The 4028 API's failure explains a silent miner best; the others are
	// kept in case it has none.
	var rpcErr, otherErr error
	keep := func(err error) {
		if otherErr == nil && err != nil {
			otherErr = err
		}
	}

	webGuess, certain, err := probeWeb(ctx, t)
	keep(err)
	if certain && registered(webGuess) {
		return webGuess, nil
	}
	d, err := Probe(ctx, t)
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, drivers.ErrUnsupported) {
		rpcErr = err
	}
	ok, err := probeV3(ctx, t, v3Port)
	if ok {
		return "whatsminer", nil
	}
	keep(err)
	if ok, err = probeGRPC(ctx, t); ok {
		return "braiins", nil
	}
	keep(err)
	if registered("epic") {
		if ok, err = probeEPIC(ctx, t); ok {
			return "epic", nil
		}
		keep(err)
	}
	if webGuess != "" && registered(webGuess) {
		return webGuess, nil
	}
	if rpcErr != nil {
		return "", fmt.Errorf("identify: %w", rpcErr)
	}
	if otherErr != nil && !answered(otherErr) {
		return "", fmt.Errorf("identify: %w", otherErr)
	}
	return "", fmt.Errorf("identify %s: %w: no known firmware answered", t.Host, drivers.ErrUnsupported)
}

// answered tells whether an error means the miner said something (so it is
// there, but unknown) rather than nothing at all.
func answered(err error) bool {
	r := drivers.Result(err)
	return r == drivers.ResultBadResponse || r == drivers.ResultAuthFailed
}
