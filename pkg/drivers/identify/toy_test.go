package identify_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/all"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/identify/internal/toyfirmware" // as all.go would
)

// A new family is its own package plus an import: identify, which does
// not name it, asks its Ask and picks it.
func TestToyFamilyNeedsNoEditHere(t *testing.T) {
	toy := &fakeminer.Miner{Replies: map[string][]byte{ // HAND-MADE: the toy firmware's one command
		"toyinfo": []byte(`{"STATUS":[{"STATUS":"S","Msg":"toy"}],"TOYINFO":[{"Toy Gears":7,"Model":"T1"}],"id":1}`),
	}}
	require.NoError(t, toy.Start("127.0.0.1:0"))
	defer toy.Close()
	closed := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := identify.IdentifyMiner(ctx, drivers.Target{Host: "127.0.0.1",
		Ports: drivers.Ports{RPC: toy.Port(), Web: closed, GRPC: closed}}, closed)
	require.NoError(t, err)
	require.Equal(t, identify.Result{Driver: "toyfirmware", Make: "Toy", Model: "T1", Firmware: "stock"}, r)
	require.Contains(t, toy.Commands(), "toyinfo")
	require.Equal(t, 1, count(toy.Commands(), "toyinfo"), "asked once")
}

// freePort is a loopback port where nothing listens.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

func count(l []string, s string) int {
	n := 0
	for _, x := range l {
		if x == s {
			n++
		}
	}
	return n
}
