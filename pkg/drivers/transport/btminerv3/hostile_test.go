package btminerv3

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// Every hostile mode that applies to the 4433 framing: each returns within
// its deadline with the expected class and the miner in the error, keeps
// no heap (a huge length prefix is never allocated), and leaves no
// goroutine.
func TestHostileMiners(t *testing.T) {
	const deadline = 1500 * time.Millisecond
	want := map[hostile.Mode]string{
		hostile.Silent:     drivers.ResultTimeout,
		hostile.Slowloris:  drivers.ResultTimeout,
		hostile.Stream:     drivers.ResultBadResponse, // a 4 MiB frame of '[': nesting limit
		hostile.Reset:      drivers.ResultBadResponse,
		hostile.Half:       drivers.ResultBadResponse, // frame cut short
		hostile.Garbage:    drivers.ResultBadResponse, // the prefix is over the limit
		hostile.HTML:       drivers.ResultBadResponse, // "HTTP" read as a length
		hostile.TLS:        drivers.ResultBadResponse,
		hostile.DeepJSON:   drivers.ResultBadResponse,
		hostile.HugeNumber: drivers.ResultSuccess, // code 0; the numbers are dropped
		hostile.HugeString: drivers.ResultSuccess,
		hostile.HugeLength: drivers.ResultBadResponse, // 2 GiB prefix refused before reading
	}
	modes := hostile.Modes(hostile.V3)
	require.Len(t, want, len(modes), "a case per mode")
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s := hostile.Start(t, hostile.V3, mode)
			c := &Client{Addr: s.Addr()}
			var got jsonval.Obj
			err := hostile.Contain(t, s, deadline, func(ctx context.Context) error {
				r, err := c.Call(ctx, "get.device.info", nil)
				got = r
				return err
			})
			require.Equal(t, want[mode], drivers.Result(err), "error: %v", err)
			if err != nil {
				require.Contains(t, err.Error(), s.Addr(), "the error names the miner")
				return
			}
			switch mode {
			case hostile.HugeNumber:
				require.Nil(t, got.O("msg").F("hash"), "1e400")
				require.Nil(t, got.O("msg").I("elapsed"), "10^100000")
			case hostile.HugeString:
				require.Len(t, got.Objs("SUMMARY")[0].S("Type"), hostile.HugeStringLen)
				require.Equal(t, int64(3600), *got.O("msg").I("elapsed"))
			}
		})
	}
}
