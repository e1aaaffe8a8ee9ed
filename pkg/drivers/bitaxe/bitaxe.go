// Package bitaxe is the driver for ESP-Miner / AxeOS devices (Bitaxe Max,
// Ultra, Supra, Gamma, GT; NerdQAxe and LuckyMiner forks). Their HTTP API
// on the web port needs no login:
//   - GET /api/system/info: hashRate (GH/s; hashRate_1m where the firmware
//     has it, which is then preferred), expectedHashrate (GH/s, newer
//     firmware), power (W), voltage (input, mV), temp/temp2 (chip °C),
//     vrTemp (regulator °C, the board temperature), frequency (MHz),
//     asicCount, smallCoreCount, fanrpm/fan2rpm (LuckyMiner: fanSpeed;
//     NerdQAxe: fanrpm2), fanspeed/fanspeed2 (%), hostname,
//     macAddr, version, uptimeSeconds, ASICModel, deviceModel,
//     sharesAccepted/Rejected, stratumURL/Port/User and the fallback pool,
//     isUsingFallbackStratum, isStratumConnected (NerdQAxe), NerdOS's
//     stratum.usingFallback and stratum.pools[0].connected, power_fault.
//   - GET /api/system/asic (asked only when info lacks asicCount or the
//     device model, as newer ESP-Miner moved them there): asicCount,
//     deviceModel, ASICModel.
//
// The device is one board: Board 0 carries the total hashrate, vrTemp,
// the hottest chip temperature, asicCount chips and the input voltage.
// Expected hashrate, when the firmware does not send it, is
// smallCoreCount × asicCount × frequency MH/s (one hash per core per
// clock). Quirks: booleans come as 0/1 or true/false; stratumURL is a bare
// host or a URL with a scheme, joined with stratumPort into the pool's whole
// URL (stratum+tcp:// when it names none); NerdQAxe answers /api/system/asic with a
// redirect to its HTML UI, which is why that page is asked only when
// needed.
package bitaxe

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/hashunit"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Name is the driver name.
const Name = "bitaxe"

// Endpoint names (replies are keyed by them) and their paths.
const (
	Info = "system/info"
	Asic = "system/asic"
)

// Path is the URL path of an endpoint.
func Path(name string) string { return "/api/" + name }

func init() {
	drivers.Register(Name, func() drivers.Driver { return Driver{Web: httpapi.NewTransport(httpapi.Options{})} })
}

// Driver gathers ESP-Miner devices. Web is shared by all its miners.
type Driver struct {
	Web *httpapi.Transport
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather reads /api/system/info, and /api/system/asic when info lacks
// what it adds.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	tr := httpapi.Shared(dr.Web)
	c := tr.Client(httpapi.Config{Addr: t.WebAddr(), API: "AxeOS API"}.For(t))
	names := []string{Info}
	w := c.GetAll(ctx, names, Path)
	if err := w.Err(); err != nil {
		return nil, err
	}
	if info, err := w.Reply(Info); err == nil && needAsic(info) {
		asic, aerr := c.GetJSON(ctx, Path(Asic))
		objs := map[string]jsonval.Obj{Info: info}
		errs := map[string]error{}
		if aerr != nil {
			errs[Asic] = aerr
		} else {
			objs[Asic] = asic
		}
		w = httpapi.RepliesWithErrors(objs, errs)
	}
	return Parse(w), nil
}

func needAsic(info jsonval.Obj) bool {
	_, count := info.Lookup("asicCount")
	return !count || info.S("deviceModel", "minerModel") == ""
}

// Parse reads the replies. It never fails: what cannot be read is in
// Problems.
func Parse(w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{Make: "Bitaxe", Firmware: "esp-miner", Algorithm: "sha256"}
	rs := httpapi.Pages(d, w, []string{Info, Asic}, Path) // no asic page: firmware older than it
	info, asic := rs[Info], rs[Asic]
	f := drivers.Fields{D: d, Source: Path(Info)}.Of(info)
	a := drivers.Fields{D: d, Source: Path(Asic)}.Of(asic)

	d.Hostname = f.Text("hostname")
	if m := f.Text("macAddr"); m != "" {
		d.MAC = drivers.NormalizeMAC(m)
	}
	d.FirmwareVersion = f.Text("version")
	identify(d, f.Text("deviceModel", "minerModel"), a.Text("deviceModel"),
		cmp.Or(f.Text("ASICModel"), a.Text("ASICModel")), f.Text("boardVersion"), f.Text("hostname"))

	// hashRate_1m (newer AxeOS) is the ~1 minute average; hashRate is the
	// firmware's short-window rate.
	if v := f.Float("hashRate_1m"); v != nil {
		d.Hashrate = hashunit.ToTHs(v, hashunit.GH)
	} else if v := f.Float("hashRate"); v != nil {
		d.Hashrate = hashunit.ToTHs(v, hashunit.GH)
	}
	chips := f.Int("asicCount")
	if chips == nil {
		chips = a.Int("asicCount")
	}
	freq := f.Float("frequency")
	if v := f.Float("expectedHashrate"); v != nil && *v > 0 {
		d.ExpectedHashrate = hashunit.ToTHs(v, hashunit.GH)
	} else if cores := f.Float("smallCoreCount"); cores != nil && chips != nil && freq != nil && *cores > 0 && *freq > 0 && *chips > 0 {
		d.ExpectedHashrate = hashunit.ToTHs(drivers.Ptr(*cores*float64(*chips)**freq), hashunit.MH) // cores x MHz
	}
	if v := f.Float("power"); v != nil && *v >= 0 {
		d.PowerWatts = v
	}
	if v := f.Int("uptimeSeconds"); v != nil && *v >= 0 {
		d.UptimeSeconds = v
	}

	b := drivers.Board{Index: 0, Hashrate: d.Hashrate, ExpectedHashrate: d.ExpectedHashrate, Chips: chips}
	if v := f.Float("vrTemp"); v != nil && *v > 0 {
		b.Temperature = v
	}
	for _, k := range []string{"temp", "temp2"} {
		// -1 or 0: sensor missing.
		if v := f.Float(k); v != nil && *v > 0 && (b.ChipTemperature == nil || *v > *b.ChipTemperature) {
			b.ChipTemperature = v
		}
	}
	if freq != nil && *freq > 0 {
		b.FrequencyMHz = freq
	}
	if v := f.Float("voltage"); v != nil && *v > 0 {
		b.VoltageVolts = drivers.Ptr(*v / 1e3) // mV
	}
	if b.Hashrate != nil || b.Chips != nil || b.Temperature != nil || b.ChipTemperature != nil {
		d.Boards = []drivers.Board{b}
	}

	// The second fan is fan2rpm in AxeOS, fanrpm2/fanspeed2 in NerdQAxe's
	// fork; LuckyMiner's fork sends the first fan's RPM as fanSpeed.
	for i, k := range [][3]string{{"fanrpm", "fanSpeed", "fanspeed"}, {"fan2rpm", "fanrpm2", "fanspeed2"}} {
		rpm := f.Int(k[0])
		if rpm == nil {
			rpm = f.Int(k[1])
		}
		if rpm == nil || (i > 0 && *rpm <= 0) {
			continue // a second fan the board lacks
		}
		fan := drivers.Fan{Index: i, RPM: rpm}
		if pct := f.Float(k[2]); pct != nil {
			fan.Percent = pct
		}
		d.Fans = append(d.Fans, fan)
	}

	d.Pools = pools(f)
	if _, ok := info.Lookup("power_fault"); ok {
		d.Errors = []drivers.MinerError{}
		if pf := f.Text("power_fault"); pf != "" {
			d.Errors = append(d.Errors, drivers.MinerError{Message: "power fault: " + pf})
		}
		if v := f.Int("overheat_mode"); v != nil && *v != 0 {
			d.Errors = append(d.Errors, drivers.MinerError{Message: "overheat mode"})
		}
	}
	return d
}

// identify sets Make and Model. deviceModel names the product ("Supra",
// "Gamma", "NerdQAxe++"); without it the ASIC tells the Bitaxe family.
func identify(d *drivers.MinerData, infoModel, asicModel, chip, board, host string) {
	m := strings.TrimSpace(cmp.Or(infoModel, asicModel))
	lm := strings.ToLower(m + " " + host)
	switch {
	case strings.Contains(lm, "nerd"):
		d.Make = "NerdAxe"
	case strings.Contains(lm, "lucky") || strings.HasPrefix(strings.ToLower(m), "lv0"):
		d.Make = "LuckyMiner"
	}
	for _, p := range []string{"bitaxe ", "luckyminer ", "lucky miner "} {
		if len(m) > len(p) && strings.EqualFold(m[:len(p)], p) {
			m = strings.TrimSpace(m[len(p):])
		}
	}
	if m == "" && d.Make == "Bitaxe" {
		switch strings.ToUpper(strings.TrimSpace(chip)) {
		case "BM1397":
			m = "Max"
		case "BM1366":
			m = "Ultra"
		case "BM1368":
			m = "Supra"
		case "BM1370":
			m = "Gamma"
			if strings.HasPrefix(board, "8") {
				m = "GT" // two BM1370
			}
		}
	}
	d.Model = m
}

// pools: the primary (index 0) and fallback (index 1) pool. The share
// counters are the session's, counted on the pool in use. NerdOS
// (NerdQAxe) says which pool is in use and whether it is connected in its
// "stratum" object instead: usingFallback, and pools[] with one entry for
// the pool in use (failover mode), its "connected".
func pools(f drivers.Object) []poolmetrics.Pool {
	fallback := f.Bool("isUsingFallbackStratum")
	connected := f.Bool("isStratumConnected")
	if st := f.Obj().O("stratum"); !st.IsNil() {
		sf := f.Fields().Under("stratum")
		if fallback == nil {
			fallback = sf.Bool(st, "usingFallback")
		}
		if ps := st.Objs("pools"); connected == nil && len(ps) == 1 {
			connected = sf.Under("pools").Under("[0]").Bool(ps[0], "connected")
		}
	}
	var out []poolmetrics.Pool
	for i, pre := range []string{"stratum", "fallbackStratum"} {
		host := f.Text(pre + "URL")
		if host == "" {
			continue
		}
		p := poolmetrics.Pool{Index: i, URL: poolURL(host, f.Int(pre+"Port")), User: f.Text(pre + "User")}
		if fallback != nil {
			active := *fallback == (i == 1)
			p.Active = drivers.Ptr(active)
			if active {
				p.Accepted = f.Int("sharesAccepted")
				p.Rejected = f.Int("sharesRejected")
				p.Alive = connected
			}
		} else if i == 0 {
			p.Accepted = f.Int("sharesAccepted")
			p.Rejected = f.Int("sharesRejected")
		}
		out = append(out, p)
	}
	return out
}

// poolURL joins a bare host or URL with the separate port field.
func poolURL(host string, port *int64) poolmetrics.URL {
	u := poolmetrics.ParseURL(host)
	if u.Parsed && u.Port == 0 && port != nil && *port > 0 && *port < 65536 {
		s := strings.TrimSpace(host)
		if !strings.Contains(s, "://") {
			s = "stratum+tcp://" + s
		}
		scheme, rest, _ := strings.Cut(s, "://")
		rest, path, _ := strings.Cut(rest, "/")
		s = scheme + "://" + rest + ":" + strconv.FormatInt(*port, 10)
		if path != "" {
			s += "/" + path
		}
		// The joined form is the pool's whole URL (scheme://host:port),
		// as every other driver reports it.
		if u2 := poolmetrics.ParseURL(s); u2.Parsed {
			return u2
		}
	}
	return u
}

// Forget implements drivers.Forgetter: the web sessions kept for host are
// dropped (the plugin calls it when the miner leaves its inventory).
func (dr Driver) Forget(host string) { httpapi.Shared(dr.Web).Forget(host) }
