package asic

import (
	"context"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/discover"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
)

// scanTimeout is how long a scan waits for an address with nothing behind
// it. Miners on a LAN answer a connect in milliseconds.
const scanTimeout = time.Second

// pollList is what this gather polls: every listed miner, and the miners
// the last scan found in the CIDR blocks and ranges, scanning again when
// discover_interval has passed. An empty address of a range gets no point.
func (a *Asic) pollList() []target {
	if len(a.ranges) == 0 {
		return a.targets
	}
	if a.scanned.IsZero() || time.Since(a.scanned) >= time.Duration(a.DiscoverInterval) {
		a.found = a.scan(context.Background())
		a.scanned = time.Now()
		if a.Log != nil {
			a.Log.Debugf("discovery: %d of %d addresses answer on a miner port", len(a.found), len(a.ranges))
		}
	}
	out := make([]target, 0, len(a.targets)+len(a.found))
	return append(append(out, a.targets...), a.found...)
}

// scanPorts are the ports a miner of any supported firmware listens on.
func (a *Asic) scanPorts() []int {
	pick := func(v, def int) int {
		if v != 0 {
			return v
		}
		return def
	}
	return []int{
		pick(a.Ports.RPC, drivers.DefaultRPCPort), pick(a.Ports.Web, drivers.DefaultWebPort),
		identify.WhatsminerV3Port, pick(a.Ports.GRPC, drivers.DefaultGRPCPort),
	}
}

func (a *Asic) scan(ctx context.Context) []target {
	ports := a.scanPorts()
	s := &discover.Scanner{Ports: ports, Timeout: scanTimeout, Concurrency: scanConcurrency(len(ports))}
	hosts := make([]string, len(a.ranges))
	byHost := make(map[string]target, len(a.ranges))
	for i, t := range a.ranges {
		hosts[i] = t.host
		byHost[t.host] = t
	}
	found := s.Scan(ctx, hosts)
	out := make([]target, len(found))
	for i, h := range found {
		out[i] = byHost[h]
	}
	return out
}
