package cgminer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// Every hostile mode that applies to TCP 4028, through Command and Multi:
// each returns within its deadline with the expected class and the miner's
// address in the error, keeps no heap, and leaves no goroutine.
func TestHostileMiners(t *testing.T) {
	const deadline = 1500 * time.Millisecond
	want := map[hostile.Mode]string{
		hostile.Silent:     drivers.ResultTimeout,
		hostile.Slowloris:  drivers.ResultTimeout,
		hostile.Stream:     drivers.ResultBadResponse, // nested deeper than any reply
		hostile.Reset:      drivers.ResultBadResponse,
		hostile.Half:       drivers.ResultBadResponse,
		hostile.Garbage:    drivers.ResultBadResponse,
		hostile.HTML:       drivers.ResultBadResponse,
		hostile.TLS:        drivers.ResultBadResponse, // a TLS alert is no JSON
		hostile.DeepJSON:   drivers.ResultBadResponse, // nesting limit
		hostile.HugeNumber: drivers.ResultSuccess,     // parsed; the numbers are dropped
		hostile.HugeString: drivers.ResultBadResponse, // cut at its first 64 KiB
	}
	modes := hostile.Modes(hostile.CGMiner)
	require.Len(t, want, len(modes), "a case per mode")
	for _, mode := range modes {
		for _, multi := range []bool{false, true} {
			name := mode.String()
			if multi {
				name += "/multi"
			}
			t.Run(name, func(t *testing.T) {
				s := hostile.Start(t, hostile.CGMiner, mode)
				c := &Client{Addr: s.Addr()}
				var got jsonval.Obj
				err := hostile.Contain(t, s, deadline, func(ctx context.Context) error {
					if !multi {
						r, err := c.Command(ctx, "summary")
						got = r
						return err
					}
					b := c.Multi(ctx, "summary", "pools")
					if b.Err() != nil {
						return b.Err()
					}
					r, err := b.Reply("summary")
					got = r
					return err
				})
				require.Equal(t, want[mode], drivers.Result(err), "error: %v", err)
				if err != nil {
					require.Contains(t, err.Error(), s.Addr(), "the error names the miner")
					return
				}
				sum := got.Objs("SUMMARY")
				require.Len(t, sum, 1)
				switch mode {
				case hostile.HugeNumber:
					require.Nil(t, sum[0].F("GHS 5s"), "1e400 is no hashrate")
					require.Nil(t, sum[0].F("GHS av"), "-1e400 is no hashrate")
					require.Nil(t, sum[0].I("Elapsed"), "10^100000 s is no uptime")
				}
			})
		}
	}
}
