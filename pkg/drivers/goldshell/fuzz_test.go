package goldshell

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// FuzzParseGoldshell replaces one reply of a capture with fuzzed bytes.
func FuzzParseGoldshell(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join(capDir, "*"))
	type set struct{ rpc, web map[string][]byte }
	var sets []set
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		rpc, web := load(f, dir)
		sets = append(sets, set{rpc, web})
		for _, m := range []map[string][]byte{rpc, web} {
			for _, b := range m {
				f.Add(uint8(len(sets)-1), uint8(0), b)
			}
		}
	}
	if extra, err := os.ReadFile(filepath.Join("testdata", "pools_list.json")); err == nil {
		f.Add(uint8(0), uint8(8), extra)
	}
	names := []string{"summary", "devs", "devdetails", "pools", "version", "status", "setting", "devs", "pools"}
	f.Fuzz(func(t *testing.T, which, slot uint8, b []byte) {
		if len(sets) == 0 {
			return
		}
		s := sets[int(which)%len(sets)]
		rpc, web := map[string][]byte{}, map[string][]byte{}
		for k, v := range s.rpc {
			rpc[k] = v
		}
		for k, v := range s.web {
			web[k] = v
		}
		i := int(slot) % len(names)
		if i < 5 {
			rpc[names[i]] = b
		} else {
			web[names[i]] = b
			if i == 7 {
				delete(rpc, "devs")
			}
			if i == 8 {
				delete(rpc, "pools")
			}
		}
		d := Parse(cgminer.BatchFromRaw("fuzz", rpc), WebFromRaw(web))
		if d == nil {
			t.Fatal("nil data")
		}
		_ = strings.TrimSpace(d.Model)
	})
}
