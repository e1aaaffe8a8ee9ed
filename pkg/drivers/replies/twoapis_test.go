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
	failed := func(err error) *Set { s := New(); s.Set("summary", jsonval.Obj{}, err); return s }
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

// An API that refused while the other answered is read as not asked: its
// commands are no problem. A timeout, or both refusing, stays.
func TestWithoutRefused(t *testing.T) {
	up := func() *Set { s := New(); s.Set("summary", jsonval.Obj{}, nil); return s }
	failed := func(err error) *Set {
		s := New()
		s.Set("summary", jsonval.Obj{}, err)
		s.Set("pools", jsonval.Obj{}, err)
		return s
	}
	refused := fmt.Errorf("10.0.0.1:4028: %w", syscall.ECONNREFUSED)
	timeout := fmt.Errorf("10.0.0.1:80: %w", drivers.ErrTimeout)

	rpc, web := WithoutRefused(failed(refused), up())
	require.Empty(t, rpc.Failed(), "4028 refused, web answered")
	require.True(t, web.Answered())

	rpc, web = WithoutRefused(up(), failed(refused))
	require.True(t, rpc.Answered())
	require.Empty(t, web.Failed(), "web refused, 4028 answered")

	_, web = WithoutRefused(up(), failed(timeout))
	require.Equal(t, []string{"summary", "pools"}, web.Failed(), "a timeout is a problem")

	rpc, web = WithoutRefused(failed(refused), failed(refused))
	require.Len(t, rpc.Failed(), 2, "both refused: the miner is down, not one API off")
	require.Len(t, web.Failed(), 2)
}
