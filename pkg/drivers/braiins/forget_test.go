package braiins

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForgetDropsTokensAndPaths(t *testing.T) {
	var d Driver
	d.setToken("127.20.31.1", "grpc|127.20.31.1:50051|root", "tok-1")
	d.setPath("127.20.31.1", "127.20.31.1|50051|80|4028", pathREST)
	d.setToken("127.20.31.2", "grpc|127.20.31.2:50051|root", "tok-2")
	d.Forget("127.20.31.1")
	require.Empty(t, d.token("127.20.31.1", "grpc|127.20.31.1:50051|root"))
	require.Equal(t, pathNone, d.path("127.20.31.1", "127.20.31.1|50051|80|4028"))
	require.Equal(t, "tok-2", d.token("127.20.31.2", "grpc|127.20.31.2:50051|root"))
}
