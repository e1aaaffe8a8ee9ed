// Package hashunit is the one place that knows what unit a firmware's
// hashrate number is in, and turns it into the schema's unit.
//
// The schema's `*_hashrate_ths` is 10^12 of the algorithm's own unit per
// second (hashes; solutions for Equihash) for every algorithm: an L7 at
// 9.5 GH/s scrypt is 0.0095. So converting is only a matter of the real
// unit of the number; the algorithm matters because some firmware labels a
// key with one unit and writes another, and what it really writes depends
// on the algorithm the build was made for (Bitmain's bmminer writes "GHS
// 5s" on every model; on an L3+ the number is MH/s, on a Z11 kSol/s).
//
// Drivers read a key, look up its real unit with Key (the firmware API, the
// miner's algorithm and the key's label), and convert with Unit.THs. The
// algorithm is what the miner says first (its API, its model), then the
// driver's default; Algorithm turns the firmware's spelling into the tag.
//
// Facts in the table (each from a real capture; the tests name them):
//   - Bitmain bmminer/cgminer, no rate_unit in stats: "GHS" keys and
//     chain_rateN hold MH/s on scrypt (L3+), X11 (D3) and Ethash (E3)
//     builds, kSol/s on Equihash (Z11), GH/s on SHA-256.
//   - Innosilicon's web /api/summary DEVS[] on Ethash (A11MX): "MHS 1m"
//     etc. hold H/s (beside "Hash Rate" 470.82 "Unit" "MH/s").
//
// Everything else found in captures is labelled honestly (Whatsminer,
// Avalon, Braiins, LuxOS, Auradine, Goldshell on Blake2b, Handshake,
// Eaglesong and scrypt, Elphapex and Hammer on scrypt, ePIC on Blake2b,
// IceRiver, Marathon, Vnish, Bitaxe, SealMiner's bdminer "MHS" keys).
package hashunit

import (
	"math"
	"strings"
)

// Unit is how many hashes (or solutions) per second one unit is.
type Unit float64

// The units firmware writes.
const (
	H  Unit = 1
	KH Unit = 1e3
	MH Unit = 1e6
	GH Unit = 1e9
	TH Unit = 1e12
	PH Unit = 1e15
	EH Unit = 1e18
)

// THs converts v, in unit u, to the schema's 10^12 per second.
func (u Unit) THs(v float64) float64 {
	// Dividing by an exact power of ten keeps "GH/s / 1e3" bit-identical.
	if u < TH {
		return v / (float64(TH) / float64(u))
	}
	return v * (float64(u) / float64(TH))
}

// ToTHs converts *v, in unit u, to the schema's unit. nil, NaN, infinite
// and negative rates are not rates: nil.
func ToTHs(v *float64, u Unit) *float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 {
		return nil
	}
	x := u.THs(*v)
	return &x
}

// String is the unit's usual spelling ("GH/s").
func (u Unit) String() string {
	for _, p := range prefixes {
		if p.u == u {
			return p.s + "H/s"
		}
	}
	return "?"
}

var prefixes = []struct {
	s string
	u Unit
}{{"", H}, {"K", KH}, {"M", MH}, {"G", GH}, {"T", TH}, {"P", PH}, {"E", EH}}

// ParseUnit reads a unit as firmware writes it: "GH", "GH/s", "Gh/s",
// "GHS", "G", "MH/S", "KSol/s", "h/s", "T". ok is false for anything else.
func ParseUnit(s string) (Unit, bool) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "/S")
	t = strings.TrimSuffix(t, "PS") // "GHPS"
	switch {
	case strings.HasSuffix(t, "SOL"):
		t = strings.TrimSuffix(t, "SOL")
	case strings.HasSuffix(t, "HS") && len(t) == 3: // "GHS", "MHS"
		t = t[:1]
	case strings.HasSuffix(t, "H"):
		t = strings.TrimSuffix(t, "H")
	}
	if t == "" && strings.TrimSpace(s) != "" {
		return H, true
	}
	for _, p := range prefixes {
		if p.s != "" && t == p.s {
			return p.u, true
		}
	}
	return 0, false
}

// Algorithm tags of the schema: what the miner hashes.
const (
	SHA256     = "sha256"
	Scrypt     = "scrypt"
	X11        = "x11"
	Blake2b    = "blake2b"    // Sia
	Blake2s    = "blake2s"    // Kadena
	Blake3     = "blake3"     // Alephium
	Blake256   = "blake256"   // Decred (Blake256r14)
	KHeavyHash = "kheavyhash" // Kaspa
	Eaglesong  = "eaglesong"  // Nervos
	Equihash   = "equihash"
	Handshake  = "handshake"
	Ethash     = "ethash"
	LBRY       = "lbry"
)

// algorithmNames maps a firmware's spelling (lower case, without spaces,
// dashes and underscores) to the tag.
var algorithmNames = map[string]string{
	"sha256": SHA256, "sha256d": SHA256, "sha2": SHA256, "bitcoin": SHA256, "btc": SHA256,
	"scrypt": Scrypt, "ltc": Scrypt, "litecoin": Scrypt, "doge": Scrypt,
	"x11": X11, "dash": X11,
	"blake2b": Blake2b, "blake2bsia": Blake2b, "sia": Blake2b, "siacoin": Blake2b,
	"blake2s": Blake2s, "kadena": Blake2s, "kda": Blake2s,
	"blake3": Blake3, "alephium": Blake3, "alph": Blake3, "blockflow": Blake3,
	"blake256": Blake256, "blake256r14": Blake256, "decred": Blake256,
	"kheavyhash": KHeavyHash, "heavyhash": KHeavyHash, "kaspa": KHeavyHash, "kas": KHeavyHash,
	"eaglesong": Eaglesong, "ckb": Eaglesong, "nervos": Eaglesong,
	"equihash": Equihash, "zcash": Equihash, "zec": Equihash,
	"handshake": Handshake, "hns": Handshake, "blake2bsha3": Handshake,
	"ethash": Ethash, "etchash": Ethash,
	"lbry": LBRY, "lbc": LBRY,
}

var algorithmCleaner = strings.NewReplacer(" ", "", "-", "", "_", "", "(", "", ")", "")

// Algorithm turns what a firmware says it hashes ("SHA256", "Blake2b",
// "kHeavyHash", "Scrypt") into the schema's tag; "" when unknown, so the
// caller keeps what it knew.
func Algorithm(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	k = algorithmCleaner.Replace(k)
	return algorithmNames[k]
}

// API is a firmware API whose keys carry a unit in their name or beside
// them.
type API string

// APIs with keys whose label is not always their unit.
const (
	// BMMiner is Bitmain's stock cgminer/bmminer on 4028 and its web
	// pages: "GHS 5s", "GHS av", chain_rateN, total_rate(ideal),
	// rate_5s/rate_real when stats has no rate_unit.
	BMMiner API = "bmminer"
	// InnosiliconWeb is the DEVS[] list of Innosilicon's web
	// /api/summary.
	InnosiliconWeb API = "innosilicon-web"
	// Labelled is any API whose keys hold what they say.
	Labelled API = ""
)

// misLabels: on this API, for this algorithm, a key labelled with unit
// `label` holds unit `real`.
var misLabels = map[API]map[string]map[Unit]Unit{
	BMMiner: {
		Scrypt:   {GH: MH}, // L3+: "GHS 5s" 504.56 at 504 MH/s
		X11:      {GH: MH}, // D3: "GHS 5s" 16346.64 at 16.3 GH/s
		Ethash:   {GH: MH}, // E3: "GHS 5s" 197.30 at 197 MH/s
		Equihash: {GH: KH}, // Z11: "GHS 5s" 141.54 at 141.5 kSol/s
	},
	InnosiliconWeb: {
		Ethash: {MH: H}, // A11MX: "MHS 1m" 470821977.34 at 470.8 MH/s
	},
}

// Key is the unit a key labelled `label` really holds on api for a miner
// hashing algorithm.
func Key(api API, algorithm string, label Unit) Unit {
	if real, ok := misLabels[api][algorithm][label]; ok {
		return real
	}
	return label
}

// Conv converts *v from a key labelled `label` on api for algorithm.
func Conv(api API, algorithm string, label Unit, v *float64) *float64 {
	return ToTHs(v, Key(api, algorithm, label))
}
