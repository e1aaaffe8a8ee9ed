package innosilicon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// slots are the replies a fuzz input can replace: 4028 commands first,
// then web pages.
var slots = append(append([]string{}, RPCCommands...), WebPages...)

// FuzzParseInnosilicon replaces one reply of a capture with fuzzed bytes.
func FuzzParseInnosilicon(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join(capDir, "*"))
	type set struct{ rpc, web map[string][]byte }
	var sets []set
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		rpc, web := load(f, dir)
		sets = append(sets, set{rpc, web})
		for k, name := range slots {
			b, ok := rpc[name]
			if k >= len(RPCCommands) {
				b, ok = web[name]
			}
			if ok {
				f.Add(uint8(len(sets)-1), uint8(k), b)
			}
		}
	}
	f.Add(uint8(0), uint8(len(RPCCommands)), []byte(`{"all":{"chain":[{"ASC":1e300,"Hash Rate":1,"Unit":1},{"ASC":-1}],"total_hash":7,"fansSpeed":1e999}}`))
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
		k := int(slot) % len(slots)
		if k < len(RPCCommands) {
			rpc[slots[k]] = b
		} else {
			web[slots[k]] = b
		}
		if d := Parse(cgminer.BatchFromRaw("fuzz", rpc), httpapi.RepliesFromRaw(web)); d == nil {
			t.Fatal("nil data")
		}
	})
}

// FuzzExpired runs the expired-token test on any body.
func FuzzExpired(f *testing.F) {
	for _, s := range []string{`{"success":false,"token":"expired"}`, `{"success":true}`, `<html>`, `{"token":`} {
		f.Add(200, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, b []byte) { _ = Expired(status, b) })
}

// BenchmarkParse measures one parse of the hand-made capture (decoding
// included), the unit of work of a fuzz execution.
func BenchmarkParse(b *testing.B) {
	rpc, web := load(b, filepath.Join(capDir, "a11_a10-1.1.0_handmade"))
	for b.Loop() {
		_ = Parse(cgminer.BatchFromRaw("bench", rpc), httpapi.RepliesFromRaw(web))
	}
}
