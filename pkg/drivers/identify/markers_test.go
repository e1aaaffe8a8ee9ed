package identify

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// rpcReply is evidence of one cgminer reply, as the machinery records it.
func rpcReply(ev *drivers.Evidence, cmd, body string) {
	obj, err := cgminer.Parse("", []byte(body))
	if err != nil {
		return
	}
	ev.Add(drivers.RPCAsk(cmd), drivers.Reply{Body: []byte(body), Obj: obj, OK: cgminer.CheckStatus(cmd, obj) == nil})
}

func webReply(ev *drivers.Evidence, a drivers.Ask, status int, hdr http.Header, body string) {
	obj, _ := jsonval.DecodeObj([]byte(body))
	ev.Add(a, drivers.Reply{Status: status, Header: hdr, Body: []byte(body), Obj: obj, OK: status < 400})
}

// weigh is the family the registered identifications, in priority order,
// pick from ev.
func weigh(ev *drivers.Evidence) (string, drivers.Confidence) {
	id := newIdentifier(drivers.Target{}, 0, families())
	id.ev = ev
	f, c := id.best()
	return f.name, c
}

// The 4028 markers, one version reply each (facts: pyasic-notes §5.1 and
// the drivers' captures), including the precedence cases.
func TestWeighRPCMarkers(t *testing.T) {
	for _, tt := range []struct {
		reply, want string
		c           drivers.Confidence
	}{
		{`{"STATUS":[{"Description":"intminer 5.4.2"}]}`, "goldshell", drivers.Certain}, // Goldshell SC5 Pro II devs
		{`{"STATUS":[{"Description":"kdaminer 1.0"}]}`, "goldshell", drivers.Certain},   // KD Box
		{`{"STATUS":[{"Description":"bfgminer 5.4.2"}]}`, "goldshell", drivers.Certain}, // Byte / Mini Doge
		{`{"STATUS":[{"Description":"GCMiner-0.5-devsbXXX"}]}`, "auradine", drivers.Certain},
		{`{"VERSION":[{"Type":"FluxOS"}]}`, "auradine", drivers.Certain},
		{`{"VERSION":[{"Type":"Antminer S19 KAONSU"}]}`, "marathon", drivers.Certain}, // MaraFW says Antminer too
		{`{"VERSION":[{"Miner":"MaraFW rel 3.14"}]}`, "marathon", drivers.Certain},
		{`{"STATUS":[{"Description":"innominer T3"}]}`, "innosilicon", drivers.Certain},
		{`{"VERSION":[{"Type":"Hammer D10","Description":"ccminer 2.3.3"}]}`, "hammer", drivers.Certain},
		// MSKMiner's bmminer "4.11.1 rwglr": Bitmain's API, antminer, even
		// next to another firmware's word; Hiveon's rwglr is Hiveon.
		{`{"VERSION":[{"BMMiner":"4.11.1 rwglr","Type":"S19-88 (vnish-like)"}]}`, "antminer", drivers.Certain},
		{`{"VERSION":[{"BMMiner":"2.0.0 rwglr","Type":"Antminer S9 Hiveon"}]}`, "hiveon", drivers.Certain},
		{`{"VERSION":[{"Type":"Antminer S9 (vnish 3.8.6)"}]}`, "vnish", drivers.Certain},
		{`{"VERSION":[{"Type":"Antminer S19 Pro"}]}`, "antminer", drivers.Guess},
		{`{"STATUS":[{"STATUS":"E","Msg":"Invalid command","Description":"btminer"}]}`, "whatsminer", drivers.Certain},
		{`{"VERSION":[{"Type":"Toaster"}]}`, "", drivers.NoMatch},
	} {
		ev := drivers.NewEvidence()
		rpcReply(ev, "version", tt.reply)
		got, c := weigh(ev)
		require.Equal(t, tt.c, c, tt.reply)
		if c != drivers.NoMatch {
			require.Equal(t, tt.want, got, tt.reply)
		}
	}
}

func TestWeighRoot(t *testing.T) {
	realm := func(r string) http.Header {
		return http.Header{"Www-Authenticate": {`Digest realm="` + r + `", nonce="1"`}}
	}
	for _, tt := range []struct {
		name   string
		status int
		hdr    http.Header
		body   string
		want   string
		c      drivers.Confidence
	}{
		{"bitmain realm is a guess", 401, realm("antMiner Configuration"), "", "antminer", drivers.Guess},
		{"hammer/volcminer realm", 401, realm("blackMiner Configuration"), "", "hammer", drivers.Certain},
		{"marafw realm", 401, realm("MaraFW"), "", "marathon", drivers.Certain},
		{"elphapex realm", 401, realm("Daoge"), "", "elphapex", drivers.Certain},
		{"iceriver title", 200, nil, "<HTML><HEAD><TITLE>用户界面</TITLE>", "iceriver", drivers.Certain},
		{"auradine", 200, nil, "<title>Miner UI</title>", "auradine", drivers.Certain},
		{"dragonmint", 200, nil, "<title>DragonMint</title>", "innosilicon", drivers.Certain},
		{"braiins", 200, nil, "<title>Braiins OS</title>", "braiins", drivers.Certain},
		{"luxos", 200, nil, "<title>Luxor Firmware</title>", "luxos", drivers.Certain},
		{"vnish", 200, nil, "<title>AnthillOS</title>", "vnish", drivers.Certain},
		{"axeos", 200, nil, "<title>AxeOS</title>", "bitaxe", drivers.Certain},
		{"goldshell", 200, nil, `<div class="cloud-box">`, "goldshell", drivers.Certain},
		{"epic", 200, nil, "<title>Miner Web Dashboard</title>", "epic", drivers.Certain},
		{"whatsminer 307, page to read", 307, http.Header{"Location": {"https://10.0.0.1/"}}, "", "whatsminer", drivers.Guess},
		{"whatsminer 307, luci in body", 307, http.Header{"Location": {"https://10.0.0.1/"}}, `<a href="/cgi-bin/luci">`, "whatsminer", drivers.Certain},
		{"307 to http is nothing", 307, http.Header{"Location": {"http://10.0.0.1/x"}}, "", "", drivers.NoMatch},
		{"avalon page is a guess", 200, nil, "<title>Avalon Device</title>", "avalon", drivers.Guess},
		{"unknown", 200, nil, "<title>router</title>", "", drivers.NoMatch},
	} {
		ev := drivers.NewEvidence()
		webReply(ev, drivers.Root, tt.status, tt.hdr, tt.body)
		got, c := weigh(ev)
		require.Equal(t, tt.c, c, tt.name)
		if c != drivers.NoMatch {
			require.Equal(t, tt.want, got, tt.name)
		}
	}
}

// The families' JSON endpoints, from real captures.
func TestWeighEndpoints(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(captureRoot, p))
		require.NoError(t, err)
		return string(b)
	}
	for _, tt := range []struct {
		ask  drivers.Ask
		file string
		want string
	}{
		{drivers.WebAsk("/api/system/info"), "bitaxe/Supra401_v2.4.5/web_system_info.json", "bitaxe"},
		{drivers.WebAsk("/mcb/status"), "goldshell/sclite_2.2.0/web_status.json", "goldshell"},
		{drivers.WebAsk("/api/v1/info"), "vnish/S21Pro_1.2.7/web_info.json", "vnish"},
		{drivers.Ask{API: drivers.APIHTTPOnRPC, What: "/capabilities"}, "epic/S19XP_PowerPlay-BMS1.5.13/web_capabilities.json", "epic"},
		{drivers.Ask{API: drivers.APIHTTPOnRPC, What: "/summary"}, "epic/S19XP_PowerPlay-BMS1.5.13/web_summary.json", "epic"},
		{drivers.Ask{API: drivers.APIWeb, What: "/kaonsu/v1/brief", Digest: true, DefaultUser: "root", DefaultPass: "root"},
			"marathon/KS5Pro_rel3.14_584/web_brief.json", "marathon"},
	} {
		ev := drivers.NewEvidence()
		webReply(ev, tt.ask, 200, nil, read(tt.file))
		got, c := weigh(ev)
		require.Equal(t, drivers.Certain, c, tt.file)
		require.Equal(t, tt.want, got, tt.file)

		// The same page under a 404, or an unrelated JSON object, says nothing.
		ev = drivers.NewEvidence()
		webReply(ev, tt.ask, 404, nil, read(tt.file))
		_, c = weigh(ev)
		require.Equal(t, drivers.NoMatch, c, tt.file)
	}
	ev := drivers.NewEvidence()
	webReply(ev, drivers.WebAsk("/mcb/status"), 200, nil, `{"model":"x"}`)
	_, c := weigh(ev)
	require.Equal(t, drivers.NoMatch, c, "no firmware key: not Goldshell's page")
}

// seeds returns every capture file's bytes.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	_ = filepath.WalkDir(captureRoot, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".raw")) {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, b)
			}
		}
		return nil
	})
	if len(out) == 0 {
		f.Fatal("no capture files")
	}
	return out
}

// Any bytes as any reply: every family's Match and Describe must not
// panic, and a winner is a registered family.
func FuzzWeigh(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	asks := []drivers.Ask{drivers.Root, drivers.Version, drivers.RPCAsk("summary"), drivers.RPCAsk("devdetails"),
		drivers.RPCAsk("stats"), drivers.WebAsk("/api/system/info"), drivers.WebAsk("/mcb/status"),
		{API: drivers.APIHTTPOnRPC, What: "/capabilities"}, {API: drivers.APIWhatsminerV3, What: "get.device.info"}}
	fams := families()
	f.Fuzz(func(t *testing.T, b []byte) {
		ev := drivers.NewEvidence()
		obj, _ := jsonval.DecodeObj(b)
		for _, a := range asks {
			ev.Add(a, drivers.Reply{Status: 200, Header: http.Header{"Www-Authenticate": {string(b)}, "Location": {string(b)}}, Body: b, Obj: obj, OK: true})
		}
		id := newIdentifier(drivers.Target{}, 0, fams)
		id.ev = ev
		if fam, c := id.best(); c != drivers.NoMatch {
			if !drivers.Registered(fam.name) {
				t.Fatalf("unregistered %q", fam.name)
			}
		}
		for _, fam := range fams {
			if fam.id.Describe != nil {
				_ = fam.id.Describe(ev)
			}
		}
	})
}
