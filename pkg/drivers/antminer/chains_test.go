package antminer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

func TestChainNumber(t *testing.T) {
	for key, want := range map[string]int{
		"chain_rate1": 1, "chain_rate16": 16, "chain_rate064": 64, "chain_rate01": 1,
		"chain_rate0": 0, "chain_rate65": 0, "chain_rate": 0, "chain_rateideal1": 0,
		"chain_rate+1": 0, "chain_rate-1": 0, "chain_rate1000": 0, "chain_acn3": 0,
	} {
		n, ok := chainNumber(key, "chain_rate")
		require.Equal(t, want, n, key)
		require.Equal(t, want != 0, ok, key)
	}
	var sink bool
	require.Zero(t, testing.AllocsPerRun(100, func() { _, sink = chainNumber("chain_rateideal3", "chain_rate") }))
	require.False(t, sink)
}

// Hand-made stats entries: strong keys first, then weak ones, then zero
// rates, only while fewer chains than miner_count are found.
func TestPresentChainsOrder(t *testing.T) {
	require.Equal(t, []int{1, 2, 3}, PresentChains(jsonval.ObjOf(map[string]any{
		"chain_acn1": 76.0, "chain_acn2": 76.0, "chain_acn3": 76.0, "chain_rateideal4": "1.0",
		"chain_xtime5": "{}", "miner_count": 3.0,
	})))
	require.Equal(t, []int{6, 7, 8}, PresentChains(jsonval.ObjOf(map[string]any{
		"chain_acn6": 63.0, "chain_xtime7": "{}", "chain_SN8": "x", "chain_rate9": "0.00", "miner_count": 3.0,
	})))
	require.Equal(t, []int{1, 2}, PresentChains(jsonval.ObjOf(map[string]any{"chain_rate1": "0.00", "chain_rate2": "0.00"})))
	require.Empty(t, PresentChains(jsonval.ObjOf(map[string]any{"chain_acn1": 0.0, "fan1": 5000.0})))
}
