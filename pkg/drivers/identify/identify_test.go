package identify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/capserve"
	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/all" // Identify answers only with registered drivers
)

// closedPort is a loopback port where nothing listens.
var closedPort = capserve.ClosedPort

func webServer(t testing.TB, h http.HandlerFunc) int {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

func TestIdentifyOrder(t *testing.T) {
	ctx := func() context.Context {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t.Cleanup(cancel)
		return c
	}
	hiveon := &fakeminer.Miner{Replies: fakeminer.MustLoadDir(t, "../../../testdata/hiveon/S9_Hiveon_30.0.1.3_rwglr_20191120")}
	require.NoError(t, hiveon.Start("127.0.0.1:0"))
	defer hiveon.Close()

	antRealm := webServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Digest realm="antMiner Configuration", nonce="x", qop="auth"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	daoge := webServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Digest realm="Daoge", nonce="x", qop="auth"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	bos := webServer(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html><head><title>Braiins OS</title></head></html>"))
	})
	closed := closedPort(t)

	tests := []struct {
		name string
		t    drivers.Target
		want string
	}{
		// Bitmain's realm is not certain: the 4028 API says Hiveon.
		{"antminer realm, hiveon 4028", drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: antRealm, RPC: hiveon.Port(), GRPC: closed}}, "hiveon"},
		// Nothing on 4028: the realm stands.
		{"antminer realm alone", drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: antRealm, RPC: closed, GRPC: closed}}, "antminer"},
		{"elphapex realm is certain", drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: daoge, RPC: hiveon.Port(), GRPC: closed}}, "elphapex"},
		{"braiins page", drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: bos, RPC: closed, GRPC: closed}}, "braiins"},
		{"4028 only", drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: closed, RPC: hiveon.Port(), GRPC: closed}}, "hiveon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Identify(ctx(), tt.t, closed)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	// gRPC alone (BOS+ with 4028 off): an HTTP/2 server's SETTINGS frame.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
			_ = c.Close()
		}
	}()
	got, err := Identify(ctx(), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: closed, RPC: closed,
		GRPC: ln.Addr().(*net.TCPAddr).Port}}, closed)
	require.NoError(t, err)
	require.Equal(t, "braiins", got)

	// Nothing anywhere: connection refused, not unsupported.
	_, err = Identify(ctx(), drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{Web: closed, RPC: closed, GRPC: closed}}, closed)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err), "%v", err)
	require.Contains(t, err.Error(), "127.0.0.1", "the error names the miner")
	require.NotContains(t, err.Error(), "identify: identify", "one prefix, not one per layer")
}
