package epic

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const blockMinerSia = "BlockMiner_Sia_epic-miner2.0.6"

// An ePIC BlockMiner hashing Blake2b (Sia) on epic-miner 2.0.6: only
// /summary was captured; its HBs have no Hashrate lists.
func TestParseBlockMinerSia(t *testing.T) {
	d := Parse(replies(load(t, filepath.Join(captures, blockMinerSia))))
	require.Empty(t, d.Problems, "%v", d.Problems)
	require.Equal(t, "ePIC", d.Make)
	require.Equal(t, "blake2b", d.Algorithm, `Mining.Algorithm "Blake2b"`)
	require.Equal(t, "2.0.6", d.FirmwareVersion, `Software "epic-miner v2.0.6"`)
	require.Equal(t, "epicminer43003a", d.Hostname)
	// Session.LastAverageMHs.Hashrate 1815381.2670691558 MH/s = 1.815... x 10^12 H/s
	// (Blake2b); the since-start "Average MHs" 1828940.24 is the fallback.
	require.NotNil(t, d.Hashrate)
	require.InDelta(t, 1.8153812670691558, *d.Hashrate, 1e-12, "hashrate 10^12 H/s")
	require.Nil(t, d.ExpectedHashrate)
	require.Equal(t, int64(749962), *d.UptimeSeconds, "Session.Uptime s")
	require.Len(t, d.Boards, 3)
	for i, tc := range []float64{59, 62, 56} {
		b := d.Boards[i]
		require.Equal(t, i, b.Index)
		require.Nil(t, b.Hashrate, "HBs[] has no Hashrate")
		require.InDelta(t, tc, *b.Temperature, 1e-9, "board %d °C", i)
		require.InDelta(t, 380.0, *b.FrequencyMHz, 1e-9, `"Core Clock" 380.0 (no "Core Clock Avg")`)
	}
	require.Len(t, d.Pools, 1)
	require.Equal(t, "sc.luxor.tech", d.Pools[0].URL.Host)
	require.Equal(t, 700, d.Pools[0].URL.Port)
	require.Equal(t, "stratum+tcp://sc.luxor.tech:700", d.Pools[0].URL.Raw, `"Current Pool" "sc.luxor.tech:700", no config list`)
	require.Equal(t, int64(195336), *d.Pools[0].Accepted)
	require.Equal(t, int64(165), *d.Pools[0].Rejected)
}

// The algorithm: Mining.Algorithm first, then the model table, then
// sha256. Hand-made bodies (no capture of an eLITE exists): only the
// precedence is tested here.
func TestAlgorithmPrecedence(t *testing.T) {
	for _, c := range []struct{ model, mining, want string }{
		{"ePIC BlockMiner eLITE 1.0", "", "scrypt"},        // model table: BlockMiner eLITE 1.0, SCRYPT
		{"ePIC BlockMiner 720i", "", "sha256"},             // model table: SHA256
		{"ePIC BlockMiner eLITE 1.0", "SHA-256", "sha256"}, // what the miner says wins
		{"AntMiner L7", "", "scrypt"},                      // Bitmain hardware: series letter
		{"", "", "sha256"},                                 // nothing known: the default
	} {
		raw := map[string][]byte{
			"capabilities": []byte(`{"Model": "` + c.model + `"}`),
			"summary":      []byte(`{"Mining": {"Algorithm": "` + c.mining + `"}}`),
		}
		d := Parse(replies(raw))
		require.Equal(t, c.want, d.Algorithm, "%q %q", c.model, c.mining)
	}
}
