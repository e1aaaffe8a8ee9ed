package braiins

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// FuzzParseBraiins replaces one command's reply with the fuzzed bytes, keeps
// real replies for the others, and runs the parser: it must not panic.
func FuzzParseBraiins(f *testing.F) {
	base := map[string][]byte{}
	dirs := []string{"testdata/handmade_S19XP_boser_tuner_failed"}
	entries, err := os.ReadDir(captures)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(captures, e.Name()))
		}
	}
	for _, dir := range dirs {
		raw, err := fakeminer.LoadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for cmd, r := range raw {
			f.Add(cmd, r)
			if _, ok := base[cmd]; !ok {
				base[cmd] = r
			}
		}
	}
	f.Fuzz(func(t *testing.T, cmd string, data []byte) {
		if !isCommand(cmd) {
			cmd = Commands[len(cmd)%len(Commands)]
		}
		raw := make(map[string][]byte, len(base))
		for k, v := range base {
			raw[k] = v
		}
		raw[cmd] = data
		d := Parse(cgminer.BatchFromRaw("fuzz:4028", raw))
		if d == nil {
			t.Fatal("nil MinerData")
		}
		// Alone, too: no other reply to lean on.
		_ = Parse(cgminer.BatchFromRaw("fuzz:4028", map[string][]byte{cmd: data}))
	})
}

func isCommand(s string) bool {
	for _, c := range Commands {
		if strings.EqualFold(c, s) && c == s {
			return true
		}
	}
	return false
}

// FuzzParseREST replaces one Public API REST body with the fuzzed bytes,
// keeps the handmade S21 bodies for the others, and runs ParseREST: it must
// not panic.
func FuzzParseREST(f *testing.F) {
	base := loadREST(f)
	methods := make([]string, 0, len(base))
	for file, m := range restFiles {
		body, err := os.ReadFile(filepath.Join(restDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m, body)
		methods = append(methods, m)
	}
	sort.Strings(methods)
	f.Fuzz(func(t *testing.T, method string, data []byte) {
		if _, ok := base[method]; !ok {
			method = methods[len(method)%len(methods)]
		}
		bodies := make(map[string][]byte, len(base))
		for k, v := range base {
			bodies[k] = v
		}
		bodies[method] = data
		if d := ParseREST(&RESTReplies{Bodies: bodies}); d == nil {
			t.Fatal("nil MinerData")
		}
		_ = ParseREST(&RESTReplies{Bodies: map[string][]byte{method: data}})
	})
}
