// Package asic is the Telegraf input for Bitcoin ASIC miners: it polls each
// miner of its inventory through the driver of its firmware family and
// emits the asic, asic_hashboard, asic_fan, asic_pool, asic_error and
// asic_status measurements; a background scan of the CIDR blocks and
// ranges fills the inventory and emits asic_discovery.
package asic

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	commontls "github.com/influxdata/telegraf/plugins/common/tls"
	"github.com/influxdata/telegraf/plugins/inputs"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	_ "github.com/asicmetrics/telegraf-asic/pkg/drivers/all" // registers every firmware family
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/discover"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/identify"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/models"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

//go:embed sample.conf
var sampleConfig string

const (
	defaultTimeout          = 5 * time.Second
	defaultConcurrency      = 1000
	defaultDiscoverInterval = 5 * time.Minute
	defaultIdentifyInterval = time.Hour
	defaultForgetAfter      = 24 * time.Hour
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
	// miners, in the background; what a scan finds joins the inventory.
	DiscoverInterval config.Duration `toml:"discover_interval"`
	// IdentifyInterval is how long an identification stands before the
	// miner is identified again, and the longest backoff between
	// identifications of a miner no family reads (see driverFor).
	IdentifyInterval config.Duration `toml:"identify_interval"`
	// ForgetAfter is how long a miner found by a scan keeps its place in
	// the inventory (and its asic_status, up=false) after its last answer.
	ForgetAfter config.Duration `toml:"forget_after"`
	// ShardCount and ShardIndex split the block's miners between agents
	// by a stable hash of the address.
	ShardCount int `toml:"shard_count"`
	ShardIndex int `toml:"shard_index"`
	// TLS for web APIs of firmware that serves only https: with any tls_*
	// key set (or tls_enable = true) they are spoken over https.
	commontls.ClientConfig

	Log telegraf.Logger `toml:"-"`
	// ScanDone, when set, is called after each completed scan (asic-execd
	// flushes the asic_discovery point and writes its state file).
	ScanDone func() `toml:"-"`
	// ScanProgress, when set, is told how far a scan is about once a second.
	ScanProgress func(discover.Progress) `toml:"-"`

	tlsConfig *tls.Config
	// budget bounds the reply buffers of all miners in flight together.
	budget *drivers.Budget

	targets  []target         // listed one by one (this shard's)
	ranges   []target         // from CIDR blocks and ranges (this shard's)
	rangeTag string           // the CIDR blocks and ranges as configured
	known    map[string]known // every address of the block (this shard's)
	inv      *inventory

	scanMu    sync.Mutex // one scan at a time
	lastScan  time.Time  // when the last completed scan began
	started   bool       // Start ran: scans run in the background
	firstScan chan struct{}
	firstOnce sync.Once // closes firstScan
	waited    bool      // the first gather has waited for the first scan
	stopScan  context.CancelFunc
	scanWG    sync.WaitGroup

	// Background identifications of what scans find (pipeline.go).
	pipeMu sync.Mutex
	pipe   *pipeline // nil unless started with driver "auto"
	pipeWG sync.WaitGroup

	// clock and checkDial stand in for time.Now and a net.Dialer in
	// tests; identifications counts identifications run, background
	// ones included (tests).
	clock           func() time.Time
	checkDial       func(ctx context.Context, network, addr string) (net.Conn, error)
	identifications atomic.Int64

	mu        sync.Mutex
	instances map[string]drivers.Driver // one per driver name
	fixed     drivers.Driver            // when driver is not "auto"
}

// firstScanWait bounds how long the first gather of a process waits for
// the first scan; a gather after it never waits.
var firstScanWait = 2 * time.Minute

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
		ForgetAfter:      config.Duration(defaultForgetAfter),
		ShardCount:       1,
	}
}

// SampleConfig returns the embedded sample configuration.
func (*Asic) SampleConfig() string { return sampleConfig }

// Init checks the configuration. It makes no network connection.
func (a *Asic) Init() error {
	if len(a.Miners) == 0 {
		return errors.New(`"miners": at least one address, host name, CIDR block or range is required`)
	}
	if a.ShardCount <= 0 {
		return fmt.Errorf(`"shard_count": must be at least 1, got %d`, a.ShardCount)
	}
	if a.ShardIndex < 0 || a.ShardIndex >= a.ShardCount {
		return fmt.Errorf(`"shard_index": must be 0 to %d (shard_count - 1), got %d`, a.ShardCount-1, a.ShardIndex)
	}
	if a.ForgetAfter <= 0 {
		return fmt.Errorf(`"forget_after": must be positive, got %s`, time.Duration(a.ForgetAfter))
	}
	if a.DiscoverInterval <= 0 {
		return fmt.Errorf(`"discover_interval": must be positive, got %s`, time.Duration(a.DiscoverInterval))
	}
	targets, err := expandMiners(a.Miners)
	if err != nil {
		return fmt.Errorf(`"miners": %w`, err)
	}
	a.targets, a.ranges = nil, nil
	a.known = make(map[string]known, len(targets)/a.ShardCount+1)
	a.inv = newInventory()
	for i, t := range targets {
		if a.ShardCount > 1 && shardOf(t.key(), a.ShardCount) != a.ShardIndex {
			continue
		}
		a.known[t.key()] = known{t: t, order: i}
		if t.listed {
			a.targets = append(a.targets, t)
			a.inv.add(t, i, time.Time{})
		} else {
			a.ranges = append(a.ranges, t)
		}
	}
	a.inv.version = 0 // the listed miners are the config, not a change
	a.rangeTag = rangeEntries(a.Miners)
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
	a.budget = drivers.NewBudget(drivers.DefaultReplyBudget)
	return nil
}

// Gather polls every miner of the inventory once, at most Concurrency at
// a time, each under its own deadline. A miner's failure is its own: it
// shows in that miner's asic_status and never delays or drops another's
// data. Scans run in the background (Start); only the first gather of a
// process waits for the first one, and at most firstScanWait. Without
// Start (a library caller), a gather scans first when a scan is due.
func (a *Asic) Gather(acc telegraf.Accumulator) error {
	user, pass, err := a.credentials()
	if err != nil {
		return err
	}
	if len(a.ranges) > 0 {
		if a.started {
			a.waitFirstScan()
		} else if a.scanDue() {
			a.scan(context.Background(), acc)
		}
	}
	a.expire(time.Now())
	a.prunePending(a.now())
	sem := make(chan struct{}, a.Concurrency)
	var wg sync.WaitGroup
	for _, s := range a.inv.list() {
		sem <- struct{}{} // bounds goroutines too, not only connections
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a.gatherMiner(acc, s, user, pass)
		}()
	}
	wg.Wait()
	return nil
}

// Start implements telegraf.ServiceInput: it starts the background scans
// of the CIDR blocks and ranges, every discover_interval; asic_discovery
// points go to acc. With driver "auto", a miner a scan finds that has no
// driver yet is identified in the background as soon as it is found (see
// pipeline.go), at most Concurrency at a time.
func (a *Asic) Start(acc telegraf.Accumulator) error {
	if len(a.ranges) == 0 || a.started {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.stopScan = cancel
	a.startPipeline(ctx)
	a.firstScan = make(chan struct{})
	a.started = true
	a.scanWG.Add(1)
	go func() {
		defer a.scanWG.Done()
		a.scanLoop(ctx, acc)
	}()
	return nil
}

// Stop implements telegraf.ServiceInput: it cancels a scan in progress and
// the background identifications, and waits for them to end. A scan cut
// short changes nothing.
func (a *Asic) Stop() {
	if a.stopScan != nil {
		a.stopScan()
	}
	a.scanWG.Wait()
	a.stopPipeline() // after the scanner: nothing queues any more
}

// waitFirstScan holds the first gather until the first scan is done, so
// its miners are in the first points; later gathers never wait.
func (a *Asic) waitFirstScan() {
	if a.waited {
		return
	}
	a.waited = true
	t := time.NewTimer(firstScanWait)
	defer t.Stop()
	select {
	case <-a.firstScan:
	case <-t.C:
		a.warnf("the first scan of %s is not done after %s: gathering the miners known so far", a.rangeTag, firstScanWait)
	}
}

// expire forgets the found miners silent for forget_after, with all the
// plugin and the drivers kept for them.
func (a *Asic) expire(now time.Time) {
	for _, k := range a.inv.expire(now, time.Duration(a.ForgetAfter)) {
		a.debugf("miner %s has not answered for %s: forgotten", k, time.Duration(a.ForgetAfter))
		a.forgetMiner(a.known[k].t.host)
	}
}

// forgetMiner drops what every driver instance keeps for host, and its
// background identification.
func (a *Asic) forgetMiner(host string) {
	a.dropPending(host) // only found miners are forgotten: their key is the host
	a.mu.Lock()
	ds := make([]drivers.Driver, 0, len(a.instances)+1)
	for _, d := range a.instances {
		ds = append(ds, d)
	}
	a.mu.Unlock()
	if a.fixed != nil {
		ds = append(ds, a.fixed)
	}
	for _, d := range ds {
		if f, ok := d.(drivers.Forgetter); ok {
			f.Forget(host)
		}
	}
	cgminer.Forget(host)
}

func (a *Asic) debugf(format string, args ...any) {
	if a.Log != nil {
		a.Log.Debugf(format, args...)
	}
}

func (a *Asic) warnf(format string, args ...any) {
	if a.Log != nil {
		a.Log.Warnf(format, args...)
	}
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

func (a *Asic) gatherMiner(acc telegraf.Accumulator, s snapshot, user, pass string) {
	t := s.t
	dt := a.minerTarget(t, user, pass)
	source := t.key()
	ctx, cancel := context.WithTimeout(drivers.WithBudget(context.Background(), a.budget), time.Duration(a.Timeout))
	defer cancel()
	start := time.Now()

	data, o, err := a.gatherSafely(ctx, dt, s)
	driverName := o.driver
	elapsed := time.Since(start)
	now := a.now()
	a.inv.record(source, o, err, now, time.Duration(a.IdentifyInterval))
	if err != nil {
		addStatus(acc, source, nil, err, nil, elapsed, now)
		// Miners found in a CIDR block or range come and go; only miners
		// named one by one are worth an error line each gather.
		if t.listed {
			acc.AddError(fmt.Errorf("miner %s: %w", source, err))
		} else {
			a.debugf("miner %s: %v", source, err)
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
func (a *Asic) gatherSafely(ctx context.Context, t drivers.Target, s snapshot) (data *drivers.MinerData, o outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			data = nil
			err = fmt.Errorf("%w: driver %q failed internally: %v", drivers.ErrBadResponse, o.driver, r)
			if a.Log != nil {
				a.Log.Errorf("driver %q panicked on %s: %v\n%s", o.driver, t.Host, r, debug.Stack())
			}
		}
	}()
	d, o, err := a.driverFor(ctx, t, s)
	if err != nil {
		return nil, o, err
	}
	o.driver = d.Name()
	data, err = d.Gather(ctx, t)
	if err == nil && data == nil {
		err = fmt.Errorf("%w: driver %q returned no data", drivers.ErrBadResponse, o.driver)
	}
	return data, o, err
}

// driverFor is the miner's driver, by these rules (DESIGN.md: the
// identification is cached, and redone when it fails or after
// identify_interval), chosen so that a miner that fails costs about what
// a good one does:
//
//   - the configured driver, when it is not "auto";
//   - the driver its inventory entry remembers, while identify_interval
//     has not passed. A gather of it that times out or is refused keeps it
//     (one connection next gather, not an identification); one that gets
//     an answer the driver cannot read drops it (record), so a miner with
//     new firmware is identified on the next gather. When the interval has
//     passed it is identified again; if nothing answers that, the driver
//     stays and the next try follows the backoff below;
//   - a miner whose identification was a guess with a probe cut short
//     (identify.Seen) is identified again on the next gathers, up to
//     maxProvisional times, keeping its driver when that fails;
//   - a miner not identified yet is identified; the first time after a
//     scan, without asking the ports the scan saw refuse. When the scan
//     already began that identification in the background (pipeline.go),
//     its result is used instead, once and if at most pendingMaxAge old:
//     waited for under this gather's deadline while it runs (a deadline
//     reached first is a timeout, as identification's own would be), not
//     used when it had not started yet (the gather identifies the miner
//     itself rather than wait for a free slot);
//   - a miner whose identification failed is first checked: one connect
//     to each of its ports, which gives this gather a fresh result
//     (connection_refused or timeout when nothing accepts). When something
//     accepts it is identified again, without asking the ports that
//     refused, unless what it said last time was something no family reads
//     (unsupported, bad_response) and nothing timed out in that
//     identification: then only when the ports that accept changed or its
//     backoff (1 minute, doubling up to identify_interval) has passed; until then its status says which ports accept now and
//     what the last identification found.
func (a *Asic) driverFor(ctx context.Context, t drivers.Target, s snapshot) (drivers.Driver, outcome, error) {
	var o outcome
	if a.fixed != nil {
		return a.fixed, o, nil
	}
	now := a.now()
	interval := time.Duration(a.IdentifyInterval)
	if s.driver != "" {
		due := interval > 0 && now.Sub(s.identified) >= interval
		o.recheck = s.provisional > 0 && s.provisional <= maxProvisional
		if (!due || now.Before(s.nextID)) && !o.recheck {
			if d, err := a.instance(s.driver); err == nil {
				o.driver, o.identified = s.driver, s.identified
				return d, o, nil
			}
		}
	}
	var k identify.Known
	var pid *pendingID
	switch {
	case s.driver == "" && s.idFails > 0:
		open, refused := discover.Check(ctx, a.checkDial, t.Host, a.minerPorts(t), checkWait)
		if len(open) == 0 {
			return nil, o, noneAccepted(t.Host, refused, len(a.minerPorts(t)))
		}
		// Only a complete identification that found nothing known is
		// worth not redoing: a miner that accepted and said nothing, or
		// one slow enough that a probe timed out, costs a request or two
		// to ask now (the ports that refused are not asked), and that
		// gives this gather a fresh result.
		if answered(s.idErr) && !s.incomplete && slices.Equal(open, s.open) && now.Before(s.nextID) {
			return nil, o, fmt.Errorf("%s accepts connections on port %s, as %s ago when nothing could read it (identified again in %s): %w",
				t.Host, joinPorts(open), now.Sub(s.failedAt).Round(time.Second),
				s.nextID.Sub(now).Round(time.Second), s.idErr)
		}
		k.Refused = refused
	case s.driver == "":
		k.Refused = s.scanRefused
		pid = a.takePending(s.t.key())
	}
	o.idRan = true
	identifiedAt := now
	var r identify.Result
	var seen identify.Seen
	var err error
	if pid != nil {
		r, seen, err = awaitPending(ctx, t.Host, pid)
		identifiedAt = pid.at
	} else {
		r, seen, err = a.identify(ctx, t, k)
	}
	o.open, o.incomplete = seen.Open, seen.Incomplete
	o.guess = err == nil && seen.Incomplete && seen.Guess
	if err != nil {
		o.idErr = err
		if o.recheck && ctx.Err() == nil {
			// The guess it has is still the best there is: this gather
			// goes on as one with a remembered driver.
			if d, ierr := a.instance(s.driver); ierr == nil {
				o.idRan, o.idErr = false, nil
				o.driver, o.identified = s.driver, s.identified
				return d, o, nil
			}
		}
		return nil, o, err
	}
	d, err := a.instance(r.Driver)
	if err != nil {
		err = fmt.Errorf("%w: %w", drivers.ErrUnsupported, err)
		o.idErr = err
		return nil, o, err
	}
	o.identified = identifiedAt
	return d, o, nil
}

// identify is every identification the plugin runs, in a gather or in the
// background, counted.
func (a *Asic) identify(ctx context.Context, t drivers.Target, k identify.Known) (identify.Result, identify.Seen, error) {
	a.identifications.Add(1)
	return identify.IdentifyKnown(ctx, t, identify.WhatsminerV3Port, k)
}

func (a *Asic) now() time.Time {
	if a.clock != nil {
		return a.clock()
	}
	return time.Now()
}

// checkWait bounds how long a check waits for a port to accept: miners on
// a LAN accept in milliseconds; a port silent this long counts as neither
// open nor refused.
const checkWait = 1500 * time.Millisecond

// minerPorts are the ports identification may ask, sorted: the RPC, web,
// API v3 and gRPC ports.
func (a *Asic) minerPorts(t drivers.Target) []int {
	or := func(v, def int) int {
		if v != 0 {
			return v
		}
		return def
	}
	ps := []int{or(t.Ports.RPC, drivers.DefaultRPCPort), or(t.Ports.Web, drivers.DefaultWebPort),
		identify.WhatsminerV3Port, or(t.Ports.GRPC, drivers.DefaultGRPCPort)}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// noneAccepted is a check where no port accepted: refused when every port
// refused, else a timeout.
func noneAccepted(host string, refused []int, ports int) error {
	if len(refused) == ports {
		return fmt.Errorf("%s: port %s: %w", host, joinPorts(refused), drivers.ErrRefused)
	}
	return fmt.Errorf("%s: no port accepted a connection within %s: %w", host, checkWait, drivers.ErrTimeout)
}

func joinPorts(ps []int) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = strconv.Itoa(p)
	}
	return strings.Join(out, ",")
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
