// Package asic is the Telegraf input for Bitcoin ASIC miners: it polls each
// miner through the driver of its firmware family and emits the asic,
// asic_hashboard, asic_fan, asic_pool, asic_error and asic_status
// measurements.
package asic

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	commontls "github.com/influxdata/telegraf/plugins/common/tls"
	"github.com/influxdata/telegraf/plugins/inputs"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/all" // registers every firmware family
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
)

//go:embed sample.conf
var sampleConfig string

const (
	defaultTimeout          = 5 * time.Second
	defaultConcurrency      = 1000
	defaultDiscoverInterval = 5 * time.Minute
	defaultIdentifyInterval = time.Hour
	driverAuto              = "auto"
)

// Ports overrides the default port of each API, for miners behind
// forwarding.
type Ports struct {
	RPC  int `toml:"rpc"`
	Web  int `toml:"web"`
	GRPC int `toml:"grpc"`
}

// Asic is the plugin.
type Asic struct {
	Miners      []string        `toml:"miners"`
	Driver      string          `toml:"driver"`
	Username    config.Secret   `toml:"username"`
	Password    config.Secret   `toml:"password"`
	Timeout     config.Duration `toml:"timeout"`
	Concurrency int             `toml:"concurrency"`
	Ports       Ports           `toml:"ports"`
	// DiscoverInterval is how often CIDR blocks and ranges are scanned for
	// miners; between scans only the miners found are polled.
	DiscoverInterval config.Duration `toml:"discover_interval"`
	// IdentifyInterval is how long an identification stands before the
	// miner is identified again (it is also redone when the miner stops
	// answering its driver).
	IdentifyInterval config.Duration `toml:"identify_interval"`
	// TLS for web APIs of firmware that serves only https: with any tls_*
	// key set (or tls_enable = true) they are spoken over https.
	commontls.ClientConfig

	Log telegraf.Logger `toml:"-"`

	tlsConfig *tls.Config
	// budget bounds the reply buffers of all miners in flight together.
	budget *drivers.Budget

	targets []target // listed one by one: polled on every gather
	ranges  []target // from CIDR blocks and ranges: scanned, then polled
	found   []target // what the last scan found in ranges
	scanned time.Time

	mu        sync.Mutex
	driver    map[string]identified     // per host:port, found by identification
	instances map[string]drivers.Driver // one per driver name
	fixed     drivers.Driver            // when driver is not "auto"
}

type identified struct {
	d  drivers.Driver
	at time.Time
}

func init() {
	inputs.Add("asic", func() telegraf.Input { return New() })
}

// New returns the plugin with its defaults.
func New() *Asic {
	return &Asic{
		Driver:           driverAuto,
		Timeout:          config.Duration(defaultTimeout),
		Concurrency:      defaultConcurrency,
		DiscoverInterval: config.Duration(defaultDiscoverInterval),
		IdentifyInterval: config.Duration(defaultIdentifyInterval),
	}
}

// SampleConfig returns the embedded sample configuration.
func (*Asic) SampleConfig() string { return sampleConfig }

// Init checks the configuration. It makes no network connection.
func (a *Asic) Init() error {
	if len(a.Miners) == 0 {
		return errors.New(`"miners": at least one address, host name, CIDR block or range is required`)
	}
	targets, err := expandMiners(a.Miners)
	if err != nil {
		return fmt.Errorf(`"miners": %w`, err)
	}
	a.targets, a.ranges = nil, nil
	for _, t := range targets {
		if t.listed {
			a.targets = append(a.targets, t)
		} else {
			a.ranges = append(a.ranges, t)
		}
	}
	if a.Driver == "" {
		a.Driver = driverAuto
	}
	if a.Driver != driverAuto {
		d, err := drivers.New(a.Driver)
		if err != nil {
			return fmt.Errorf(`"driver": %w`, err)
		}
		a.fixed = d
	}
	if a.Timeout <= 0 {
		return fmt.Errorf(`"timeout": must be positive, got %s`, time.Duration(a.Timeout))
	}
	if a.Concurrency < 0 {
		return fmt.Errorf(`"concurrency": must be positive, got %d`, a.Concurrency)
	}
	if a.Concurrency == 0 {
		a.Concurrency = defaultConcurrency
	}
	if a.DiscoverInterval < 0 {
		return fmt.Errorf(`"discover_interval": must not be negative, got %s`, time.Duration(a.DiscoverInterval))
	}
	if a.IdentifyInterval < 0 {
		return fmt.Errorf(`"identify_interval": must not be negative, got %s`, time.Duration(a.IdentifyInterval))
	}
	checkOpenFiles(a.Log, a.Concurrency)
	tc, err := a.ClientConfig.TLSConfig()
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	a.tlsConfig = tc
	for key, p := range map[string]int{"ports.rpc": a.Ports.RPC, "ports.web": a.Ports.Web, "ports.grpc": a.Ports.GRPC} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%q: %d is not a port", key, p)
		}
	}
	a.driver = make(map[string]identified)
	a.budget = drivers.NewBudget(drivers.DefaultReplyBudget)
	return nil
}

// Gather polls every miner once, at most Concurrency at a time, each under
// its own deadline. A miner's failure is its own: it shows in that miner's
// asic_status and never delays or drops another's data.
func (a *Asic) Gather(acc telegraf.Accumulator) error {
	user, pass, err := a.credentials()
	if err != nil {
		return err
	}
	sem := make(chan struct{}, a.Concurrency)
	var wg sync.WaitGroup
	for _, t := range a.pollList() {
		sem <- struct{}{} // bounds goroutines too, not only connections
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a.gatherMiner(acc, t, user, pass)
		}()
	}
	wg.Wait()
	return nil
}

func (a *Asic) credentials() (string, string, error) {
	get := func(name string, s *config.Secret) (string, error) {
		if s.Empty() {
			return "", nil
		}
		buf, err := s.Get()
		if err != nil {
			return "", fmt.Errorf("getting %s failed: %w", name, err)
		}
		defer buf.Destroy()
		return buf.String(), nil
	}
	user, err := get("username", &a.Username)
	if err != nil {
		return "", "", err
	}
	pass, err := get("password", &a.Password)
	return user, pass, err
}

func (a *Asic) minerTarget(t target, user, pass string) drivers.Target {
	dt := drivers.Target{
		Host:     t.host,
		Ports:    drivers.Ports{RPC: a.Ports.RPC, Web: a.Ports.Web, GRPC: a.Ports.GRPC},
		Username: user,
		Password: pass,
		TLS:      a.tlsConfig,
	}
	if t.rpcPort != 0 {
		dt.Ports.RPC = t.rpcPort
	}
	return dt
}

func (a *Asic) gatherMiner(acc telegraf.Accumulator, t target, user, pass string) {
	dt := a.minerTarget(t, user, pass)
	source := t.host
	if t.rpcPort != 0 {
		source = dt.RPCAddr()
	}
	ctx, cancel := context.WithTimeout(drivers.WithBudget(context.Background(), a.budget), time.Duration(a.Timeout))
	defer cancel()
	start := time.Now()

	data, driverName, err := a.gatherSafely(ctx, dt)
	elapsed := time.Since(start)
	now := time.Now()
	if err != nil {
		a.forget(dt)
		addStatus(acc, source, nil, err, nil, elapsed, now)
		// Addresses from a CIDR block or range are often empty; only miners
		// named one by one are worth an error line each gather.
		if t.listed {
			acc.AddError(fmt.Errorf("miner %s: %w", source, err))
		} else if a.Log != nil {
			a.Log.Debugf("miner %s: %v", source, err)
		}
		return
	}
	// The model table gives the expected boards, chips and fans, and one
	// spelling per model; an unknown model is left as the miner said it.
	models.Apply(data)
	for _, p := range data.Problems {
		acc.AddError(fmt.Errorf("miner %s (%s): %w", source, driverName, p))
	}
	addMiner(acc, source, data, now)
	addStatus(acc, source, data, nil, data.Problems, elapsed, now)
}

// gatherSafely identifies the miner if needed and runs its driver. A panic
// in a driver is a bug, but it must cost only this miner's data.
func (a *Asic) gatherSafely(ctx context.Context, t drivers.Target) (data *drivers.MinerData, name string, err error) {
	defer func() {
		if r := recover(); r != nil {
			data = nil
			err = fmt.Errorf("%w: driver %q failed internally: %v", drivers.ErrBadResponse, name, r)
			if a.Log != nil {
				a.Log.Errorf("driver %q panicked on %s: %v\n%s", name, t.Host, r, debug.Stack())
			}
		}
	}()
	d, err := a.driverFor(ctx, t)
	if err != nil {
		return nil, "", err
	}
	name = d.Name()
	data, err = d.Gather(ctx, t)
	if err == nil && data == nil {
		err = fmt.Errorf("%w: driver %q returned no data", drivers.ErrBadResponse, name)
	}
	return data, name, err
}

func (a *Asic) driverFor(ctx context.Context, t drivers.Target) (drivers.Driver, error) {
	if a.fixed != nil {
		return a.fixed, nil
	}
	key := t.RPCAddr()
	a.mu.Lock()
	id, ok := a.driver[key]
	a.mu.Unlock()
	if ok && (a.IdentifyInterval == 0 || time.Since(id.at) < time.Duration(a.IdentifyInterval)) {
		return id.d, nil
	}
	name, err := identify.Identify(ctx, t, identify.WhatsminerV3Port)
	if err != nil {
		return nil, err
	}
	d, err := a.instance(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", drivers.ErrUnsupported, err)
	}
	a.mu.Lock()
	a.driver[key] = identified{d: d, at: time.Now()}
	a.mu.Unlock()
	return d, nil
}

// instance is the block's one instance of a driver. Drivers serve many
// miners and keep what they learn per miner address (tokens, which API
// answered), so an instance per miner would only multiply connection
// pools and caches.
func (a *Asic) instance(name string) (drivers.Driver, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d, ok := a.instances[name]; ok {
		return d, nil
	}
	d, err := drivers.New(name)
	if err != nil {
		return nil, err
	}
	if a.instances == nil {
		a.instances = map[string]drivers.Driver{}
	}
	a.instances[name] = d
	return d, nil
}

// forget drops a cached identification so a miner that stopped answering
// its driver (reflashed, replaced) is probed again next gather.
func (a *Asic) forget(t drivers.Target) {
	if a.fixed != nil {
		return
	}
	a.mu.Lock()
	delete(a.driver, t.RPCAddr())
	a.mu.Unlock()
}

// Targets lists the hosts the configuration expanded to, after Init, listed
// ones and those of ranges alike; the benchmark polls the same ones with a
// bare client.
func (a *Asic) Targets() []string {
	out := make([]string, 0, len(a.targets)+len(a.ranges))
	for _, t := range append(append([]target(nil), a.targets...), a.ranges...) {
		out = append(out, t.host)
	}
	return out
}
