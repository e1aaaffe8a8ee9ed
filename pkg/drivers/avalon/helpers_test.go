package avalon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/stretchr/testify/require"
)

const captures = "../../../testdata/avalon"

// loadFolder reads a capture folder as command -> reply bytes, as a miner
// would answer {"command":X}. A multi_<...>.json file (one joined reply) is
// split into its commands; .raw files are left to the tests that want them.
func loadFolder(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || filepath.Ext(name) != ".json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		base := strings.TrimSuffix(name, ".json")
		if strings.HasPrefix(base, "multi_") {
			for cmd, reply := range splitMulti(t, b) {
				out[cmd] = reply
			}
			continue
		}
		out[base] = b
	}
	return out
}

// splitMulti turns {"a":[{...}],"b":[{...}],"id":1} into a -> {...}.
func splitMulti(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(cgminer.Repair(b), &m))
	out := map[string][]byte{}
	for cmd, v := range m {
		var l []json.RawMessage
		if json.Unmarshal(v, &l) == nil && len(l) > 0 {
			out[cmd] = l[0]
		}
	}
	return out
}
