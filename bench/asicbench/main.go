// Command asicbench measures one process gathering a simulated fleet: the
// asic plugin with every miner listed ("plugin"), a bare client that only
// does each miner's network round trip with no parsing or metric building
// ("floor"), or the plugin given the range itself ("range": the background
// scan, timed by its own asic_discovery point, then one gather). Mode
// "hostile-serve" serves misbehaving miners (internal/hostile, every mode
// of the cgminer protocol in turn: silence, a byte a second, endless
// streams, resets, half replies, garbage, HTML, TLS, deep nesting, huge
// numbers and strings) on 127.3.x.y until killed, and writes their
// addresses to -extra; the other modes then add those addresses to the
// fleet they gather. It prints
// one result line per gather (per scan in range mode); bench/run.sh turns
// them into the tables in BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/plugins/inputs/asic"
)

var showErrors = flag.Bool("errors", false, "print the first three errors of each result to stderr")

func main() {
	mode := flag.String("mode", "plugin", "plugin, floor or range")
	miners := flag.String("miners", "", "the fleet, as asic-sim wrote it (a range)")
	port := flag.Int("port", 14028, "RPC port of the simulated miners")
	timeout := flag.Duration("timeout", 5*time.Second, "per-miner deadline")
	concurrency := flag.Int("concurrency", 1000, "miners at once")
	gathers := flag.Int("gathers", 3, "gathers to run; the first includes identification")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the gathers from -profile-from on here (range mode: of the scan and first gather)")
	profileFrom := flag.Int("profile-from", 2, "the first gather the CPU profile covers (1: the first gather, identification included)")
	memprofile := flag.String("memprofile", "", "write a heap profile taken 3 s into the last gather here (what is live mid-gather)")
	extra := flag.String("extra", "", "a file of more miners, one address a line (hostile-serve writes it)")
	hostiles := flag.Int("hostile", 0, "hostile-serve: how many hostile miners")
	flag.Parse()

	if *mode == "hostile-serve" {
		serveHostile(*hostiles, *port, *extra)
		return
	}

	p := asic.New()
	p.Miners = []string{*miners}
	p.Ports.RPC = *port
	p.Timeout = config.Duration(*timeout)
	p.Concurrency = *concurrency
	p.Log = quiet{}
	if err := p.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	targets := p.Targets()
	if *mode == "range" {
		// The profile of a range covers its scan and first gather.
		if *cpuprofile != "" {
			if f, err := os.Create(*cpuprofile); err == nil && pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
		scanRange(p, len(targets))
		return
	}
	// Listed: every miner named one by one, so no gather depends on a scan.
	if *extra != "" {
		b, err := os.ReadFile(*extra)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		targets = append(targets, strings.Fields(string(b))...)
	}
	p.Miners = targets
	if err := p.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for g := 1; g <= *gathers; g++ {
		if g == *profileFrom && *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
		if g == *gathers && *memprofile != "" {
			t := time.AfterFunc(3*time.Second, func() {
				if f, err := os.Create(*memprofile); err == nil {
					_ = pprof.WriteHeapProfile(f)
					_ = f.Close()
				}
			})
			defer t.Stop()
		}
		acc := &statusAcc{}
		cpu0 := cpuSeconds()
		start := time.Now()
		if *mode == "floor" {
			floor(targets, *port, *timeout, *concurrency, acc)
		} else {
			_ = p.Gather(acc)
		}
		wall := time.Since(start)
		cpu := cpuSeconds() - cpu0
		p50, p99 := acc.percentiles()
		fmt.Printf("mode=%s miners=%d gather=%d wall_s=%.2f cpu_s=%.2f rss_mb=%.0f miners_per_s=%.0f p50_s=%.3f p99_s=%.3f ok=%d metrics=%d results=%s\n",
			*mode, len(targets), g, wall.Seconds(), cpu, maxRSSMB(), float64(len(targets))/wall.Seconds(), p50, p99, acc.ok, acc.metrics, acc.resultCounts())
	}
}

// scanRange starts the plugin as a service over the range, waits for its
// first scan and reports it, then gathers once: the share of the fleet
// found, the scan's own time (duration_seconds of asic_discovery), the
// probes asked again, and how many miners got an asic_status.
func scanRange(p *asic.Asic, miners int) {
	acc := &statusAcc{discovered: make(chan map[string]any, 1)}
	cpu0 := cpuSeconds()
	start := time.Now()
	if err := p.Start(acc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d := <-acc.discovered
	scanWall := time.Since(start)
	scanCPU := cpuSeconds() - cpu0
	g0 := time.Now()
	_ = p.Gather(acc)
	gather := time.Since(g0)
	p.Stop()
	found, _ := d["found"].(int64)
	fmt.Printf("mode=range miners=%d scan_s=%.2f scan_wall_s=%.2f scan_cpu_s=%.2f found=%d share=%.2f%% retried=%d gather_s=%.2f status=%d ok=%d rss_mb=%.0f results=%s\n",
		miners, d["duration_seconds"], scanWall.Seconds(), scanCPU, found, 100*float64(found)/float64(miners), d["retried"],
		gather.Seconds(), len(acc.times), acc.ok, maxRSSMB(), acc.resultCounts())
}

// serveHostile listens with n hostile cgminer miners on 127.3.0.1 and
// the addresses after it, on port+10000 (the simulator holds port on every
// address), writes them to out (host:port, one a line) and serves until
// interrupted.
func serveHostile(n, port int, out string) {
	modes := hostile.Modes(hostile.CGMiner)
	addr := netip.MustParseAddr("127.3.0.1")
	port += 10000
	var lines []string
	for i := 0; i < n; i++ {
		for b := addr.As4(); b[3] == 0 || b[3] == 255; b = addr.As4() {
			addr = addr.Next()
		}
		s, err := hostile.Listen(net.JoinHostPort(addr.String(), strconv.Itoa(port)), hostile.CGMiner, modes[i%len(modes)])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer s.Close()
		lines = append(lines, net.JoinHostPort(addr.String(), strconv.Itoa(port)))
		addr = addr.Next()
	}
	if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

// floor does, per miner, the one round trip a driver does once the miner
// is identified: the joined command, read to the end, not parsed.
func floor(hosts []string, port int, timeout time.Duration, concurrency int, acc *statusAcc) {
	req := []byte(`{"command":"version+summary+stats+pools"}`)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, h := range hosts {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			addr := h
			if _, _, err := net.SplitHostPort(h); err != nil {
				addr = net.JoinHostPort(h, strconv.Itoa(port))
			}
			c := &cgminer.Client{Addr: addr}
			start := time.Now()
			_, err := c.Raw(ctx, req)
			acc.record(time.Since(start).Seconds(), err == nil)
		}()
	}
	wg.Wait()
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func maxRSSMB() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}

// statusAcc keeps only what the benchmark reports: per-miner response
// times from asic_status, and a count of metrics (not the metrics: storing
// 600,000 of them would measure the benchmark, not the plugin).
type statusAcc struct {
	mu      sync.Mutex
	times   []float64
	ok      int
	metrics int
	results map[string]int // asic_status results

	discovered chan map[string]any // range mode: the first asic_discovery point
}

func (a *statusAcc) record(sec float64, ok bool) {
	a.mu.Lock()
	a.times = append(a.times, sec)
	if ok {
		a.ok++
	}
	a.mu.Unlock()
}

// resultCounts is "result:count,..." of the asic_status points, sorted.
func (a *statusAcc) resultCounts() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for r, n := range a.results {
		out = append(out, r+":"+strconv.Itoa(n))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func (a *statusAcc) percentiles() (float64, float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.times) == 0 {
		return 0, 0
	}
	sort.Float64s(a.times)
	at := func(q float64) float64 { return a.times[int(q*float64(len(a.times)-1))] }
	return at(0.50), at(0.99)
}

func (a *statusAcc) AddFields(name string, f map[string]any, tags map[string]string, _ ...time.Time) {
	a.mu.Lock()
	a.metrics++
	a.mu.Unlock()
	if name == "asic_status" {
		rt, _ := f["response_time_seconds"].(float64)
		a.record(rt, tags["result"] == "success")
		a.mu.Lock()
		if a.results == nil {
			a.results = map[string]int{}
		}
		a.results[tags["result"]]++
		if *showErrors && tags["result"] != "success" && a.results[tags["result"]] <= 3 {
			fmt.Fprintf(os.Stderr, "%s %s: %v\n", tags["source"], tags["result"], f["error"])
		}
		a.mu.Unlock()
	}
	if name == "asic_discovery" && a.discovered != nil {
		select {
		case a.discovered <- f:
		default:
		}
	}
}
func (a *statusAcc) AddGauge(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.AddFields(n, f, t, ts...)
}
func (a *statusAcc) AddCounter(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.AddFields(n, f, t, ts...)
}
func (a *statusAcc) AddSummary(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.AddFields(n, f, t, ts...)
}
func (a *statusAcc) AddHistogram(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.AddFields(n, f, t, ts...)
}
func (a *statusAcc) AddMetric(m telegraf.Metric)                 { a.AddFields(m.Name(), m.Fields(), m.Tags()) }
func (*statusAcc) SetPrecision(time.Duration)                    {}
func (*statusAcc) AddError(error)                                {}
func (*statusAcc) WithTracking(int) telegraf.TrackingAccumulator { panic("not used") }

type quiet struct{}

func (quiet) Level() telegraf.LogLevel         { return telegraf.Error }
func (quiet) AddAttribute(string, interface{}) {}
func (quiet) Errorf(string, ...interface{})    {}
func (quiet) Error(...interface{})             {}
func (quiet) Warnf(string, ...interface{})     {}
func (quiet) Warn(...interface{})              {}
func (quiet) Infof(string, ...interface{})     {}
func (quiet) Info(...interface{})              {}
func (quiet) Debugf(string, ...interface{})    {}
func (quiet) Debug(...interface{})             {}
func (quiet) Tracef(string, ...interface{})    {}
func (quiet) Trace(...interface{})             {}
