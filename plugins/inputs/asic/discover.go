package asic

import (
	"context"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/discover"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
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

// Found is one miner as discovery saw it.
type Found struct {
	Address  string
	Make     string
	Model    string
	Firmware string
	Driver   string
	Identify time.Duration // how long identification took
	Err      error         // why it could not be identified or read
}

// Discover scans the configured miners once (listed ones included),
// identifies what answered and reads each once for its make, model and
// firmware. It is asic-execd --discover; Gather does not use it.
func (a *Asic) Discover(ctx context.Context) ([]Found, error) {
	user, pass, err := a.credentials()
	if err != nil {
		return nil, err
	}
	list := append(append([]target(nil), a.targets...), a.scan(ctx)...)
	out := make([]Found, len(list))
	sem := make(chan struct{}, a.Concurrency)
	var wg sync.WaitGroup
	for i, t := range list {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = a.discoverOne(ctx, a.minerTarget(t, user, pass), t)
		}()
	}
	wg.Wait()
	return out, nil
}

func (a *Asic) discoverOne(ctx context.Context, dt drivers.Target, t target) Found {
	f := Found{Address: t.host}
	if t.rpcPort != 0 {
		f.Address = dt.RPCAddr()
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.Timeout))
	defer cancel()
	start := time.Now()
	name := a.Driver
	if a.fixed == nil {
		var err error
		name, err = identify.Identify(ctx, dt, identify.WhatsminerV3Port)
		f.Identify = time.Since(start)
		if err != nil {
			f.Err = err
			return f
		}
	}
	f.Driver = name
	d, err := a.instance(name)
	if err != nil {
		f.Err = err
		return f
	}
	data, err := d.Gather(ctx, dt)
	if err != nil {
		f.Err = err
		return f
	}
	models.Apply(data)
	f.Make, f.Model, f.Firmware = data.Make, data.Model, data.Firmware
	return f
}
