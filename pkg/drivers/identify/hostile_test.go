package identify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Every misbehaviour on every port identification asks: it never panics,
// ends within the miner's deadline, and its result follows the rules
// (never connection_refused when something listened).
func TestIdentifyHostileMiners(t *testing.T) {
	for _, p := range []hostile.Proto{hostile.CGMiner, hostile.HTTP, hostile.V3, hostile.GRPC} {
		for _, m := range hostile.Modes(p) {
			t.Run(fmt.Sprintf("%s/%s", p, m), func(t *testing.T) {
				s := hostile.Start(t, p, m)
				closed := closedPort(t)
				target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: closed, Web: closed, GRPC: closed}}
				v3 := closed
				switch p {
				case hostile.CGMiner:
					target.Ports.RPC = s.Port()
				case hostile.HTTP:
					target.Ports.Web = s.Port()
				case hostile.V3:
					v3 = s.Port()
				case hostile.GRPC:
					target.Ports.GRPC = s.Port()
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancel()
				r, err := IdentifyMiner(ctx, target, v3)
				name := p.String() + "/" + m.String()
				switch want := hostileResult(p, m); want {
				case drivers.ResultSuccess:
					// A well-formed reply in a protocol only one firmware
					// speaks (API v3 framing with code 0, an HTTP/2
					// server on the gRPC port).
					require.NoError(t, err, name)
					require.Contains(t, []string{"whatsminer", "braiins"}, r.Driver, name)
				default:
					require.Equal(t, want, drivers.Result(err), "%s: %v", name, err)
				}
			})
		}
	}
}

// hostileResult is the result each misbehaviour must give: a timeout only
// when nothing at all came back, success only for a well-formed reply in
// a protocol one firmware owns, unsupported for anything else that
// answered.
func hostileResult(p hostile.Proto, m hostile.Mode) string {
	switch {
	case m == hostile.Silent,
		m == hostile.Slowloris && p != hostile.GRPC: // a byte a second: nothing whole within the probe
		return drivers.ResultTimeout
	case p == hostile.V3 && m == hostile.HugeNumber,
		p == hostile.GRPC && (m == hostile.Unauthorized || m == hostile.StallCalls):
		return drivers.ResultSuccess
	}
	return drivers.ResultUnsupported
}
