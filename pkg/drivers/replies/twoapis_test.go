package replies

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

func TestTwoAPIs(t *testing.T) {
	up := func() *Set { s := New(); s.Set("summary", jsonval.Obj{}, nil); return s }
	failed := func(err error) *Set { s := New(); s.Set("summary", nil, err); return s }
	refused := fmt.Errorf("10.0.0.1:4028: %w", syscall.ECONNREFUSED)
	timeout := fmt.Errorf("10.0.0.1:80: %w", drivers.ErrTimeout)
	for _, c := range []struct {
		name         string
		rpc, web     *Set
		rpcUp, webUp bool
		problems     []string
	}{
		{"both up", up(), up(), true, true, nil},
		{"4028 switched off", failed(refused), up(), false, true, nil},
		{"web switched off", up(), failed(refused), true, false, nil},
		{"web timed out", up(), failed(timeout), true, false, []string{drivers.ResultTimeout}},
		{"both down", failed(refused), failed(timeout), false, false, []string{drivers.ResultConnectionRefused, drivers.ResultTimeout}},
		{"web not asked", up(), nil, true, false, nil},
	} {
		d := &drivers.MinerData{}
		rpcUp, webUp := TwoAPIs(d, c.rpc, c.web)
		require.Equal(t, c.rpcUp, rpcUp, c.name)
		require.Equal(t, c.webUp, webUp, c.name)
		var got []string
		for _, p := range d.Problems {
			got = append(got, drivers.Result(p))
		}
		require.Equal(t, c.problems, got, c.name)
	}
}
