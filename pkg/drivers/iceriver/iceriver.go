// Package iceriver is the driver for IceRiver miners (KS0…KS7 on
// kHeavyHash, AL3 on Blake3). They have no 4028 API; everything comes from
// one page of the web UI (port 80):
//   - POST /user/loginpost?post=6&user=admin&pwd=<pw> (default 12345678)
//     sets a session cookie. The transport keeps it per miner and renews it
//     once when the panel answers with the login page or 401.
//   - POST /user/userpanel?post=4 -> {"error":0,"data":{...}}:
//     softver1 "ICM168_3_2_10_ks5L_miner" -> Model "KS5L" (model "none")
//     and FirmwareVersion; algo or the model -> Algorithm; mac
//     ("52-8c-...") -> MAC; host -> Hostname; rtpow "15011G" with unit
//     -> Hashrate; runtime "dd:hh:mm:ss" -> UptimeSeconds; fans[] RPM;
//     boards[] {no (1-based), chipnum, freq MHz, rtpow, intmp, outtmp,
//     pcbtemp "a-b-c-d", state}; pools[] {addr, user, accepted, rejected,
//     connect (1 = in use), state (1 = alive)}; locate -> FaultLight;
//     powstate -> IsMining.
//
// Units: rates carry their own unit letter (K/M/G/T/P; "unit" is the
// default) and become TH/s; °C; RPM; MHz.
// Quirks: numbers arrive as floats ("no": 1.0, "connect": -1.0); idealpow
// "0.00G" and pcbtemp "0.00-0.00-0.00-0.00" mean not measured; intmp and
// outtmp are the board's inlet and outlet sensors (not chip sensors).
// There is no error list: Errors stays nil.
package iceriver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// Name is the driver name.
const Name = "iceriver"

// Default web credentials.
const (
	DefaultUser     = "admin"
	DefaultPassword = "12345678"
)

// Paths of the web UI.
const (
	LoginPath = "/user/loginpost"
	PanelPath = "/user/userpanel?post=4"
)

func init() {
	drivers.Register(Name, func() drivers.Driver { return &Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers IceRiver miners. Web is shared by all its miners; nil
// uses httpapi.Shared, which also keeps the session cookies
// per miner.
type Driver struct {
	Web *httpapi.Transport
}

func (dr *Driver) web() *httpapi.Transport { return httpapi.Shared(dr.Web) }

// Name implements drivers.Driver.
func (*Driver) Name() string { return Name }

// Gather reads the user panel and parses it.
func (dr *Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	body, err := dr.userpanel(ctx, t)
	if err != nil {
		return nil, err
	}
	d, err := Parse(body)
	if err != nil {
		return nil, fmt.Errorf("%s web API: userpanel: %w", t.WebAddr(), err)
	}
	return d, nil
}

var formHeader = http.Header{
	"Content-Type":     {"application/x-www-form-urlencoded; charset=UTF-8"},
	"X-Requested-With": {"XMLHttpRequest"},
}

// userpanel returns the panel's body. The transport logs in when no
// session is cached, and once more when the panel answers with the login
// page or 401 (the session expired); a fresh session refused is auth_failed.
func (dr *Driver) userpanel(ctx context.Context, t drivers.Target) ([]byte, error) {
	user, pass := t.Credentials(DefaultUser, DefaultPassword)
	addr := t.WebAddr()
	c := dr.web().Client(httpapi.Config{Addr: addr, API: "web API", Username: user,
		Login: func(ctx context.Context, c *httpapi.Client) (http.Header, error) {
			cookie, err := login(ctx, c, addr, user, pass)
			if err != nil || cookie == "" {
				return http.Header{}, err
			}
			return http.Header{"Cookie": {cookie}}, nil
		},
		Expired: func(_ int, body []byte) bool { return loginPage(body) },
	}.For(t))
	resp, err := c.Send(ctx, httpapi.Request{Method: http.MethodPost, Path: PanelPath, Body: []byte("post=4"), Header: formHeader})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// login posts the credentials (as query parameters, as the web UI does, and
// in the form body) and returns the Cookie header to send. Errors never
// carry the password: the transport drops queries from its messages.
func login(ctx context.Context, c *httpapi.Client, addr, user, pass string) (string, error) {
	q := "post=6&user=" + url.QueryEscape(user) + "&pwd=" + url.QueryEscape(pass)
	resp, err := c.Send(ctx, httpapi.Request{Method: http.MethodPost, Path: LoginPath + "?" + q, Body: []byte(q),
		Header: formHeader, NoAuth: true})
	if httpapi.IsNotFound(err) {
		return "", nil // firmware whose panel needs no login
	}
	if err != nil {
		return "", err
	}
	var parts []string
	for _, ck := range (&http.Response{Header: resp.Header}).Cookies() {
		if ck.Name != "" && ck.MaxAge >= 0 {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
	}
	cookie := strings.Join(parts, "; ")
	if o, perr := httpapi.ParseJSON(resp.Body); perr == nil {
		if code := o.I("error", "code"); code != nil && *code != 0 {
			return "", fmt.Errorf("%s web API: %w: login refused (error %d)", addr, drivers.ErrAuth, *code)
		}
		return cookie, nil
	}
	if cookie == "" && loginPage(resp.Body) {
		return "", fmt.Errorf("%s web API: %w: login refused", addr, drivers.ErrAuth)
	}
	return cookie, nil
}

// loginPage tells the web UI's login form (or its redirect page) from a
// JSON reply.
func loginPage(b []byte) bool {
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "<") {
		return false
	}
	l := strings.ToLower(s)
	return strings.Contains(l, "login") || strings.Contains(l, "用户界面")
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr *Driver) Forget(host string) { dr.web().Forget(host) }
