package asic

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/discover"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
)

// scanTimeout is how long a scan's first probe of an address waits for
// an answer; retries wait longer. Miners on a LAN answer a connect in
// milliseconds.
const scanTimeout = time.Second

// rangeEntries is the asic_discovery "ranges" tag: the CIDR blocks and
// ranges of the miners list as configured, comma-joined.
func rangeEntries(miners []string) string {
	var out []string
	for _, raw := range miners {
		e := strings.TrimSpace(raw)
		if strings.Contains(e, "/") || isRange(e) {
			out = append(out, e)
		}
	}
	return strings.Join(out, ",")
}

// scanDue is whether discover_interval has passed since the last scan
// began (or none ran yet).
func (a *Asic) scanDue() bool {
	a.scanMu.Lock()
	defer a.scanMu.Unlock()
	return a.lastScan.IsZero() || time.Since(a.lastScan) >= time.Duration(a.DiscoverInterval)
}

// scanLoop scans at once, then every discover_interval (start to start;
// a scan longer than the interval is followed at once by the next).
func (a *Asic) scanLoop(ctx context.Context, acc telegraf.Accumulator) {
	for {
		began := time.Now()
		a.scan(ctx, acc)
		if ctx.Err() != nil {
			return
		}
		wait := time.Duration(a.DiscoverInterval) - time.Since(began)
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// scan probes this shard's addresses of the CIDR blocks and ranges once,
// adds what answered to the inventory, forgets what has been silent for
// forget_after and emits one asic_discovery point. A scan cut short by ctx
// changes nothing and emits nothing. Started as a service with driver
// "auto", it also starts the identification of each found miner that has
// no driver yet as soon as the miner is found, while the scan goes on
// (pipeline.go): the gather after the scan uses that instead of
// identifying the miner itself.
func (a *Asic) scan(ctx context.Context, acc telegraf.Accumulator) {
	a.scanMu.Lock()
	defer a.scanMu.Unlock()
	began := time.Now()
	res := a.probe(ctx, a.foundFunc())
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	answeredNow := make(map[string]bool, len(res.Found))
	newCount := 0
	for i, h := range res.Found {
		k := a.known[h]
		answeredNow[h] = true
		if a.inv.add(k.t, k.order, now) {
			newCount++
		}
		// What refused now need not be asked by the miner's first
		// identification.
		a.inv.setRefused(h, res.Refused[i])
	}
	lost := 0
	for _, t := range a.ranges {
		if !answeredNow[t.key()] && a.inv.has(t.key()) {
			lost++
		}
	}
	a.expire(now)
	a.lastScan = began
	fields := map[string]any{
		"addresses":        int64(res.Probed),
		"found":            int64(len(res.Found)),
		"new":              int64(newCount),
		"lost":             int64(lost),
		"forgotten":        int64(a.inv.takeForgotten()),
		"retried":          int64(res.Retried),
		"duration_seconds": res.Duration.Seconds(),
	}
	if acc != nil {
		acc.AddFields("asic_discovery", fields, map[string]string{"ranges": a.rangeTag}, now)
	}
	a.debugf("discovery of %s: %d of %d addresses answer on a miner port (%d new, %d lost, %d probes asked again) in %s",
		a.rangeTag, len(res.Found), res.Probed, newCount, lost, res.Retried, res.Duration.Round(time.Millisecond))
	if a.firstScan != nil {
		a.firstOnce.Do(func() { close(a.firstScan) })
	}
	if a.ScanDone != nil {
		a.ScanDone()
	}
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

// probe runs the connect scan over this shard's range addresses; found,
// when not nil, is told each found host at once (discover.Scanner.Found).
func (a *Asic) probe(ctx context.Context, found func(host string, refused []int)) discover.Result {
	ports := a.scanPorts()
	s := &discover.Scanner{Ports: ports, Timeout: scanTimeout, Concurrency: scanConcurrency(len(ports)),
		Progress: a.ScanProgress, Found: found}
	hosts := make([]string, len(a.ranges))
	for i, t := range a.ranges {
		hosts[i] = t.host
	}
	return s.Scan(ctx, hosts)
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
	list := append([]target(nil), a.targets...)
	refused := make([][]int, len(list), len(list)+len(a.ranges))
	res := a.probe(ctx, nil) // identified below, each once
	for i, h := range res.Found {
		list = append(list, a.known[h].t)
		refused = append(refused, res.Refused[i])
	}
	out := make([]Found, len(list))
	sem := make(chan struct{}, a.Concurrency)
	var wg sync.WaitGroup
	for i, t := range list {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = a.discoverOne(ctx, a.minerTarget(t, user, pass), t, refused[i])
		}()
	}
	wg.Wait()
	return out, nil
}

func (a *Asic) discoverOne(ctx context.Context, dt drivers.Target, t target, refused []int) Found {
	f := Found{Address: t.key()}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.Timeout))
	defer cancel()
	start := time.Now()
	name := a.Driver
	if a.fixed == nil {
		var err error
		var r identify.Result
		r, _, err = identify.IdentifyKnown(ctx, dt, identify.WhatsminerV3Port, identify.Known{Refused: refused})
		name = r.Driver
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
