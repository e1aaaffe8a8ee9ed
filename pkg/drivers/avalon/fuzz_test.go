package avalon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// FuzzParseAvalon replaces one command's reply of the full 1566 capture with
// the fuzzed bytes and parses; nothing may panic. The command "mm" puts the
// bytes inside an estats reply as the MM ID0 text, to reach the blob reader
// through valid JSON.
func FuzzParseAvalon(f *testing.F) {
	base := loadFolder(f, filepath.Join(captures, "1566_fw24102401"))
	delete(base, "stats") // same as estats; parsing it twice only slows fuzzing
	dirs, err := os.ReadDir(captures)
	if err != nil {
		f.Fatal(err)
	}
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		path := filepath.Join(captures, dir.Name())
		for cmd, b := range loadFolder(f, path) {
			f.Add(cmd, b)
			if obj, err := jsonval.DecodeObj(b); err == nil {
				for _, e := range obj.Objs("STATS") {
					for k, v := range e.All() {
						if s, ok := v.(string); ok && (strings.HasPrefix(k, "MM ID") || k == "HBinfo") {
							f.Add("mm", []byte(s))
						}
					}
				}
			}
		}
		raws, _ := filepath.Glob(filepath.Join(path, "*.raw"))
		for _, r := range raws {
			if b, err := os.ReadFile(r); err == nil {
				f.Add("summary", b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, cmd string, data []byte) {
		raw := make(map[string][]byte, len(base)+1)
		for k, v := range base {
			raw[k] = v
		}
		switch cmd {
		case "version", "summary", "devs", "pools", "estats":
			raw[cmd] = data
		case "stats":
			delete(raw, "estats") // otherwise stats is never read
			raw[cmd] = data
		default:
			text, _ := json.Marshal(string(data))
			raw["estats"] = []byte(`{"STATUS":[{"STATUS":"S"}],"STATS":[{"STATS":0,"ID":"AVA100","Elapsed":1,"MM ID0":` +
				string(text) + `,"HBinfo":` + string(text) + `}]}`)
		}
		if d := Parse(cgminer.BatchFromRaw("fuzz", raw)); d == nil {
			t.Fatal("nil MinerData")
		}
		kv := map[string]string{}
		parseBlob(string(data), kv)
		if len(kv) > maxTokens {
			t.Fatalf("%d tokens", len(kv))
		}
		_ = models.AvalonModel(string(data[:min(len(data), 64)]))
		_ = models.AvalonVerModel(string(data))
		_, _ = numList(string(data))
	})
}
