package drivers

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// API is where identification asks something of a miner.
type API int

const (
	// APIRPC is the cgminer-style JSON API on the RPC port (4028).
	APIRPC API = iota + 1
	// APIWeb is an HTTP GET on the web port (https with the tls_* options).
	APIWeb
	// APIHTTPOnRPC is an HTTP GET on the RPC port (ePIC serves its API there).
	APIHTTPOnRPC
	// APIWhatsminerV3 is Whatsminer API v3 (TCP 4433).
	APIWhatsminerV3
	// APIGRPC is the gRPC port: the evidence is whether an HTTP/2 server
	// answers the client preface.
	APIGRPC
)

// Ask is one cheap request a family can be told by. The identification
// machinery sends each distinct Ask at most once per identification.
type Ask struct {
	API API
	// What is the cgminer command (APIRPC), the path (APIWeb,
	// APIHTTPOnRPC) or the v3 command (APIWhatsminerV3).
	What string
	// Digest answers an HTTP Digest challenge with the target's
	// credentials, else with DefaultUser and DefaultPassword.
	Digest                   bool
	DefaultUser, DefaultPass string
}

// Reply is what an Ask got. An RPC reply is kept even when its STATUS is
// an error: the program that refused still names itself.
type Reply struct {
	Status int         // HTTP status; 0 for other APIs
	Header http.Header // HTTP only
	Body   []byte      // as received (bounded)
	// Obj is the body decoded as a JSON object (RPC replies repaired
	// first), nil when it is not one.
	Obj jsonval.Obj
	// OK is false for an RPC or v3 reply whose status is an error.
	OK bool
}

// Root is the Ask every identification starts with: the web root page. A
// Whatsminer-style 307 to https on the same host is followed once; the
// page it leads to is recorded under RootFollowed.
var (
	Root         = Ask{API: APIWeb, What: "/"}
	RootFollowed = Ask{API: APIWeb, What: "https:/"}
	// Version is the second: the RPC port's version command.
	Version = Ask{API: APIRPC, What: "version"}
	// GRPCPreface asks the gRPC port for an HTTP/2 SETTINGS frame; the
	// Reply's OK tells whether one came.
	GRPCPreface = Ask{API: APIGRPC}
)

// RPCAsk is the Ask of a cgminer command.
func RPCAsk(cmd string) Ask { return Ask{API: APIRPC, What: cmd} }

// WebAsk is the Ask of a GET on the web port.
func WebAsk(path string) Ask { return Ask{API: APIWeb, What: path} }

// Evidence is what a miner said during one identification.
type Evidence struct {
	Replies map[Ask]Reply
	// Guess is the family the evidence so far is a guess of ("" when
	// none); the machinery keeps it current.
	Guess string
	// upper caches the upper-cased RPC replies for marker searches.
	upper map[string][]byte
}

// NewEvidence returns empty evidence.
func NewEvidence() *Evidence { return &Evidence{Replies: map[Ask]Reply{}} }

// Add records a reply.
func (e *Evidence) Add(a Ask, r Reply) {
	e.Replies[a] = r
	if a.API == APIRPC {
		if e.upper == nil {
			e.upper = map[string][]byte{}
		}
		e.upper[a.What] = bytes.ToUpper(r.Body)
	}
}

// Get is the reply to a, if it came.
func (e *Evidence) Get(a Ask) (Reply, bool) {
	r, ok := e.Replies[a]
	return r, ok
}

// RPC is the reply to a cgminer command, error status included.
func (e *Evidence) RPC(cmd string) (Reply, bool) { return e.Get(RPCAsk(cmd)) }

// RPCOK is the decoded reply to a cgminer command that succeeded.
func (e *Evidence) RPCOK(cmd string) jsonval.Obj {
	if r, ok := e.RPC(cmd); ok && r.OK {
		return r.Obj
	}
	return jsonval.Obj{}
}

// VersionOK tells whether the version command answered without error.
func (e *Evidence) VersionOK() bool { return !e.RPCOK("version").IsNil() }

// RPCSays tells whether any RPC reply (upper-cased) holds one of the
// markers, which must be upper case.
func (e *Evidence) RPCSays(markers ...string) bool {
	for _, r := range e.upper {
		for _, m := range markers {
			if bytes.Contains(r, []byte(m)) {
				return true
			}
		}
	}
	return false
}

// RPCField is the first non-empty value of key in the section objects of
// a command's successful reply ("VERSION", "Type").
func (e *Evidence) RPCField(cmd, section string, keys ...string) string {
	for _, o := range e.RPCOK(cmd).Objs(section) {
		if s := strings.TrimSpace(o.S(keys...)); s != "" {
			return s
		}
	}
	return ""
}

// Realm is the root page's WWW-Authenticate value, lower case ("" when
// the root did not ask for credentials).
func (e *Evidence) Realm() string {
	r, ok := e.Get(Root)
	if !ok || r.Status != http.StatusUnauthorized {
		return ""
	}
	return strings.ToLower(strings.Join(r.Header.Values("WWW-Authenticate"), ", "))
}

// RootSays tells whether the root page (or the https page it redirected
// to) holds one of the markers, which must be lower case.
func (e *Evidence) RootSays(markers ...string) bool {
	for _, a := range []Ask{Root, RootFollowed} {
		r, ok := e.Get(a)
		if !ok {
			continue
		}
		lower := bytes.ToLower(r.Body)
		for _, m := range markers {
			if bytes.Contains(lower, []byte(m)) {
				return true
			}
		}
	}
	return false
}

// RootOpen tells whether the root page answered without asking for
// credentials: its other unauthenticated endpoints are worth a request.
func (e *Evidence) RootOpen() bool {
	r, ok := e.Get(Root)
	return ok && r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden
}

// WebJSON is the decoded body of a 200 answer to a GET on the web port.
func (e *Evidence) WebJSON(path string) jsonval.Obj { return e.json(WebAsk(path)) }

// HTTPOnRPCJSON is the decoded body of a 200 answer to a GET on the RPC
// port.
func (e *Evidence) HTTPOnRPCJSON(path string) jsonval.Obj {
	return e.json(Ask{API: APIHTTPOnRPC, What: path})
}

func (e *Evidence) json(a Ask) jsonval.Obj {
	for k, r := range e.Replies {
		// An Ask's credentials are not part of what it names.
		if k.API == a.API && k.What == a.What && r.Status == http.StatusOK {
			return r.Obj
		}
	}
	return jsonval.Obj{}
}

// Confidence is how sure some evidence makes a family.
type Confidence int

const (
	// NoMatch: the evidence says nothing of this family.
	NoMatch Confidence = iota
	// Guess: evidence other firmware shows too (Bitmain's realm or the
	// word "Antminer", which Hiveon, MaraFW, Vnish ... keep). It stands
	// only when nothing certain is found after every other Ask.
	Guess
	// Certain: only this family says this. Identification stops.
	Certain
)

// Identity is the make, model and firmware tag a family reads from the
// evidence. Model is as the miner says it; the caller normalises it.
type Identity struct {
	Make, Model, Firmware string
}

// Identification is how a firmware family recognises its miners. It is
// registered next to the driver, from the family's own package.
type Identification struct {
	// Asks are the cheap requests, beyond Root and Version, whose replies
	// can tell this family, most telling first. When, if set, says
	// whether the evidence so far makes the Ask worth its round trip.
	Asks []ConditionalAsk
	// Match tells how sure the evidence makes this family.
	Match func(e *Evidence) Confidence
	// Describe reads the identity from the evidence that matched.
	Describe func(e *Evidence) Identity
}

// ConditionalAsk is an Ask and when it is worth asking.
type ConditionalAsk struct {
	Ask
	When func(e *Evidence) bool
}

// Always is the Ask with no condition.
func Always(a Ask) ConditionalAsk { return ConditionalAsk{Ask: a} }

// If is the Ask asked only when cond holds.
func If(a Ask, cond func(e *Evidence) bool) ConditionalAsk { return ConditionalAsk{Ask: a, When: cond} }

// VersionFailed is a condition: the version command did not succeed
// (refused, "Invalid command", or the port did not speak cgminer).
func VersionFailed(e *Evidence) bool { return !e.VersionOK() }

// RPCModel is the model most cgminer-style firmware names: version Type,
// else devdetails Model, else stats Type.
func (e *Evidence) RPCModel() string {
	for _, s := range []string{
		e.RPCField("version", "VERSION", "Type"),
		e.RPCField("devdetails", "DEVDETAILS", "Model"),
		e.RPCField("stats", "STATS", "Type"),
	} {
		if s != "" {
			return s
		}
	}
	return ""
}

// RealmSays tells whether the root page's 401 challenge names one of the
// realms (lower case, without quotes: "antminer" matches realm="antMiner
// Configuration").
func (e *Evidence) RealmSays(realms ...string) bool {
	r := e.Realm()
	for _, m := range realms {
		if strings.Contains(r, `realm="`+m) {
			return true
		}
	}
	return false
}

// Unsettled is a condition: nothing so far, not even a guess. Asks that
// only look for a family among many use it, so a miner already guessed
// (stock Antminer's "Antminer") is not asked every family's question.
func Unsettled(e *Evidence) bool { return e.Guess == "" }

// UnsettledOr is a condition: nothing so far, or only a guess of one of
// the named families. Firmware built on another's code (Vnish on
// Bitmain's) uses it: the other's words in its replies make a guess its
// own question can overturn.
func UnsettledOr(families ...string) func(e *Evidence) bool {
	return func(e *Evidence) bool {
		if e.Guess == "" {
			return true
		}
		for _, f := range families {
			if e.Guess == f {
				return true
			}
		}
		return false
	}
}

// All is the condition that every cond holds.
func All(conds ...func(e *Evidence) bool) func(e *Evidence) bool {
	return func(e *Evidence) bool {
		for _, c := range conds {
			if !c(e) {
				return false
			}
		}
		return true
	}
}
