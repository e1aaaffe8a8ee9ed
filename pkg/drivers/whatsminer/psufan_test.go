package whatsminer

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// API v3: get.device.info msg.power.fanspeed 6344 is the PSU's fan; the
// chassis fans stay fan-speed-in/-out.
func TestV3PSUFan(t *testing.T) {
	d := ParseRawV3(loadV3(t, filepath.Join(captures, "M60S_v3_20251209.16.Rel2")))
	require.NotNil(t, d.PSUFanRPM)
	require.Equal(t, int64(6344), *d.PSUFanRPM, "power.fanspeed RPM")
	for _, f := range d.Fans {
		require.NotEqual(t, int64(6344), *f.RPM, "the PSU fan is not a chassis fan")
	}
}
