// Package innosilicon is the driver for Innosilicon miners (T2/T3 on
// SHA-256, A10/A11 on Ethash, A9 on Equihash, A4-A8 on Scrypt) with the
// stock firmware: a cgminer-style API on TCP 4028 (no login) and the
// DragonMint-style web UI on port 80, where every call is a POST:
// POST /api/auth (form username, password; default admin/admin) ->
// {"success":true,"jwt":"..."}, then "Authorization: Bearer <jwt>".
//
// Which source feeds which field (web pages first where both have it):
//   - web getAll .all: mac -> MAC; total_hash "Hash Rate H" (H/s) or
//     "Hash Rate" (MH/s, or its "Unit") -> Hashrate; chain[] {ASC (0-based
//     slot), "Hash Rate H", "Temp max" (hottest chip) -> ChipTemperature,
//     Temperature -> Temperature, "Num active chips" -> Chips, Status};
//     power (W) -> PowerWatts; fansSpeed (%) -> one Fan's Percent.
//   - web type: type -> Model (and Algorithm). web overview: version.ethaddr
//     (MAC when getAll has none), hostname, version.firmware.
//   - web getErrorDetail: code != 0 -> Errors (message table in errors.go).
//   - web summary: DEVS[] like getAll's chains (boards when getAll failed);
//     HARDWARE "Fan duty" (%, 0 = none) -> one Fan's Percent when getAll
//     has no fansSpeed.
//   - web pools: only when the 4028 pools reply is missing; else the web
//     summary's POOLS (cgminer's pools reply, passed through by the UI).
//   - 4028 summary "MHS 1m" (MH/s; "MHS 5s" when absent) -> Hashrate when
//     getAll has no total; "Elapsed" -> UptimeSeconds when stats has none.
//   - 4028 stats STATS[] {"Chain ID", "Num active chips", "Temp max",
//     Elapsed, power}: fills what the web pages left empty.
//   - 4028 pools: the standard cgminer mapping; 4028 version: CGMiner ->
//     FirmwareVersion, API -> APIVersion.
//
// Quirks: the firmware answers an expired JWT with HTTP 200 and
// {"success":false,"token":"expired"}: the transport's Expired hook renews
// it once. Other {"success":false} replies are the page's failure. The web
// summary labels H/s as "MHS 1m" (real A11MX capture): only the explicit
// "Hash Rate H" (H/s) and "Hash Rate"+"Unit" are read from the web pages.
// "Temp min" is the coolest chip, not a board sensor, and is not used.
// getAll's running_mode.level is not turned into a power limit: its
// meaning in watts is not documented.
package innosilicon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// Name is the driver name.
const Name = "innosilicon"

// Default web credentials.
const (
	DefaultUser     = "admin"
	DefaultPassword = "admin"
)

// RPCCommands are asked on 4028 in one joined request.
var RPCCommands = []string{"summary", "stats", "pools", "version"}

// WebPages are POSTed to /api/<page>, in order, on one connection.
var WebPages = []string{"getAll", "type", "overview", "getErrorDetail", "summary", "pools"}

func init() {
	drivers.Register(Name, func() drivers.Driver { return &Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers Innosilicon miners. Web is shared by all its miners (it
// keeps their JWTs); nil uses httpapi.Shared.
type Driver struct {
	Web *httpapi.Transport
}

// Name implements drivers.Driver.
func (*Driver) Name() string { return Name }

func (dr *Driver) web() *httpapi.Transport { return httpapi.Shared(dr.Web) }

// Gather asks both APIs and merges them. It fails only when neither
// answered: with auth_failed when the web login was refused, bad_response
// when the web UI answered with garbage, else the 4028 transport's error.
func (dr *Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	b := (&cgminer.Client{Addr: t.RPCAddr()}).Multi(ctx, RPCCommands...)
	w := dr.pages(ctx, t)
	if b.Err() != nil && !w.Answered() {
		werr := w.Err()
		switch {
		case errors.Is(werr, drivers.ErrAuth):
			return nil, werr
		case errors.Is(werr, drivers.ErrBadResponse) && !errors.Is(b.Err(), drivers.ErrBadResponse):
			// The web UI answered, with garbage: the miner is up.
			return nil, werr
		}
		return nil, fmt.Errorf("innosilicon: 4028 API: %w", b.Err())
	}
	return Parse(replies.WithoutRefused(b, w)), nil
}

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// pages POSTs every web page. A failure that will not change (refused,
// timeout, wrong credentials) makes the client fail the rest at once.
func (dr *Driver) pages(ctx context.Context, t drivers.Target) *httpapi.Replies {
	user, pass := t.Credentials(DefaultUser, DefaultPassword)
	addr := t.WebAddr()
	c := dr.web().Client(httpapi.Config{Addr: addr, API: "web API", Username: user,
		Login: login(addr, user, pass), Expired: Expired}.For(t))
	objs, errs := map[string]jsonval.Obj{}, map[string]error{}
	for _, p := range WebPages {
		resp, err := c.Send(ctx, httpapi.Request{Method: http.MethodPost, Path: "/api/" + p, Body: []byte{}, Header: formHeader})
		if err != nil {
			errs[p] = err
			continue
		}
		o, err := decode(resp.Body)
		if err != nil {
			errs[p] = fmt.Errorf("%s web API: POST /api/%s: %w", addr, p, err)
			continue
		}
		objs[p] = o
	}
	return httpapi.RepliesWithErrors(objs, errs)
}

// decode is httpapi.ParseJSON without the body in its error: ParseJSON
// quotes the body's start, and an error page may echo the credentials.
func decode(body []byte) (jsonval.Obj, error) {
	o, err := httpapi.ParseJSON(body)
	if err != nil {
		return jsonval.Obj{}, fmt.Errorf("%w: the reply is not a JSON object", drivers.ErrBadResponse)
	}
	return o, nil
}

// Expired tells the firmware's expired-token reply: HTTP 200 with
// {"success":false,"token":"expired"} (any "token" verdict with
// success false counts: the token is what it complains about).
func Expired(status int, body []byte) bool {
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"token"`)) {
		return false
	}
	o, err := httpapi.ParseJSON(body)
	if err != nil {
		return false
	}
	ok := o.B("success")
	return ok != nil && !*ok && o.S("token") != ""
}

// login posts the credentials as a form and returns the Bearer header.
// Errors name the miner and the API, never the password.
func login(addr, user, pass string) httpapi.TokenLogin {
	return func(ctx context.Context, c *httpapi.Client) (http.Header, error) {
		form := url.Values{"username": {user}, "password": {pass}}.Encode()
		resp, err := c.Send(ctx, httpapi.Request{Method: http.MethodPost, Path: "/api/auth", Body: []byte(form),
			Header: formHeader, NoAuth: true})
		if err != nil {
			return nil, err
		}
		o, err := decode(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("%s web API: login: %w", addr, err)
		}
		jwt := o.S("jwt", "token")
		if ok := o.B("success"); (ok != nil && !*ok) || jwt == "" {
			return nil, fmt.Errorf("%s web API: %w: login refused", addr, drivers.ErrAuth)
		}
		return http.Header{"Authorization": {"Bearer " + jwt}}, nil
	}
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr *Driver) Forget(host string) { dr.web().Forget(host) }
