package drivers

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTwoAPIs(t *testing.T) {
	refused := fmt.Errorf("10.0.0.1:4028: %w", syscall.ECONNREFUSED)
	timeout := fmt.Errorf("10.0.0.1:80: %w", ErrTimeout)

	require.NoError(t, OneFailed(nil, false))
	require.NoError(t, OneFailed(refused, true), "switched off while the other answered: not a problem")
	require.Equal(t, refused, OneFailed(refused, false), "both down: it is")
	require.Equal(t, timeout, OneFailed(timeout, true), "any other failure is")

	require.NoError(t, BothFailed(nil, timeout))
	require.NoError(t, BothFailed(refused, nil))
	err := BothFailed(refused, timeout)
	require.Equal(t, ResultTimeout, Result(err), "the web API's failure explains a miner whose 4028 port is closed")
	require.Equal(t, "10.0.0.1:80: timeout (4028 API: 10.0.0.1:4028: connection refused)", err.Error())
	err = BothFailed(timeout, refused)
	require.Equal(t, ResultTimeout, Result(err))
	require.Equal(t, "10.0.0.1:80: timeout (web API: 10.0.0.1:4028: connection refused)", err.Error())
}
