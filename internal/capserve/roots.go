package capserve

// Root is how a firmware answers GET /. None of the capture folders has a
// real root page, so these are HAND-MADE, each the smallest page or realm
// that carries the marker the firmware is known to serve (the markers of
// pyasic's MinerFactory, pyasic/miners/factory.py in UpstreamData/pyasic
// at e2b9d35756dbcc40f40c3b1d86863e60e3d4ff13, v0.78.10).
type Root struct {
	Status int
	Realm  string // Digest realm of a 401; the whole web UI sits behind it
	Body   string
	// HTTPS: a Whatsminer-style 307 to an HTTPS page with this body.
	HTTPS string
}

var (
	RootBitmain  = Root{Status: 401, Realm: "antMiner Configuration"}
	RootBlack    = Root{Status: 401, Realm: "blackMiner Configuration"}
	RootDaoge    = Root{Status: 401, Realm: "Daoge"}
	RootBraiins  = Root{Status: 200, Body: "<html><head><title>Braiins OS</title></head></html>"}
	RootLux      = Root{Status: 200, Body: "<html><head><title>Luxor Firmware</title></head></html>"}
	RootVnish    = Root{Status: 200, Body: "<html><head><title>AnthillOS</title></head></html>"}
	RootAxe      = Root{Status: 200, Body: "<html><head><title>AxeOS</title></head></html>"}
	RootGold     = Root{Status: 200, Body: `<html><body><div id="app" class="cloud-box"></div></body></html>`}
	RootEPIC     = Root{Status: 200, Body: "<html><head><title>Miner Web Dashboard</title></head></html>"}
	RootIce      = Root{Status: 200, Body: "<HTML><HEAD><TITLE>用户界面</TITLE></HEAD></HTML>"}
	RootAuradine = Root{Status: 200, Body: "<html><head><title>Miner UI</title></head></html>"}
	RootAvalon   = Root{Status: 200, Body: "<html><head><title>Avalon Device</title></head></html>"}
	RootWhats    = Root{Status: 307, HTTPS: `<html><head><meta http-equiv="refresh" content="0; URL=/cgi-bin/luci" /></head></html>`}
	RootInno     = Root{Status: 200, Body: "<html><head><title>DragonMint</title></head></html>"}
	RootPlain    = Root{Status: 200, Body: "<html><head><title>index</title></head></html>"}
	// SealMiner: the Amaze UI stylesheet its web UI loads; not a marker
	// identification uses (other UIs may load it too).
	RootSeal = Root{Status: 200, Body: `<html><head><link rel="stylesheet" href="/css/amazeui.min.css"></head></html>`}
)

// FamilyRoot is the root page each family's firmware serves (hand-made,
// see Root). MSKMiner and Hiveon keep Bitmain's web UI and realm; MaraFW
// too (its API sits under /kaonsu).
var FamilyRoot = map[string]Root{
	"antminer": RootBitmain, "hiveon": RootBitmain, "marathon": RootBitmain,
	"braiins": RootBraiins, "luxos": RootLux, "vnish": RootVnish, "bitaxe": RootAxe,
	"goldshell": RootGold, "epic": RootEPIC, "iceriver": RootIce, "auradine": RootAuradine,
	"avalon": RootAvalon, "whatsminer": RootWhats, "hammer": RootBlack, "elphapex": RootDaoge,
	"innosilicon": RootInno, "sealminer": RootSeal,
}

// FullSpec is the set of servers each family's firmware really has: Hammer's
// ccminer listens on 8359, not on 4028; ePIC serves HTTP on 4028;
// Elphapex, IceRiver, Bitaxe and MaraFW have no cgminer API; Auradine's
// FluxOS REST API is on 8080. Pages are served with the family's login.
func FullSpec(fam string, c Capture) Spec {
	r := FamilyRoot[fam]
	s := Spec{Root: &r, WebPages: true, Family: fam}
	switch fam {
	case "epic":
		s.EPIC = true
	case "elphapex", "iceriver", "bitaxe", "marathon":
	case "sealminer":
		// Its pages sit behind a cookie login no capture shows; the driver
		// reads 4028 only.
		s.WebPages = false
		s.RPC = len(c.RPC) > 0
	case "hammer":
		s.RPCAt8359 = true
		s.RPC = len(c.RPC) > 0
	default:
		s.RPC = len(c.RPC) > 0
	}
	s.V3 = c.V3 != nil
	s.REST = fam == "auradine"
	return s
}
