package auradine

import (
	"path/filepath"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// FuzzParseAuradine replaces one reply of the capture with fuzzed bytes.
func FuzzParseAuradine(f *testing.F) {
	rpc, web := load(f, filepath.Join(capDir, "at1500_fluxos"))
	names := append(append([]string{}, RPCCommands...), WebPages...)
	for i, n := range names {
		b := rpc[n]
		if i >= len(RPCCommands) {
			b = web[n]
		}
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, slot uint8, b []byte) {
		r, w := map[string][]byte{}, map[string][]byte{}
		for k, v := range rpc {
			r[k] = v
		}
		for k, v := range web {
			w[k] = v
		}
		i := int(slot) % len(names)
		if i < len(RPCCommands) {
			r[names[i]] = b
		} else {
			w[names[i]] = b
		}
		if Parse(cgminer.BatchFromRaw("fuzz", r), httpapi.RepliesFromRaw(w)) == nil {
			t.Fatal("nil")
		}
	})
}
