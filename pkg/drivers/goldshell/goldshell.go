// Package goldshell is the driver for Goldshell miners (Box series, SC/KD/HS/
// CK/LT/Mini Doge...). Their cgminer fork (intminer/kdaminer/bfgminer) answers
// on TCP 4028 without a login; the web UI (/mcb/*, JWT) has identity.
//
// Which source feeds which field:
//   - 4028 summary: "MHS 20s" (MH/s; the firmware has no 1-minute average,
//     20 s is its shortest window and closest to one) -> Hashrate TH/s,
//     Elapsed (s) -> UptimeSeconds.
//   - 4028 devs: per board (PGA/ID, 0-based) "MHS 20s" -> Hashrate,
//     tstemp-2 (board sensor) -> Temperature, max(tstemp-0, tstemp-1) (chip
//     sensors) -> ChipTemperature, clock (MHz), voltage (mV on 4-board
//     units, V on the Box) -> VoltageVolts, Status "Alive" -> Active;
//     fan0..fan7 (RPM, the same on every board) -> Fans.
//   - 4028 devdetails: "chips-nr" -> Chips. 4028 version: API -> APIVersion.
//   - 4028 pools: the standard cgminer mapping.
//   - web /mcb/status (no token needed): model "Goldshell-SC5ProⅡ" -> Model
//     "SC5 Pro II" and Algorithm, firmware -> FirmwareVersion.
//   - web /mcb/setting: name (the MAC, sometimes with a leading space) -> MAC.
//   - web /mcb/cgminer?cgminercmd=devs and /mcb/pools: only when 4028 devs /
//     pools failed (the web backend crashes under request bursts, so it is
//     asked as little as possible). Two devs formats exist: cgminer DEVS[]
//     (Byte, Mini Doge) and {"data":[{id, hashrate (MH/s), temp "77.7 °C",
//     fanspeed "3180 rpm / 3120 rpm", time (s)}]} (firmware 2.2.x).
//
// Quirks: 4028 stats is malformed JSON with temp_max 0 and is not asked;
// estimate_hash_rate is in no consistent unit (14e9 on a 14 TH/s SC5 Pro
// II, 12.5e9 on a 4.5 TH/s SC Lite), so no expected hashrate is reported.
// Login: GET /user/logout, GET /user/login?...&cipher=false; when that
// answers something other than JSON, the password is sent AES-encrypted
// (cipher=true). The token has no expiry.
package goldshell

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Name is the driver name.
const Name = "goldshell"

// Default web credentials (Goldshell's documented default).
const (
	DefaultUser     = "admin"
	DefaultPassword = "123456789"
)

// RPCCommands are asked on 4028.
var RPCCommands = []string{"summary", "devs", "devdetails", "pools", "version"}

// optional 4028 commands that some firmware lacks.
var optional = map[string]bool{"devdetails": true, "version": true}

// Web pages, by name; "devs" and "pools" are only asked when 4028 failed.
var webPaths = map[string]string{
	"status":  "/mcb/status",
	"setting": "/mcb/setting",
	"devs":    "/mcb/cgminer?cgminercmd=devs",
	"pools":   "/mcb/pools",
}

// WebPages lists the web page names in the order Parse reads them.
var WebPages = []string{"status", "setting", "devs", "pools"}

const maxBoards, maxFans = 16, 16

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers Goldshell miners. Web is shared by all its miners; nil
// uses httpapi.Shared.
type Driver struct {
	Web *httpapi.Transport
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather asks 4028 in one joined request, then the web pages it still needs.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	tr := httpapi.Shared(dr.Web)
	b := (&cgminer.Client{Addr: t.RPCAddr()}).Multi(ctx, RPCCommands...)
	pages := []string{"status", "setting"}
	if _, err := b.Reply("devs"); err != nil {
		pages = append(pages, "devs")
	}
	if _, err := b.Reply("pools"); err != nil {
		pages = append(pages, "pools")
	}
	w := FetchWeb(ctx, tr, t, pages)
	if b.Err() != nil && !w.Answered() {
		if werr := w.Err(); errors.Is(werr, drivers.ErrAuth) {
			return nil, werr
		}
		return nil, fmt.Errorf("goldshell: 4028 API: %w", b.Err())
	}
	return Parse(replies.WithoutRefused(b, w)), nil
}

// FetchWeb reads the named pages on one client (one login).
func FetchWeb(ctx context.Context, tr *httpapi.Transport, t drivers.Target, pages []string) *httpapi.Replies {
	user, pw := t.Credentials(DefaultUser, DefaultPassword)
	addr := t.WebAddr()
	c := tr.Client(httpapi.Config{Addr: addr, API: "web API", Username: user, Login: login(tr, addr, user, pw)}.For(t))
	objs, errs := map[string]jsonval.Obj{}, map[string]error{}
	for _, n := range pages {
		body, err := c.Get(ctx, webPaths[n])
		if err != nil {
			errs[n] = err
			continue
		}
		o, err := decodeWeb(body)
		if err != nil {
			errs[n] = fmt.Errorf("%s web API: page %q: %w", addr, n, err)
			continue
		}
		objs[n] = o
	}
	return httpapi.RepliesWithErrors(objs, errs)
}

// WebFromRaw builds web replies from recorded bodies (tests, fuzzing).
func WebFromRaw(raw map[string][]byte) *httpapi.Replies {
	objs, errs := map[string]jsonval.Obj{}, map[string]error{}
	for n, b := range raw {
		o, err := decodeWeb(b)
		if err != nil {
			errs[n] = fmt.Errorf("page %q: %w", n, err)
			continue
		}
		objs[n] = o
	}
	return httpapi.RepliesWithErrors(objs, errs)
}

// decodeWeb decodes a page; /mcb/pools is a bare JSON array, kept under
// "list".
func decodeWeb(body []byte) (jsonval.Obj, error) {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '[' {
		v, err := jsonval.Decode(t)
		if err != nil {
			return jsonval.Obj{}, fmt.Errorf("%w: %w", drivers.ErrBadResponse, err)
		}
		return jsonval.ObjOf(map[string]any{"list": v}), nil
	}
	return httpapi.ParseJSON(body)
}

// login logs out any old session, then in. The logout runs on its own
// client so that its failure cannot mark the gather's client as failed.
func login(tr *httpapi.Transport, addr, user, pw string) httpapi.TokenLogin {
	return func(ctx context.Context, c *httpapi.Client) (http.Header, error) {
		_, _ = tr.Client(httpapi.Config{Addr: addr, API: "web API"}).Send(ctx, httpapi.Request{Path: "/user/logout"})
		q := url.Values{"username": {user}, "password": {pw}, "cipher": {"false"}}
		resp, err := c.Send(ctx, httpapi.Request{Path: "/user/login?" + q.Encode(), NoAuth: true})
		if err != nil {
			return nil, err
		}
		o, perr := httpapi.ParseJSON(resp.Body)
		if perr != nil {
			// Newer firmware only takes the encrypted form.
			q.Set("password", Cipher(pw))
			q.Set("cipher", "true")
			resp, err = c.Send(ctx, httpapi.Request{Path: "/user/login?" + q.Encode(), NoAuth: true})
			if err != nil {
				return nil, err
			}
			if o, perr = httpapi.ParseJSON(resp.Body); perr != nil {
				return nil, fmt.Errorf("%s web API: login: %w", addr, perr)
			}
		}
		tok := o.S("JWT Token")
		if tok == "" {
			return nil, fmt.Errorf("%s web API: login: %w: no token in the reply", addr, drivers.ErrAuth)
		}
		return http.Header{"Authorization": {"Bearer " + tok}}, nil
	}
}

// Cipher is the firmware's password encoding for cipher=true: AES-128-CBC
// with a key of sixteen '!', a zero IV and zero padding, as hex.
func Cipher(pw string) string {
	blk, _ := aes.NewCipher(bytes.Repeat([]byte{'!'}, 16))
	p := []byte(pw)
	if n := len(p) % aes.BlockSize; n != 0 || len(p) == 0 {
		p = append(p, make([]byte, aes.BlockSize-n)...)
	}
	out := make([]byte, len(p))
	cipher.NewCBCEncrypter(blk, make([]byte, aes.BlockSize)).CryptBlocks(out, p)
	return hex.EncodeToString(out)
}

// Parse merges the 4028 replies and the web pages. It does no I/O and
// never fails: what cannot be read is in Problems.
func Parse(b *cgminer.Batch, w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Goldshell", Firmware: "stock"}
	r := map[string]jsonval.Obj{}
	rpcErr := map[string]error{}
	for _, cmd := range RPCCommands {
		o, err := b.Reply(cmd)
		if err != nil {
			if !errors.Is(err, cgminer.ErrNotRequested) && !(optional[cmd] && cgminer.IsInvalidCommand(err)) {
				rpcErr[cmd] = err
			}
			continue
		}
		r[cmd] = o
	}
	web := httpapi.Pages(d, w, WebPages, func(n string) string { return webPaths[n] })
	for _, cmd := range RPCCommands {
		// A 4028 failure that the web page made up for is no loss.
		if err := rpcErr[cmd]; err != nil && web[cmd].IsNil() {
			d.Problem(drivers.CommandErr(cmd, err))
		}
	}

	if st := web["status"]; !st.IsNil() {
		d.Model = CleanModel(st.S("model"))
		d.FirmwareVersion = strings.TrimSpace(st.S("firmware"))
	}
	d.Algorithm = Algorithm(d.Model)
	if s := web["setting"]; !s.IsNil() {
		if name := strings.TrimSpace(s.S("name")); name != "" {
			if mac := drivers.NormalizeMAC(name); mac != "" {
				d.MAC = mac
			} else {
				drivers.PageFields(d, webPaths["setting"]).Invalid("name", fmt.Sprintf("not a MAC address: %q", name))
			}
		}
	}
	if v := r["version"]; !v.IsNil() {
		if vs := v.Objs("VERSION"); len(vs) > 0 {
			d.APIVersion = vs[0].S("API")
		}
	}
	if s := r["summary"]; !s.IsNil() {
		summary(d, s)
	}
	if dv := r["devs"]; !dv.IsNil() {
		devs(d, drivers.CommandFields(d, "devs"), dv.Objs("DEVS"))
	} else if wd := web["devs"]; !wd.IsNil() {
		if l := wd.Objs("DEVS"); len(l) > 0 {
			devs(d, drivers.PageFields(d, webPaths["devs"]), l)
		} else {
			webDevs(d, wd.Objs("data"))
		}
	}
	if dd := r["devdetails"]; !dd.IsNil() {
		devdetails(d, dd.Objs("DEVDETAILS", "DEVS"))
	}
	if p := r["pools"]; !p.IsNil() {
		d.Pools = cgminer.Pools(p)
	} else if p := web["pools"]; !p.IsNil() {
		d.Pools = webPools(p)
	}
	return d
}

// mhs converts MH/s to TH/s; negative rates are not rates.
func mhs(v *float64) *float64 {
	return hashunit.ToTHs(v, hashunit.MH)
}

func summary(d *drivers.MinerData, o jsonval.Obj) {
	s := o.Objs("SUMMARY")
	if len(s) == 0 {
		drivers.CommandFields(d, "summary").Missing("SUMMARY")
		return
	}
	if h := mhs(drivers.CommandFields(d, "summary").NonNegFloat(s[0], "MHS 20s", "MHS 5s", "MHS av")); h != nil {
		d.Hashrate = h
	}
	if e := s[0].I("Elapsed"); e != nil && *e >= 0 {
		d.UptimeSeconds = e
	}
}

func boardIndex(e jsonval.Obj, i int) int {
	if n := e.I("PGA", "ID", "ASC", "id"); n != nil && *n >= 0 && *n < maxBoards {
		return int(*n)
	}
	return i
}

func board(d *drivers.MinerData, idx int) *drivers.Board {
	for i := range d.Boards {
		if d.Boards[i].Index == idx {
			return &d.Boards[i]
		}
	}
	d.Boards = append(d.Boards, drivers.Board{Index: idx})
	return &d.Boards[len(d.Boards)-1]
}

// devs reads cgminer-style DEVS (4028, or the web's older form).
func devs(d *drivers.MinerData, src drivers.Fields, list []jsonval.Obj) {
	for i, e := range list {
		if i >= maxBoards {
			break
		}
		bd := board(d, boardIndex(e, i))
		bd.Hashrate = mhs(e.F("MHS 20s", "MHS 5s", "MHS av"))
		bd.Temperature = drivers.Temperature(e.F("tstemp-2"))
		bd.ChipTemperature = drivers.Max(drivers.Temperature(e.F("tstemp-0")), drivers.Temperature(e.F("tstemp-1")))
		if bd.Temperature == nil && bd.ChipTemperature == nil {
			bd.Temperature = drivers.Temperature(e.F("Temperature"))
		}
		if c := e.F("clock"); c != nil && *c > 0 {
			bd.FrequencyMHz = c
		}
		if v := e.F("voltage"); v != nil && *v > 0 {
			if *v >= 100 { // millivolts (11750 on an SC5 Pro II)
				bd.VoltageVolts = drivers.Ptr(*v / 1000)
			} else {
				bd.VoltageVolts = v
			}
		}
		if st := e.S("Status"); st != "" {
			bd.Active = drivers.Ptr(strings.EqualFold(st, "Alive"))
		}
		if i == 0 {
			fansFromDevs(d, e)
		}
	}
	if len(list) == 0 {
		src.Missing("DEVS")
	}
}

func fansFromDevs(d *drivers.MinerData, e jsonval.Obj) {
	for i := 0; i < maxFans; i++ {
		v := e.I("fan" + strconv.Itoa(i))
		if v == nil {
			continue
		}
		if *v > 0 && *v < 100000 {
			d.Fans = append(d.Fans, drivers.Fan{Index: i, RPM: v})
		}
	}
}

func devdetails(d *drivers.MinerData, list []jsonval.Obj) {
	for i, e := range list {
		if i >= maxBoards {
			break
		}
		c := e.I("chips-nr", "Chips", "chips")
		if c == nil || *c < 0 {
			continue
		}
		board(d, boardIndex(e, i)).Chips = c
	}
}

var numRe = regexp.MustCompile(`[-+]?[0-9]+(?:\.[0-9]+)?`)

// firstNum reads the number in a string such as "77.7 °C".
func firstNum(s string) *float64 {
	m := numRe.FindString(s)
	if m == "" {
		return nil
	}
	f, err := strconv.ParseFloat(m, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// webDevs reads the firmware 2.2.x web form {"data":[...]}.
func webDevs(d *drivers.MinerData, list []jsonval.Obj) {
	if len(list) == 0 {
		drivers.PageFields(d, webPaths["devs"]).Missing("data")
		return
	}
	for i, e := range list {
		if i >= maxBoards {
			break
		}
		bd := board(d, boardIndex(e, i))
		bd.Hashrate = mhs(e.F("hashrate"))
		if s := e.S("temp"); s != "" {
			bd.Temperature = drivers.Temperature(firstNum(s))
			if bd.Temperature == nil {
				drivers.PageFields(d, webPaths["devs"]).Under(fmt.Sprintf("data[%d]", i)).Bad("temp", s)
			}
		}
		if i == 0 {
			if t := e.I("time"); t != nil && *t >= 0 && d.UptimeSeconds == nil {
				d.UptimeSeconds = t
			}
			for j, part := range strings.Split(e.S("fanspeed"), "/") {
				if j >= maxFans {
					break
				}
				if v := firstNum(part); v != nil && *v > 0 && *v < 100000 {
					d.Fans = append(d.Fans, drivers.Fan{Index: j, RPM: drivers.Ptr(int64(*v))})
				}
			}
		}
	}
}

// webPools reads /mcb/pools: a list of cgminer's pool objects in lower
// case, under "list", "data" or "pools".
func webPools(o jsonval.Obj) []poolmetrics.Pool {
	return cgminer.Pools(jsonval.ObjOf(map[string]any{"POOLS": o.L("list", "data", "pools")}))
}

// suffix words of Goldshell model names, in their canonical spelling.
var words = []string{"Mini", "Doge", "Box", "Pro", "Lite", "Max", "Plus", "SE", "III", "II"}

var modelCleaner = strings.NewReplacer("Ⅲ", "III", "Ⅱ", "II", "-", " ", "_", " ")

// CleanModel: "Goldshell-SC5ProⅡ" -> "SC5 Pro II", "Goldshell-SCLITE" ->
// "SC Lite", "Goldshell KDBoxII" -> "KD Box II".
func CleanModel(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 9 && strings.EqualFold(s[:9], "goldshell") {
		s = s[9:]
	}
	s = modelCleaner.Replace(s)
	rs := []rune(s)
	var out []string
	cur := ""
	flush := func() {
		if cur != "" {
			out = append(out, cur)
			cur = ""
		}
	}
	for i := 0; i < len(rs); {
		if rs[i] == ' ' {
			flush()
			i++
			continue
		}
		hit := ""
		for _, w := range words {
			if len(rs)-i >= len(w) && strings.EqualFold(string(rs[i:i+len(w)]), w) {
				hit = w
				break
			}
		}
		if hit != "" {
			flush()
			out = append(out, hit)
			i += len(hit)
			continue
		}
		cur += strings.ToUpper(string(rs[i]))
		i++
	}
	flush()
	return strings.Join(out, " ")
}

// Algorithm by model series.
func Algorithm(model string) string {
	m := strings.ToUpper(strings.ReplaceAll(model, " ", ""))
	switch {
	case m == "":
		return ""
	case strings.HasPrefix(m, "MINIDOGE"), strings.HasPrefix(m, "LT"), strings.HasPrefix(m, "DG"), strings.HasPrefix(m, "EDG"):
		return "scrypt"
	case strings.HasPrefix(m, "KD"):
		return "blake2s" // Kadena
	case strings.HasPrefix(m, "SC"):
		return "blake2b"
	case strings.HasPrefix(m, "HS"):
		return "handshake"
	case strings.HasPrefix(m, "CK"):
		return "eaglesong"
	case strings.HasPrefix(m, "LB"):
		return "lbry"
	case strings.HasPrefix(m, "AL"):
		return "blake3"
	case strings.HasPrefix(m, "KA"), strings.HasPrefix(m, "EKA"):
		return "kheavyhash"
	}
	return ""
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr Driver) Forget(host string) { httpapi.Shared(dr.Web).Forget(host) }
