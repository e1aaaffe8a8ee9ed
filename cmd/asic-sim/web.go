package main

import (
	"net/http"
	"path/filepath"
	"sort"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
)

// webMiner is a simulated miner that only has a web API.
type webMiner struct {
	name    string
	handler http.Handler
}

// webFamilies are the web-only families served with -n 0, each with the
// page a whole miner of it needs (other folders hold one reply for a
// parser test).
var webFamilies = []struct{ family, needs string }{{"elphapex", "stats"}, {"bitaxe", "system_info"}}

// loadWebTemplates serves the web-only captures as their firmware's web UI
// (internal/capserve, as the golden tests serve them): Elphapex behind
// Digest auth (realm "Daoge", root/root) at /cgi-bin/<page>.cgi, Bitaxe's
// AxeOS API at /api/system/<page>, with the root pages identification
// recognises.
func loadWebTemplates(root string) []webMiner {
	var out []webMiner
	for _, wf := range webFamilies {
		dirs, _ := filepath.Glob(filepath.Join(root, wf.family, "*"))
		sort.Strings(dirs)
		for _, dir := range dirs {
			c, err := capserve.LoadDir(dir)
			if err != nil || c.Web[wf.needs] == nil {
				continue
			}
			h, err := capserve.WebUI(wf.family, c)
			if err != nil {
				fatalf("%v", err)
			}
			out = append(out, webMiner{name: wf.family + "/" + filepath.Base(dir), handler: h})
		}
	}
	return out
}
