package httpapi

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// A page the firmware lacks or that was not asked is no problem; any other
// failure is, naming the page's path; what answered is kept.
func TestPages(t *testing.T) {
	w := RepliesWithErrors(map[string]jsonval.Obj{"summary": jsonval.ObjOf(map[string]any{"x": 1.0})}, map[string]error{
		"stats": fmt.Errorf("%w: %w", drivers.ErrBadResponse, &StatusError{Code: 404}),
		"pools": fmt.Errorf("10.0.0.1:80 web API: %w", drivers.ErrTimeout),
	})
	d := &drivers.MinerData{}
	rs := Pages(d, w, []string{"summary", "stats", "pools", "never"}, func(n string) string { return "/cgi-bin/" + n + ".cgi" })
	require.Equal(t, map[string]jsonval.Obj{"summary": jsonval.ObjOf(map[string]any{"x": 1.0})}, rs)
	require.Len(t, d.Problems, 1)
	require.ErrorIs(t, d.Problems[0], drivers.ErrTimeout)
	require.Equal(t, "web /cgi-bin/pools.cgi: 10.0.0.1:80 web API: timeout", d.Problems[0].Error())
}

func TestShared(t *testing.T) {
	own := NewTransport(Options{})
	require.Same(t, own, Shared(own))
	require.NotNil(t, Shared(nil))
	require.Same(t, Shared(nil), Shared(nil), "one fallback for every driver")
}
