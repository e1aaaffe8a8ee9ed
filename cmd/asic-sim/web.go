package main

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
)

// webMiner is a simulated miner that only has a web API.
type webMiner struct {
	name    string
	handler http.Handler
}

// loadWebTemplates serves the web-only captures: Elphapex behind Digest
// auth (realm "Daoge", root/root) at /cgi-bin/<page>.cgi, and Bitaxe's
// AxeOS API at /api/system/<page>, with the page markers their web roots
// carry so identification finds them.
func loadWebTemplates(root string) []webMiner {
	var out []webMiner
	for _, dir := range glob(root, "elphapex") {
		pages := webPages(dir)
		if pages["stats"] == nil {
			continue
		}
		out = append(out, webMiner{name: "elphapex/" + filepath.Base(dir),
			handler: &httpapitest.Server{User: "root", Password: "root", Realm: "Daoge", Pages: pages}})
	}
	for _, dir := range glob(root, "bitaxe") {
		pages := webPages(dir)
		if pages["system_info"] == nil {
			continue
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/api/system/", func(w http.ResponseWriter, r *http.Request) {
			body, ok := pages[strings.ReplaceAll(strings.TrimPrefix(r.URL.Path, "/api/"), "/", "_")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<!doctype html><html><head><title>AxeOS</title></head><body></body></html>"))
		})
		out = append(out, webMiner{name: "bitaxe/" + filepath.Base(dir), handler: mux})
	}
	return out
}

func glob(root, family string) []string {
	dirs, _ := filepath.Glob(filepath.Join(root, family, "*"))
	sort.Strings(dirs)
	return dirs
}

// webPages reads web_<page>.json files: page name -> body.
func webPages(dir string) map[string][]byte {
	entries, _ := os.ReadDir(dir)
	out := map[string][]byte{}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "web_") || !strings.HasSuffix(n, ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err == nil {
			out[strings.TrimSuffix(strings.TrimPrefix(n, "web_"), ".json")] = b
		}
	}
	return out
}
