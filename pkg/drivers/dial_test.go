package drivers

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Dial reaches an address or a name, and a refusal is ECONNREFUSED, which
// the result classification and the scan rely on.
func TestDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, addr := range []string{ln.Addr().String(), net.JoinHostPort("localhost", port)} {
		c, err := Dial(ctx, "tcp", addr)
		require.NoError(t, err, addr)
		require.Equal(t, ln.Addr().String(), c.RemoteAddr().String())
		require.NoError(t, c.Close())
	}
	// Port 1 (tcpmux) is not served here, and no test listens below 1024.
	_, err = Dial(ctx, "tcp", "127.0.0.1:1")
	require.True(t, errors.Is(err, syscall.ECONNREFUSED), "%v", err)
	var oe *net.OpError
	require.ErrorAs(t, err, &oe)
	require.Nil(t, oe.Source, "no local address was bound")
}
