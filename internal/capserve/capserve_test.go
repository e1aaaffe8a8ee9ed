package capserve

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const root = "../../testdata/"

// do sends one request with a fresh client (no cookie jar).
func do(t *testing.T, method, u string, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func web(m *Miner) string { return fmt.Sprintf("http://127.0.0.1:%d", m.Target.Ports.Web) }

// The fakes are worth something only if they refuse what the firmware
// refuses: each login scheme turns away a request without its credential
// and answers the captured page with it.
func TestLoginsRefuseWithoutCredentials(t *testing.T) {
	serve := func(key, fam string) (*Miner, Capture) {
		c := Load(t, root+key)
		return Start(t, c, FullSpec(fam, c)), c
	}

	t.Run("digest", func(t *testing.T) {
		m, _ := serve("elphapex/DG1Plus_1.0.2", "elphapex")
		code, _ := do(t, "GET", web(m)+"/cgi-bin/summary.cgi", "", nil)
		require.Equal(t, http.StatusUnauthorized, code)
	})

	t.Run("goldshell", func(t *testing.T) {
		m, c := serve("goldshell/sc5proii_2.2.0", "goldshell")
		code, _ := do(t, "GET", web(m)+"/mcb/setting", "", nil)
		require.Equal(t, http.StatusUnauthorized, code)
		_, b := do(t, "GET", web(m)+"/user/login?username=admin&password=123456789&cipher=false", "", nil)
		require.NotContains(t, b, "JWT")
		_, b = do(t, "GET", web(m)+"/user/login?username=admin&password="+"00000000000000000000000000000000"+"&cipher=true", "", nil)
		require.NotContains(t, b, "JWT")
		_, b = do(t, "GET", web(m)+"/user/login?username=admin&password="+"bbad7537f4c8b6ea31eea0b3d760e257"+"&cipher=true", "", nil)
		require.Equal(t, `{"JWT Token":"jwt1"}`, b)
		code, b = do(t, "GET", web(m)+"/mcb/setting", "", map[string]string{"Authorization": "Bearer jwt1"})
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, string(c.Web["setting"]), b)
		code, _ = do(t, "GET", web(m)+"/mcb/status", "", nil)
		require.Equal(t, http.StatusOK, code, "status needs no login")
	})

	t.Run("innosilicon", func(t *testing.T) {
		m, c := serve("innosilicon/a11_a10-1.1.0_handmade", "innosilicon")
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		_, b := do(t, "POST", web(m)+"/api/summary", "", nil)
		require.Contains(t, b, `"token":"expired"`)
		_, b = do(t, "POST", web(m)+"/api/auth", url.Values{"username": {"admin"}, "password": {"nope"}}.Encode(), form)
		require.Contains(t, b, `"success":false`)
		_, b = do(t, "POST", web(m)+"/api/auth", url.Values{"username": {"admin"}, "password": {"admin"}}.Encode(), form)
		require.Equal(t, `{"success":true,"jwt":"jwt1"}`, b)
		_, b = do(t, "POST", web(m)+"/api/type", "", map[string]string{"Authorization": "Bearer jwt1"})
		require.Equal(t, string(c.Web["type"]), b)
	})

	t.Run("vnish", func(t *testing.T) {
		m, c := serve("vnish/S21Pro_1.2.7", "vnish")
		code, _ := do(t, "GET", web(m)+"/api/v1/summary", "", nil)
		require.Equal(t, http.StatusUnauthorized, code)
		code, _ = do(t, "POST", web(m)+"/api/v1/unlock", `{"pw":"root"}`, nil)
		require.Equal(t, http.StatusForbidden, code)
		_, b := do(t, "POST", web(m)+"/api/v1/unlock", `{"pw":"admin"}`, nil)
		require.Equal(t, `{"token":"tok1"}`, b)
		_, b = do(t, "GET", web(m)+"/api/v1/summary", "", map[string]string{"Authorization": "tok1"})
		require.Equal(t, string(c.Web["summary"]), b)
	})

	t.Run("iceriver", func(t *testing.T) {
		m, c := serve("iceriver/KS5L_ICM168_3_2_10", "iceriver")
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		_, b := do(t, "POST", web(m)+"/user/userpanel?post=4", "post=4", form)
		require.Contains(t, b, "loginpost", "no session: the login page")
		_, b = do(t, "POST", web(m)+"/user/loginpost", "post=6&user=admin&pwd=wrong", form)
		require.Contains(t, b, `"error":1`)
		_, b = do(t, "POST", web(m)+"/user/loginpost", "post=6&user=admin&pwd=12345678", form)
		require.Contains(t, b, `"error":0`)
		_, b = do(t, "POST", web(m)+"/user/userpanel?post=4", "post=4", map[string]string{"Content-Type": form["Content-Type"], "Cookie": "session=s1"})
		require.Equal(t, string(c.Web["userpanel"]), b)
	})

	t.Run("auradine", func(t *testing.T) {
		m, c := serve("auradine/at1500_fluxos", "auradine")
		rest := fmt.Sprintf("http://127.0.0.1:%d", m.RESTPort)
		code, _ := do(t, "GET", rest+"/fan", "", nil)
		require.Equal(t, http.StatusUnauthorized, code)
		_, b := do(t, "POST", rest+"/token", `{"command":"token","user":"admin","password":"x"}`, nil)
		require.Contains(t, b, `"STATUS":"E"`)
		_, b = do(t, "POST", rest+"/token", `{"command":"token","user":"admin","password":"admin"}`, nil)
		require.Contains(t, b, `"Token":"tok1"`)
		_, b = do(t, "GET", rest+"/fan", "", map[string]string{"Token": "tok1"})
		require.Equal(t, string(c.Web["fan"]), b)
	})

	t.Run("braiins REST", func(t *testing.T) {
		m, c := serve("braiins/S21Pro_bos-26.04_rest", "braiins")
		require.Empty(t, c.RPC, "every file of a REST capture is a page")
		code, _ := do(t, "GET", web(m)+"/api/v1/miner/details", "", nil)
		require.Equal(t, http.StatusUnauthorized, code)
		code, _ = do(t, "POST", web(m)+"/api/v1/auth/login", `{"username":"root","password":"root"}`, nil)
		require.Equal(t, http.StatusUnauthorized, code, "25.x ships without a password")
		code, b := do(t, "POST", web(m)+"/api/v1/auth/login", `{"username":"root","password":""}`, nil)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, `{"token":"bos1","timeout_s":3600}`, b)
		code, _ = do(t, "GET", web(m)+"/api/v1/miner/details", "", map[string]string{"Authorization": "nope"})
		require.Equal(t, http.StatusUnauthorized, code)
		tok := map[string]string{"Authorization": "bos1"}
		for path, page := range map[string]string{
			"/api/v1/miner/details": "miner_details", "/api/v1/pools/": "pools", "/api/v1/version/": "version",
			"/api/v1/performance/tuner-state": "performance_tuner_state", "/api/v1/miner/hw/hashboards": "miner_hw_hashboards",
		} {
			code, b = do(t, "GET", web(m)+path, "", tok)
			require.Equal(t, http.StatusOK, code, path)
			require.Equal(t, string(c.Web[page]), b, path)
		}
		code, _ = do(t, "GET", web(m)+"/api/v1/performance/mode", "", tok)
		require.Equal(t, http.StatusNotFound, code, "not captured")
		code, b = do(t, "GET", web(m)+"/", "", nil)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, b, "Braiins OS")

		// A bosminer (4028) capture keeps no REST API: its login is not found.
		old, _ := serve("braiins/S9_bosminer-0.2.0-d360818", "braiins")
		code, _ = do(t, "POST", web(old)+"/api/v1/auth/login", `{"username":"root","password":""}`, nil)
		require.Equal(t, http.StatusNotFound, code)
		require.NotZero(t, old.RPC.Port())
	})

	t.Run("absent servers refuse", func(t *testing.T) {
		m, _ := serve("bitaxe/Supra401_v2.4.5", "bitaxe")
		for _, p := range []int{m.Target.Ports.RPC, m.Target.Ports.GRPC, m.V3Port, m.HammerPort, m.RESTPort} {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", p))
			if err == nil {
				resp.Body.Close()
			}
			require.Error(t, err, "port %d", p)
		}
		code, b := do(t, "GET", web(m)+"/api/system/info", "", nil)
		require.Equal(t, http.StatusOK, code)
		require.True(t, bytes.Contains([]byte(b), []byte(`"hashRate"`)))
	})
}

// A login given its own password turns the factory one away; Refuse
// expires fresh tokens; Calls counts the requests behind the login.
func TestLoginOptions(t *testing.T) {
	l := NewLogin("innosilicon", map[string][]byte{"summary": []byte(`{"ok":1}`)}).WithPassword("s3cret", false)
	srv := httptest.NewServer(l)
	defer srv.Close()
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	_, b := do(t, "POST", srv.URL+"/api/auth", "username=admin&password=admin", form)
	require.Contains(t, b, `"success":false`, "the factory password no longer opens it")
	_, b = do(t, "POST", srv.URL+"/api/auth", "username=admin&password=s3cret", form)
	require.Equal(t, `{"success":true,"jwt":"jwt1"}`, b)
	bearer := map[string]string{"Authorization": "Bearer jwt1"}
	_, b = do(t, "POST", srv.URL+"/api/summary", "", bearer)
	require.Equal(t, `{"ok":1}`, b)
	l.Refuse(true)
	_, b = do(t, "POST", srv.URL+"/api/summary", "", bearer)
	require.Equal(t, `{"success":false,"token":"expired"}`, b)
	require.Equal(t, 2, l.Logins())
	require.Equal(t, 2, l.Calls())

	// Goldshell taking the password as typed (cipher=false).
	g := httptest.NewServer(NewLogin("goldshell", nil).WithPassword("pw1", true))
	defer g.Close()
	_, b = do(t, "GET", g.URL+"/user/login?username=admin&password=pw1&cipher=false", "", nil)
	require.Equal(t, `{"JWT Token":"jwt1"}`, b)
	_, b = do(t, "GET", g.URL+"/user/login?username=admin&password=bbad7537f4c8b6ea31eea0b3d760e257&cipher=true", "", nil)
	require.NotContains(t, b, "JWT", "the factory cipher is not this miner's password")
}
