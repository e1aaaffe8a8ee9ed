package httpapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The auth state kept per miner (token, Digest challenge) is one per host,
// API and user, and Forget drops every one of a host.
func TestTransportForgetDropsAuthStateOfHost(t *testing.T) {
	tr := NewTransport(Options{})
	a := tr.Client(Config{Addr: "127.20.30.1:80", Username: "root"})
	b := tr.Client(Config{Addr: "127.20.30.1:8080", Username: "admin"})
	c := tr.Client(Config{Addr: "127.20.30.2:80", Username: "root"})
	require.Same(t, a.st, tr.Client(Config{Addr: "127.20.30.1:80", Username: "root"}).st, "kept between gathers")
	require.NotSame(t, a.st, b.st)
	require.Equal(t, 2, tr.states.Len())
	tr.Forget("127.20.30.1")
	require.Equal(t, 1, tr.states.Len())
	require.NotSame(t, a.st, tr.Client(Config{Addr: "127.20.30.1:80", Username: "root"}).st, "a fresh state after Forget")
	require.Same(t, c.st, tr.Client(Config{Addr: "127.20.30.2:80", Username: "root"}).st)
}
