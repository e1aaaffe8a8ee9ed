// Command asic-execd runs the asic input plugin under Telegraf's execd
// input: it reads every [[inputs.asic]] block of its config file, gathers
// on a timer, on each line read from stdin, or once, and writes line
// protocol to stdout. Logs go to stderr with Telegraf's E!/W!/I!/D!
// prefixes.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/asicmetrics/telegraf-asic/plugins/inputs/asic"
)

const defaultPollInterval = 60 * time.Second

// version is set by the release build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	raiseOpenFiles()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("asic-execd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "path to the config file with [[inputs.asic]] blocks (required)")
	once := fs.Bool("once", false, "gather once, write line protocol to stdout and exit")
	format := fs.String("format", "influx", "output: influx (line protocol) or table (a fleet table for a person)")
	pollInterval := fs.Duration("poll_interval", defaultPollInterval, "how often to gather when running as a service")
	pollDisabled := fs.Bool("poll_interval_disabled", false,
		"gather only when a line arrives on stdin (Telegraf execd with signal = \"STDIN\")")
	debug := fs.Bool("debug", false, "log debug messages")
	usage := fs.Bool("usage", false, "print the sample configuration and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	discoverMode := fs.Bool("discover", false, "scan the configured miners and ranges, identify what answers, print a table and exit")
	statePath := fs.String("statefile", "", "keep the inventory (miners found, their driver, last answer) in this file across restarts")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "asic-execd", version)
		return 0
	}
	if *usage {
		fmt.Fprint(stdout, asic.New().SampleConfig())
		return 0
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "E! asic-execd: --config FILE is required")
		return 2
	}
	if !*pollDisabled && !*once && *pollInterval <= 0 {
		fmt.Fprintln(stderr, "E! asic-execd: --poll_interval must be positive")
		return 2
	}

	level := telegraf.Info
	if *debug {
		level = telegraf.Debug
	}
	blocks, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "E! asic-execd: %s: %v\n", *configPath, err)
		return 1
	}
	w, err := newSink(*format, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "E! asic-execd: %v\n", err)
		return 2
	}
	accs := make([]*accumulator, len(blocks))
	for i, b := range blocks {
		log := &logger{out: stderr, name: "inputs.asic", level: level}
		b.plugin.Log = log
		if err := b.plugin.Init(); err != nil {
			fmt.Fprintf(stderr, "E! asic-execd: %s: [[inputs.asic]] #%d: %v\n", *configPath, i+1, err)
			return 1
		}
		accs[i] = &accumulator{w: w, tags: b.tags, log: log}
	}

	if *discoverMode {
		return discoverTable(blocks, stdout, stderr)
	}

	var state *stateFile
	if *statePath != "" {
		state = newStateFile(*statePath, blocks, stderr, *debug)
		state.load()
	}
	g := &gatherer{blocks: blocks, accs: accs, w: w, stderr: stderr, state: state}
	if *once {
		// No Start: the gather scans the ranges first, then polls.
		g.gather()
		return 0
	}
	for i, b := range blocks {
		b.plugin.ScanDone = func() {
			if err := w.flush(); err != nil && !errors.Is(err, os.ErrClosed) {
				fmt.Fprintf(stderr, "E! asic-execd: writing metrics: %v\n", err)
			}
			if state != nil {
				state.save()
			}
		}
		if err := b.plugin.Start(accs[i]); err != nil {
			fmt.Fprintf(stderr, "E! asic-execd: [[inputs.asic]] #%d: %v\n", i+1, err)
			return 1
		}
	}
	defer func() {
		for _, b := range blocks {
			b.plugin.Stop()
		}
		if state != nil {
			state.save()
		}
	}()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	lines := make(chan struct{}, 1)
	go func() {
		// EOF on stdin means Telegraf is gone: stop, as the shim does.
		defer stop()
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- struct{}{}:
			default: // a gather is already pending: coalesce
			}
		}
	}()
	var tick <-chan time.Time
	if !*pollDisabled {
		t := time.NewTicker(*pollInterval)
		defer t.Stop()
		tick = t.C
		g.start()
	}
	for {
		select {
		case <-ctx.Done():
			g.wait()
			return 0
		case <-tick:
			g.start()
		case <-lines:
			g.start()
		}
	}
}

// gatherer runs every block's Gather; a tick that arrives while a gather
// still runs is skipped, as Telegraf's agent does.
type gatherer struct {
	blocks  []block
	accs    []*accumulator
	w       sink
	stderr  io.Writer
	state   *stateFile // nil without --statefile
	running sync.Mutex
	wg      sync.WaitGroup
}

func (g *gatherer) start() {
	if !g.running.TryLock() {
		fmt.Fprintln(g.stderr, "W! [inputs.asic] Collection took longer than expected; not complete after interval")
		return
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer g.running.Unlock()
		g.gather()
	}()
}

func (g *gatherer) wait() { g.wg.Wait() }

func (g *gatherer) gather() {
	var wg sync.WaitGroup
	for i, b := range g.blocks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.plugin.Gather(g.accs[i]); err != nil {
				g.accs[i].AddError(err)
			}
		}()
	}
	wg.Wait()
	if err := g.w.flush(); err != nil && !errors.Is(err, os.ErrClosed) {
		fmt.Fprintf(g.stderr, "E! asic-execd: writing metrics: %v\n", err)
	}
	if g.state != nil {
		g.state.save()
	}
}
