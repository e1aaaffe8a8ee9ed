// Package capserve serves a capture folder of testdata/<family>/<case> as
// the firmware that recorded it: the cgminer API (4028, or Hammer's 8359),
// Whatsminer API v3 (4433), ePIC's HTTP API on the RPC port, Auradine's
// REST port (8080) and the web UI with the family's own login (HTTP
// Digest, Goldshell's JWT with its password cipher, Innosilicon's JWT,
// Vnish's unlock token, IceRiver's session cookie, Auradine's token, the
// Braiins OS Public REST API's token). Only the servers the firmware has
// are started; every other port refuses.
//
// The logins are checked with this package's own code, not the drivers'.
// Identification tests start single servers on 127.0.0.1 (Start); the
// golden runner serves a whole miner on its own loopback address at the
// firmware's real ports (Serve); drivers' tests put one family's login in
// front of their pages (NewLogin). The serving core (LoadDir, Open,
// WebUI, NewLogin) takes no test and returns its errors, so cmd/asic-sim
// serves through it; Load, Start, Serve and ClosedPort are its wrappers
// for tests. Test and simulation infrastructure, not product code.
package capserve

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3/btminerv3test"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Capture is a capture folder split by protocol.
type Capture struct {
	RPC  map[string][]byte // cgminer command -> reply (4028, or Hammer's 8359)
	V3   map[string][]byte // Whatsminer API v3 (4433); nil when none
	Web  map[string][]byte // page name -> body (web_<page>.json)
	Name string
}

// Load is LoadDir for a test: a folder it cannot read fails the test.
func Load(t testing.TB, dir string) Capture {
	t.Helper()
	c, err := LoadDir(dir)
	require.NoError(t, err)
	return c
}

// LoadDir reads a folder as the drivers' tests do: <cmd>.json/.raw and
// rpc_<cmd>.json are cgminer replies, web_<page>.json web pages, a
// multi_<a>_<b>.json one joined reply (split here), get.device.info.json
// and friends Whatsminer API v3 replies. A folder holding
// miner_details.json is Braiins OS REST replies, each file named after its
// /api/v1 path (login.go, bosREST): every file is a web page.
func LoadDir(dir string) (Capture, error) {
	c := Capture{RPC: map[string][]byte{}, Web: map[string][]byte{}, Name: filepath.Base(dir)}
	if _, err := os.Stat(filepath.Join(dir, "get.device.info.json")); err == nil {
		v3, err := btminerv3test.LoadDir(dir)
		c.V3 = v3
		return c, err
	}
	all, err := fakeminer.LoadDir(dir)
	if err != nil {
		return c, err
	}
	if _, ok := all[bosRESTMarker]; ok {
		c.Web = all
		return c, nil
	}
	for name, b := range all {
		switch {
		case strings.HasPrefix(name, "web_"):
			c.Web[strings.TrimPrefix(name, "web_")] = b
		case strings.HasPrefix(name, "rpc_"):
			c.RPC[strings.TrimPrefix(name, "rpc_")] = b
		case strings.HasPrefix(name, "multi_") && !strings.HasSuffix(name, "_nan"):
			var m map[string]json.RawMessage
			if err := json.Unmarshal(cgminer.Repair(b), &m); err != nil {
				return c, fmt.Errorf("%s: %s: %w", dir, name, err)
			}
			for cmd, v := range m {
				var l []json.RawMessage
				if json.Unmarshal(v, &l) == nil && len(l) > 0 {
					c.RPC[cmd] = l[0]
				}
			}
		case strings.HasPrefix(name, "multi_"):
		default:
			c.RPC[name] = b
		}
	}
	return c, nil
}
