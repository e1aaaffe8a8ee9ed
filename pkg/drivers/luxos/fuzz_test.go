package luxos

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// FuzzParseLuxOS replaces one command's reply of the full S19k Pro capture
// with the fuzzed bytes and parses; nothing may panic.
func FuzzParseLuxOS(f *testing.F) {
	base := loadReplies(f, s19kPro)
	files, err := filepath.Glob(filepath.Join(captures, "*", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no captures: %v", err)
	}
	for i, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		which := uint8(i % len(Commands))
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		for j, cmd := range Commands {
			if cmd == name {
				which = uint8(j)
			}
		}
		f.Add(which, b)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		reps := make(map[string][]byte, len(base))
		for k, v := range base {
			reps[k] = v
		}
		reps[Commands[int(which)%len(Commands)]] = data
		d := Parse(cgminer.BatchFromRaw("fuzz", reps))
		if d == nil {
			t.Fatal("nil MinerData")
		}
	})
}
