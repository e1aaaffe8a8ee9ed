package antminer

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

func TestMemoryPlansFewerWebPages(t *testing.T) {
	m := newMemory()
	const addr = "127.0.0.9:4028"
	t0 := time.Unix(1_700_000_000, 0)
	require.Equal(t, WebEndpoints, m.plan(addr, t0), "unknown miner: every page")

	// Both APIs answered; the web said who the miner is.
	w := httpapi.RepliesWithErrors(map[string]jsonval.Obj{"get_system_info": jsonval.ObjOf(map[string]any{"macaddr": "aa:bb:cc:dd:ee:ff"})}, nil)
	m.learn(addr, t0, nil, w, &drivers.MinerData{MAC: "AA:BB:CC:DD:EE:FF", Hostname: "ant-7", SerialNumber: "SN1"})
	require.Equal(t, webPagesEveryGather, m.plan(addr, t0.Add(time.Minute)), "4028 carries stats and pools")

	// A gather that did not ask get_system_info still has the identity:
	// tags must not change between gathers.
	d := &drivers.MinerData{}
	m.learn(addr, t0.Add(time.Minute), nil, httpapi.RepliesWithErrors(map[string]jsonval.Obj{"summary": jsonval.ObjOf(map[string]any{})}, nil), d)
	require.Equal(t, "AA:BB:CC:DD:EE:FF", d.MAC)
	require.Equal(t, "ant-7", d.Hostname)
	require.Equal(t, "SN1", d.SerialNumber)

	// After identityTTL the identity is asked again.
	require.Equal(t, append([]string{"get_system_info"}, webPagesEveryGather...), m.plan(addr, t0.Add(identityTTL+time.Second)))

	// A web UI that refuses is left alone while 4028 answers...
	refused := httpapi.RepliesWithErrors(nil, map[string]error{"summary": fmt.Errorf("x: %w", drivers.ErrRefused)})
	m.learn(addr, t0.Add(2*time.Minute), nil, refused, &drivers.MinerData{})
	require.Nil(t, m.plan(addr, t0.Add(3*time.Minute)))
	require.Equal(t, webPagesEveryGather, m.plan(addr, t0.Add(2*time.Minute+drivers.PortOffTTL+time.Second))[len(m.plan(addr, t0.Add(2*time.Minute+drivers.PortOffTTL+time.Second)))-3:])

	// ...but asked for everything once 4028 is down.
	m.learn(addr, t0.Add(4*time.Minute), fmt.Errorf("x: %w", drivers.ErrTimeout), nil, nil)
	require.Equal(t, WebEndpoints, m.plan(addr, t0.Add(5*time.Minute)))
}

// stats.cgi is asked every gather while it adds values 4028 lacks, and
// dropped again once it adds nothing; a gather that did not ask it, or
// where it failed, changes nothing.
func TestMemoryAsksWebStatsWhileItAdds(t *testing.T) {
	m := newMemory()
	const addr = "127.0.0.9:4028"
	t0 := time.Unix(1_700_000_000, 0)
	w := httpapi.RepliesWithErrors(map[string]jsonval.Obj{"get_system_info": jsonval.ObjOf(map[string]any{}), "stats": jsonval.ObjOf(map[string]any{})}, nil)
	m.learn(addr, t0, nil, w, &drivers.MinerData{MAC: "AA:BB:CC:DD:EE:FF"})
	m.learnWebStats(addr, w, true)
	require.Equal(t, append(append([]string{}, webPagesEveryGather...), "stats"), m.plan(addr, t0.Add(time.Minute)))

	m.learnWebStats(addr, httpapi.RepliesWithErrors(map[string]jsonval.Obj{"summary": jsonval.ObjOf(map[string]any{})}, nil), false)
	m.learnWebStats(addr, httpapi.RepliesWithErrors(nil, map[string]error{"stats": fmt.Errorf("x: %w", drivers.ErrTimeout)}), false)
	require.Contains(t, m.plan(addr, t0.Add(time.Minute)), "stats", "not asked or failed: still wanted")

	m.learnWebStats(addr, w, false)
	require.Equal(t, webPagesEveryGather, m.plan(addr, t0.Add(time.Minute)))
}
