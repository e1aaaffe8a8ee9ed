package identify

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// The 4028 markers, one reply each (facts: pyasic's MinerFactory,
// pyasic/miners/factory.py at e2b9d357 (v0.78.10), and the drivers'
// captures), including the precedence cases.
func TestMatchMarkers(t *testing.T) {
	for _, tt := range []struct{ reply, want string }{
		{`{"STATUS":[{"Description":"intminer 5.4.2"}]}`, "goldshell"},      // Goldshell SC5 Pro II devs
		{`{"STATUS":[{"Description":"kdaminer 1.0"}]}`, "goldshell"},        // KD Box
		{`{"STATUS":[{"Description":"bfgminer 5.4.2"}]}`, "goldshell"},      // Byte / Mini Doge
		{`{"STATUS":[{"Description":"GCMiner-0.5-devsbXXX"}]}`, "auradine"}, // AT1500 version
		{`{"VERSION":[{"Type":"FluxOS"}]}`, "auradine"},
		{`{"VERSION":[{"Type":"Antminer S19 KAONSU"}]}`, "marathon"}, // MaraFW says Antminer too
		{`{"VERSION":[{"Miner":"MaraFW rel 3.14"}]}`, "marathon"},
		{`{"STATUS":[{"Description":"innominer T3"}]}`, "innosilicon"},
		{`{"VERSION":[{"Type":"Hammer D10","Description":"ccminer 2.3.3"}]}`, "hammer"},
		// MSKMiner's bmminer "4.11.1 rwglr": Bitmain's API, antminer,
		// even next to another firmware's word; Hiveon's rwglr is Hiveon.
		{`{"VERSION":[{"BMMiner":"4.11.1 rwglr","Type":"S19-88 (vnish-like)"}]}`, "antminer"},
		{`{"VERSION":[{"BMMiner":"2.0.0 rwglr","Type":"Antminer S9 Hiveon"}]}`, "hiveon"},
		{`{"VERSION":[{"Type":"Antminer S9 (vnish 3.8.6)"}]}`, "vnish"},
		{`{"VERSION":[{"Type":"Antminer S19 Pro"}]}`, "antminer"},
	} {
		got, ok := Match([]byte(tt.reply))
		require.True(t, ok, tt.reply)
		require.Equal(t, tt.want, got, tt.reply)
	}
	_, ok := Match([]byte(`{"VERSION":[{"Type":"Toaster"}]}`))
	require.False(t, ok)
}

func TestMatchWeb(t *testing.T) {
	for _, tt := range []struct {
		name           string
		status         int
		auth, location string
		body           string
		want           webVerdict
	}{
		{"bitmain realm is a guess", 401, `Digest realm="antMiner Configuration", nonce="1"`, "", "", webVerdict{driver: "antminer"}},
		{"hammer/volcminer realm", 401, `Digest realm="blackMiner Configuration"`, "", "", webVerdict{driver: "hammer", certain: true}},
		{"marafw realm", 401, `Digest realm="MaraFW", nonce="n", algorithm=MD5`, "", "", webVerdict{driver: "marathon", certain: true}},
		{"elphapex realm", 401, `Digest realm="Daoge"`, "", "", webVerdict{driver: "elphapex", certain: true}},
		{"iceriver title", 200, "", "", "<HTML><HEAD><TITLE>用户界面</TITLE>", webVerdict{driver: "iceriver", certain: true}},
		{"auradine", 200, "", "", "<title>Miner UI</title>", webVerdict{driver: "auradine", certain: true}},
		{"dragonmint", 200, "", "", "<title>DragonMint</title>", webVerdict{driver: "innosilicon", certain: true}},
		{"whatsminer 307, luci in body", 307, "", "https://10.0.0.1/", `<a href="/cgi-bin/luci">`, webVerdict{driver: "whatsminer", certain: true}},
		{"whatsminer 307, page to read", 307, "", "https://10.0.0.1/", "", webVerdict{driver: "whatsminer", follow: "https://10.0.0.1/"}},
		{"307 to http is nothing", 307, "", "http://10.0.0.1/x", "", webVerdict{}},
		{"avalon page is a guess", 200, "", "", "<title>Avalon Device</title>", webVerdict{driver: "avalon"}},
		{"unknown", 200, "", "", "<title>router</title>", webVerdict{}},
	} {
		require.Equal(t, tt.want, matchWeb(tt.status, tt.auth, tt.location, []byte(tt.body)), tt.name)
	}
}

func TestMatchPages(t *testing.T) {
	brief, err := os.ReadFile(filepath.Join(captureRoot, "marathon/KS5Pro_rel3.14_584/web_brief.json"))
	require.NoError(t, err)
	require.True(t, matchKaonsu(http.StatusOK, brief))
	require.False(t, matchKaonsu(http.StatusNotFound, []byte("<html>404</html>")), "stock Antminer")
	require.False(t, matchKaonsu(http.StatusOK, []byte("<html></html>")))

	status, err := os.ReadFile(filepath.Join(captureRoot, "goldshell/sclite_2.2.0/web_status.json"))
	require.NoError(t, err)
	model, fw, ok := matchMCBStatus(http.StatusOK, status)
	require.True(t, ok)
	require.Equal(t, "Goldshell-SCLITE", model) // "model": "Goldshell-SCLITE"
	require.Equal(t, "2.2.0", fw)               // "firmware": "2.2.0"
	_, _, ok = matchMCBStatus(http.StatusOK, []byte(`{"model":"x"}`))
	require.False(t, ok, "no firmware key: not Goldshell's page")

	caps, err := os.ReadFile(filepath.Join(captureRoot, "epic/S19XP_PowerPlay-BMS1.5.13/web_capabilities.json"))
	require.NoError(t, err)
	model, ok = matchCapabilities(http.StatusOK, caps)
	require.True(t, ok)
	require.Equal(t, "AntMiner S19 XP", model)

	info, err := os.ReadFile(filepath.Join(captureRoot, "whatsminer/M60S_v3_20251209.16.Rel2/get.device.info.json"))
	require.NoError(t, err)
	o, err := jsonval.DecodeObj(info)
	require.NoError(t, err)
	require.Equal(t, "M60S_VK40", matchV3(o)) // msg.miner.type

	require.True(t, matchLuci(200, []byte(`<meta http-equiv="refresh" content="0; URL=/cgi-bin/luci" />`)))
	require.False(t, matchLuci(404, []byte(`/cgi-bin/luci`)))
}

func TestDigestAuthorize(t *testing.T) {
	ch, ok := parseDigest(`Digest realm="antMiner Configuration", nonce="abc", qop="auth,auth-int", opaque="o"`)
	require.True(t, ok)
	require.Equal(t, digestChallenge{realm: "antMiner Configuration", nonce: "abc", opaque: "o", qopAuth: true}, ch)
	_, ok = parseDigest(`Basic realm="x"`)
	require.False(t, ok)
	a := ch.authorize("root", "secret", "GET", "/kaonsu/v1/brief")
	require.NotContains(t, a, "secret", "the password never travels")
	require.True(t, strings.HasPrefix(a, `Digest username="root", realm="antMiner Configuration", nonce="abc", uri="/kaonsu/v1/brief", qop=auth, nc=00000001`))
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

func FuzzMatchWeb(f *testing.F) {
	f.Add(401, `Digest realm="antMiner Configuration", nonce="1"`, "", []byte(""))
	f.Add(307, "", "https://h/", []byte(`/cgi-bin/luci`))
	f.Add(200, "", "", []byte("<TITLE>用户界面</TITLE>"))
	f.Fuzz(func(t *testing.T, status int, auth, location string, body []byte) {
		v := matchWeb(status, auth, location, body)
		if v.driver != "" && !knownDriver(v.driver) {
			t.Fatalf("unknown driver %q", v.driver)
		}
		if v.follow != "" && !strings.HasPrefix(strings.ToLower(v.follow), "https://") {
			t.Fatalf("follows %q", v.follow)
		}
		_ = matchLuci(status, body)
	})
}

func FuzzMatchPages(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = matchKaonsu(http.StatusOK, b)
		if model, _, ok := matchMCBStatus(http.StatusOK, b); ok && model == "" {
			t.Fatal("goldshell without a model")
		}
		if model, ok := matchCapabilities(http.StatusOK, b); ok && model == "" {
			t.Fatal("ePIC without a model")
		}
		if o, err := jsonval.DecodeObj(b); err == nil {
			_ = matchV3(o)
		}
	})
}

func FuzzParseDigest(f *testing.F) {
	f.Add(`Digest realm="antMiner Configuration", nonce="5f3a", qop="auth"`)
	f.Add(`Digest realm="a\"b", nonce=x, algorithm=SHA-256, opaque="o"`)
	f.Fuzz(func(t *testing.T, h string) {
		if ch, ok := parseDigest(h); ok {
			if ch.nonce == "" {
				t.Fatal("challenge without nonce")
			}
			_ = ch.authorize("root", "root", "GET", "/kaonsu/v1/brief")
		}
	})
}

// The identity read from 4028 replies: any reply as version, devdetails
// or stats, for every driver, must not panic.
func FuzzRPCIdentity(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for d := range driverIdentity {
			for _, cmd := range probeCommands {
				r := newResult(d, "", map[string][]byte{cmd: b})
				if r.Driver != d {
					t.Fatal("driver changed")
				}
			}
		}
	})
}
