package identify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Result is what identification learnt: the driver to use and, where the
// probes saw them, the make, the model (canonical form, as drivers report
// it) and the firmware tag value the driver will report.
type Result struct {
	Driver   string
	Make     string
	Model    string // "" when no probe named it
	Firmware string
}

// driverIdentity is the make and firmware tag each driver reports (the
// drivers' own values; make "" when the driver learns it from the miner).
var driverIdentity = map[string][2]string{
	"antminer":    {"Antminer", "stock"},
	"braiins":     {"Antminer", "braiins"},
	"vnish":       {"Antminer", "vnish"},
	"hiveon":      {"Antminer", "hiveon"},
	"luxos":       {"Antminer", "luxos"},
	"marathon":    {"Antminer", "marathon"},
	"epic":        {"", "epic"}, // Antminer or ePIC BlockMiner: told by its model
	"whatsminer":  {"Whatsminer", "stock"},
	"avalon":      {"AvalonMiner", "stock"},
	"goldshell":   {"Goldshell", "stock"},
	"auradine":    {"Auradine", "stock"},
	"bitaxe":      {"Bitaxe", "esp-miner"},
	"iceriver":    {"IceRiver", "stock"},
	"elphapex":    {"Elphapex", "stock"},
	"hammer":      {"Hammer", "stock"},
	"innosilicon": {"Innosilicon", "stock"},
}

// knownDriver tells whether identification can name d.
func knownDriver(d string) bool { _, ok := driverIdentity[d]; return ok }

func registered(name string) bool { _, err := drivers.New(name); return err == nil }

// newResult fills a Result for driver from the raw model a probe saw (or
// the 4028 replies).
func newResult(driver, rawModel string, rpc map[string][]byte) Result {
	idn := driverIdentity[driver]
	r := Result{Driver: driver, Make: idn[0], Firmware: idn[1]}
	if rawModel == "" {
		rawModel = rpcModel(driver, rpc)
	}
	switch driver {
	case "epic":
		// ePIC runs on Antminers ("AntMiner S19 XP") and its own BlockMiners.
		if strings.HasPrefix(strings.ToLower(rawModel), "antminer") {
			r.Make = "Antminer"
		} else if rawModel != "" {
			r.Make = "ePIC"
		}
	case "antminer":
		for _, raw := range rpc {
			if l := strings.ToLower(string(raw)); strings.Contains(l, "rwglr") && !strings.Contains(l, "hiveon") {
				r.Firmware = "mskminer"
			}
		}
	}
	if rawModel != "" {
		r.Model = models.Normalize(r.Make, rawModel)
	}
	return r
}

// rpcModel picks the model a 4028 API reported: devdetails Model first on
// firmware whose version Type is not a model (Braiins "braiins-am1-s9",
// btminer, GCMiner), else version Type, Canaan's PROD/MODEL, stats Type.
func rpcModel(driver string, rpc map[string][]byte) string {
	first := func(cmd, section string, keys ...string) string {
		raw, ok := rpc[cmd]
		if !ok {
			return ""
		}
		obj, err := cgminer.Parse("", raw)
		if err != nil {
			return ""
		}
		for _, o := range obj.Objs(section) {
			for _, k := range keys {
				if s := strings.TrimSpace(o.S(k)); s != "" {
					return s
				}
			}
		}
		return ""
	}
	devdetails := first("devdetails", "DEVDETAILS", "Model")
	switch driver {
	case "braiins", "whatsminer", "auradine":
		if devdetails != "" {
			return devdetails
		}
	case "avalon":
		return avalonModel(rpc["version"])
	}
	if s := first("version", "VERSION", "Type"); s != "" && !strings.HasPrefix(strings.ToLower(s), "braiins-") {
		return s
	}
	if devdetails != "" {
		return devdetails
	}
	return first("stats", "STATS", "Type")
}

// avalonModel reads Canaan's VERSION PROD ("AvalonMiner 15-194", "Avalon
// Q") and MODEL ("15-194", "nano3"): PROD unless it names only the series
// ("Avalonnano"), then MODEL.
func avalonModel(raw []byte) string {
	if raw == nil {
		return ""
	}
	obj, err := cgminer.Parse("", raw)
	if err != nil {
		return ""
	}
	vs := obj.Objs("VERSION")
	if len(vs) == 0 {
		return ""
	}
	prod, model := strings.TrimSpace(vs[0].S("PROD")), strings.TrimSpace(vs[0].S("MODEL"))
	if prod == "" || (strings.EqualFold(prod, "avalonnano") && model != "") {
		return model
	}
	return prod
}

// Identify tells the driver of a miner; see IdentifyMiner.
func Identify(ctx context.Context, t drivers.Target, v3Port int) (string, error) {
	r, err := IdentifyMiner(ctx, t, v3Port)
	return r.Driver, err
}

// IdentifyMiner tells the driver, make, model and firmware of a miner by
// asking, in this fixed order, each probe with a short timeout (1.5 s), and taking the first certain answer:
//
//  1. GET / on the web port: 401 realms ("blackMiner" Hammer/VolcMiner,
//     "Daoge" Elphapex, "MaraFW": certain; "antMiner": a guess), page markers
//     (Braiins OS, LuxOS, Vnish, AxeOS, Goldshell, ePIC, DragonMint,
//     IceRiver, Auradine: certain; "Avalon": a guess), and Whatsminer's 307
//     to HTTPS, whose page (followed once, same host) links /cgi-bin/luci.
//  2. The 4028 API's version, devdetails and stats (Probe), stopping at the
//     first reply that decides.
//  3. MaraFW: after a Bitmain realm, before settling on antminer (4028 said
//     only "Antminer", or nothing), GET /kaonsu/v1/brief with Digest
//     (default root:root): JSON means MaraFW, stock Bitmain answers 404.
//  4. Whatsminer API v3 get.device.info on v3Port (4433).
//  5. An HTTP/2 SETTINGS frame on the gRPC port (Braiins OS+).
//  6. ePIC's GET /capabilities on the 4028 port, unless 4028 spoke cgminer.
//  7. Goldshell's GET /mcb/status (no login), when the root page answered
//     without any marker.
//  8. The web guess of step 1.
//
// A port that refused or stayed silent is not asked again. Nothing known
// gives drivers.ErrUnsupported; a miner that answered nothing gives the
// 4028 API's error (else the first probe's). A certain answer naming a
// family with no registered driver gives drivers.ErrUnsupported at once.
func IdentifyMiner(ctx context.Context, t drivers.Target, v3Port int) (Result, error) {
	id := &identifier{t: t, v3Port: v3Port, dead: map[string]error{}, conn: map[string]bool{}}
	return id.run(ctx)
}

func (id *identifier) run(ctx context.Context) (Result, error) {
	t := id.t
	var rpcErr, otherErr error
	keep := func(err error) {
		if otherErr == nil && err != nil {
			otherErr = err
		}
	}
	found := func(driver, rawModel string, rpc map[string][]byte) (Result, error) {
		if !registered(driver) {
			return Result{}, fmt.Errorf("identify %s: %w: %s firmware, %w", t.Host, drivers.ErrUnsupported, driver, errNotRegistered)
		}
		return newResult(driver, rawModel, rpc), nil
	}

	// 1. Web root.
	web, challenge, err := id.probeWeb(ctx)
	keep(err)
	webAnswered := err == nil
	if web.certain {
		return found(web.driver, "", nil)
	}
	maraDone, isMara := false, false
	mara := func() bool {
		if !maraDone && web.driver == "antminer" && id.dead[t.WebAddr()] == nil {
			maraDone = true
			var err error
			isMara, err = id.probeKaonsu(ctx, challenge)
			keep(err)
		}
		return isMara
	}

	// 2. 4028.
	var rpc rpcResult
	if err := id.dead[t.RPCAddr()]; err != nil {
		rpc.err = err // the same port as the web's, already silent
	} else {
		rpc = probeRPC(ctx, t, id.dial, probeTimeout)
		id.note(t.RPCAddr(), rpc.err)
	}
	if rpc.driver != "" {
		// 3. MaraFW keeps Bitmain's realm and maybe its 4028 Type.
		if rpc.driver == "antminer" && mara() {
			return found("marathon", "", rpc.replies)
		}
		return found(rpc.driver, "", rpc.replies)
	}
	if !errors.Is(rpc.err, drivers.ErrUnsupported) {
		rpcErr = rpc.err
	}
	if web.driver == "antminer" && mara() {
		return found("marathon", "", nil)
	}

	// 4. Whatsminer API v3.
	if v3 := net.JoinHostPort(t.Host, strconv.Itoa(id.v3Port)); id.dead[v3] == nil {
		model, ok, err := id.probeV3(ctx)
		if ok {
			return found("whatsminer", model, nil)
		}
		keep(err)
	}
	// 5. gRPC.
	if id.dead[t.GRPCAddr()] == nil {
		ok, err := id.probeGRPC(ctx)
		if ok {
			return found("braiins", "", nil)
		}
		keep(err)
	}
	// 6. ePIC: its HTTP API sits on the 4028 port.
	if !rpc.speaks && id.dead[t.RPCAddr()] == nil {
		model, ok, err := id.probeEPIC(ctx)
		if ok {
			return found("epic", model, nil)
		}
		keep(err)
	}
	// 7. Goldshell.
	if webAnswered && web.driver == "" && id.dead[t.WebAddr()] == nil {
		model, ok, err := id.probeMCB(ctx)
		if ok {
			return found("goldshell", model, nil)
		}
		keep(err)
	}
	// 8. The web guess.
	if web.driver != "" && registered(web.driver) {
		return newResult(web.driver, "", nil), nil
	}
	if rpcErr != nil {
		return Result{}, rpcErr // the 4028 probe's error already says "identify"
	}
	if otherErr != nil && !answered(otherErr) {
		return Result{}, fmt.Errorf("identify: %w", otherErr)
	}
	return Result{}, fmt.Errorf("identify %s: %w: no known firmware answered", t.Host, drivers.ErrUnsupported)
}
