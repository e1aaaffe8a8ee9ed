package all

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Every driver that keeps state per miner lets the plugin drop it when
// the miner leaves the inventory; the stateless ones need not.
func TestDriversWithPerMinerStateForget(t *testing.T) {
	stateless := map[string]bool{"hiveon": true, "luxos": true, "sealminer": true}
	for _, name := range drivers.Names() {
		d, err := drivers.New(name)
		require.NoError(t, err)
		_, ok := d.(drivers.Forgetter)
		require.Equal(t, !stateless[name], ok, "driver %s: Forgetter", name)
	}
}
