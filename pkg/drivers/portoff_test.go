package drivers

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A refused port stays off for PortOffTTL, per miner and address.
func TestPortOff(t *testing.T) {
	var p PortOff
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	p.Refused("10.0.0.1", "10.0.0.1:80", t0)
	require.True(t, p.Off("10.0.0.1", "10.0.0.1:80", t0.Add(PortOffTTL-time.Second)))
	require.False(t, p.Off("10.0.0.1", "10.0.0.1:80", t0.Add(PortOffTTL)), "asked again once the time is up")
	require.False(t, p.Off("10.0.0.1", "10.0.0.1:8080", t0), "another port")
	require.False(t, p.Off("10.0.0.2", "10.0.0.2:80", t0), "another miner")
	p.On("10.0.0.1", "10.0.0.1:80")
	require.False(t, p.Off("10.0.0.1", "10.0.0.1:80", t0))
	p.Refused("10.0.0.1", "10.0.0.1:80", t0)
	p.Forget("10.0.0.1")
	require.False(t, p.Off("10.0.0.1", "10.0.0.1:80", t0))

	// The other API failing while the port is off: dialled again next time.
	p.Refused("10.0.0.1", "10.0.0.1:80", t0)
	err := p.OtherFailed("10.0.0.1", "10.0.0.1:80", fmt.Errorf("10.0.0.1:4028: %w", ErrRefused))
	require.ErrorIs(t, err, ErrRefused)
	require.Equal(t, "10.0.0.1:4028: connection refused (web API: refused within 10m0s, not asked)", err.Error())
	require.False(t, p.Off("10.0.0.1", "10.0.0.1:80", t0))

	// A nil PortOff keeps nothing.
	var none *PortOff
	none.Refused("10.0.0.1", "10.0.0.1:80", t0)
	require.False(t, none.Off("10.0.0.1", "10.0.0.1:80", t0))

	refused := fmt.Errorf("10.0.0.1:80: %w", ErrRefused)
	require.True(t, RefusedAlone(true, false, refused))
	require.False(t, RefusedAlone(false, false, refused), "both down: the miner, not its web UI")
	require.False(t, RefusedAlone(true, false, fmt.Errorf("10.0.0.1:80: %w", ErrTimeout)), "silent is not switched off")
}
