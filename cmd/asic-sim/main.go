// Command asic-sim serves a simulated fleet on loopback, answering from the
// real captured replies under testdata/ with live values (hashrate noise,
// growing share counters, a fan or board that fails now and then), a
// latency like real miners', and a share of miners that are offline,
// refuse, or answer garbage. It writes an asic-execd config listing the
// fleet and serves until interrupted, so the whole pipeline runs with no
// hardware.
//
// With -n 0 (the default) there is one miner per capture folder, each on its
// own listener at 127.0.1.x:4028. With -n N the fleet is N miners of mixed
// families, served through one wildcard listener (see fakeminer.Fleet) at
// 127.1.0.1 onwards, which is what lets 50,000 miners fit in one process.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
)

// families whose captures answer on the cgminer-style port.
var families = []string{"antminer", "avalon", "braiins", "hiveon", "luxos", "sealminer", "vnish", "whatsminer"}

type options struct {
	testdata    string
	n           int
	port        int
	webPort     int
	latency     time.Duration
	tail        float64
	offline     float64
	refuse      float64
	garbage     float64
	live        bool
	seed        uint64
	timeout     time.Duration
	concurrency int
	configOut   string
}

func main() {
	var o options
	flag.StringVar(&o.testdata, "testdata", "testdata", "folder with <family>/<model>/<command>.json captures")
	flag.IntVar(&o.n, "n", 0, "fleet size; 0 serves each capture folder once, plus a few misbehaving miners")
	flag.IntVar(&o.port, "port", 4028, "port the simulated miners answer on")
	flag.IntVar(&o.webPort, "web-port", 80, "port of the simulated web-only miners (Elphapex, Bitaxe), with -n 0")
	flag.DurationVar(&o.latency, "latency", 0, "median reply latency (log-normal); 0 answers at once")
	flag.Float64Var(&o.tail, "tail", 0.01, "with -latency: share of replies that take 5-8 s")
	flag.Float64Var(&o.offline, "offline", 0.02, "with -n: share of miners that accept and never answer")
	flag.Float64Var(&o.refuse, "refuse", 0.02, "with -n: share of listed miners where nothing listens")
	flag.Float64Var(&o.garbage, "garbage", 0.01, "with -n: share of miners that answer garbage")
	flag.BoolVar(&o.live, "live", true, "move hashrates, counters and fans over time")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed: the same seed gives the same fleet")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Second, "timeout written into the config")
	flag.IntVar(&o.concurrency, "concurrency", 1000, "concurrency written into the config")
	flag.StringVar(&o.configOut, "config-out", "", "write an asic-execd config for the fleet here")
	flag.Parse()

	templates := loadTemplates(o.testdata)
	if len(templates) == 0 {
		fatalf("no capture folders under %s", o.testdata)
	}
	var stop func()
	var conf string
	if o.n == 0 {
		stop, conf = serveCaptures(o, templates)
	} else {
		stop, conf = serveFleet(o, templates)
	}
	if o.configOut != "" {
		if err := os.WriteFile(o.configOut, []byte(conf), 0o644); err != nil {
			fatalf("%v", err)
		}
	}
	fmt.Fprintln(os.Stderr, "asic-sim: ready; Ctrl-C to stop")
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	<-ch
	stop()
}

type capture struct {
	name    string // family/model
	family  string
	replies map[string][]byte
}

func loadTemplates(root string) []capture {
	var out []capture
	for _, fam := range families {
		dirs, _ := filepath.Glob(filepath.Join(root, fam, "*"))
		sort.Strings(dirs)
		for _, dir := range dirs {
			reps, err := fakeminer.LoadDir(dir)
			if err != nil || !complete(fam, reps) {
				continue
			}
			if fam == "whatsminer" && reps["devdetails"] == nil && reps["version"] == nil {
				// These captures hold no identifying reply; the simulator adds
				// a devdetails in btminer's format so "auto" finds them.
				reps["devdetails"] = []byte(`{"STATUS":[{"STATUS":"S","When":0,"Code":69,"Msg":"Device Details",` +
					`"Description":"btminer"}],"DEVDETAILS":[{"DEVDETAILS":0,"Name":"SM","ID":0,"Driver":"bitmicro",` +
					`"Kernel":"","Model":"` + whatsminerModel(filepath.Base(dir)) + `"}],"id":1}`)
			}
			out = append(out, capture{name: fam + "/" + filepath.Base(dir), family: fam, replies: reps})
		}
	}
	return out
}

func whatsminerModel(folder string) string {
	m, _, _ := strings.Cut(folder, "_")
	return m
}

// complete reports whether a capture folder has what its driver needs to
// show a whole miner (some folders hold a single reply for a parser test).
func complete(fam string, reps map[string][]byte) bool {
	has := func(cmds ...string) bool {
		for _, c := range cmds {
			if reps[c] == nil {
				return false
			}
		}
		return true
	}
	switch fam {
	case "whatsminer":
		return has("summary") && (has("devs") || has("edevs"))
	case "avalon":
		return has("version") && (has("estats") || has("stats"))
	case "braiins":
		return has("version", "summary")
	default:
		return has("stats") && (has("version") || has("summary"))
	}
}

// latency draws a reply delay: log-normal around the median, and a tail of
// 5-8 s outliers like miners whose control board is busy.
func latency(o options, rng *rand.Rand) func() time.Duration {
	if o.latency <= 0 {
		return nil
	}
	return func() time.Duration {
		if rng.Float64() < o.tail {
			return 5*time.Second + time.Duration(rng.Float64()*float64(3*time.Second))
		}
		return time.Duration(float64(o.latency) * math.Exp(0.6*rng.NormFloat64()))
	}
}

func newMiner(o options, c capture, i int, rng *rand.Rand) *fakeminer.Miner {
	m := &fakeminer.Miner{Replies: c.replies, Multi: true, NUL: true, Latency: latency(o, rand.New(rand.NewPCG(o.seed, uint64(i))))}
	if o.live {
		m.Live = fakeminer.NewLive(o.seed*1_000_003 + uint64(i))
	}
	return m
}

func serveCaptures(o options, caps []capture) (func(), string) {
	rng := rand.New(rand.NewPCG(o.seed, 7))
	addr := netip.MustParseAddr("127.0.1.1")
	var miners []*fakeminer.Miner
	var listed []string
	start := func(m *fakeminer.Miner, what string) {
		a := netip.AddrPortFrom(addr, uint16(o.port)).String()
		if err := m.Start(a); err != nil {
			fatalf("listen %s: %v", a, err)
		}
		miners = append(miners, m)
		listed = append(listed, addr.String())
		fmt.Fprintf(os.Stderr, "%-15s %s\n", addr, what)
		addr = addr.Next()
	}
	for i, c := range caps {
		start(newMiner(o, c, i, rng), c.name)
	}
	for _, mode := range []fakeminer.Mode{fakeminer.Silent, fakeminer.Garbage, fakeminer.Half, fakeminer.HTML} {
		start(&fakeminer.Miner{Mode: mode, Replies: map[string][]byte{}}, fmt.Sprintf("misbehaving (%s)", modeName(mode)))
	}
	var webs []*http.Server
	for _, w := range loadWebTemplates(o.testdata) {
		a := netip.AddrPortFrom(addr, uint16(o.webPort)).String()
		ln, err := net.Listen("tcp", a)
		if err != nil {
			// Port 80 needs privileges: say so, serve the rest (-web-port
			// picks another port).
			fmt.Fprintf(os.Stderr, "asic-sim: %s skipped: %v\n", w.name, err)
			continue
		}
		srv := &http.Server{Handler: w.handler, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		webs = append(webs, srv)
		listed = append(listed, addr.String())
		fmt.Fprintf(os.Stderr, "%-15s %s (web)\n", addr, w.name)
		addr = addr.Next()
	}
	fmt.Fprintf(os.Stderr, "%-15s nothing listening\n", addr)
	listed = append(listed, addr.String())
	stop := func() {
		for _, m := range miners {
			m.Close()
		}
		for _, w := range webs {
			_ = w.Close()
		}
	}
	return stop, config(o, listed)
}

func serveFleet(o options, caps []capture) (func(), string) {
	rng := rand.New(rand.NewPCG(o.seed, 11))
	fleet := fakeminer.NewFleet()
	first := netip.MustParseAddr("127.1.0.1")
	addr := first
	refusedAddr := netip.MustParseAddr("127.2.0.1")
	var refused []string
	counts := map[string]int{}
	for i := 0; i < o.n; i++ {
		r := rng.Float64()
		switch {
		case r < o.refuse:
			// Listed, but on a port where nothing listens: connection refused.
			refused = append(refused, netip.AddrPortFrom(refusedAddr, 1).String())
			refusedAddr = refusedAddr.Next()
			counts["refused"]++
			continue
		case r < o.refuse+o.offline:
			fleet.Add(addr, &fakeminer.Miner{Mode: fakeminer.Silent})
			counts["offline"]++
		case r < o.refuse+o.offline+o.garbage:
			fleet.Add(addr, &fakeminer.Miner{Mode: fakeminer.Garbage})
			counts["garbage"]++
		default:
			c := caps[i%len(caps)]
			fleet.Add(addr, newMiner(o, c, i, rng))
			counts[c.family]++
		}
		addr = addr.Next()
	}
	if err := fleet.Start(strconv.Itoa(o.port)); err != nil {
		fatalf("listen on port %d: %v", o.port, err)
	}
	fmt.Fprintf(os.Stderr, "asic-sim: %d miners at %s-%s port %d: %v\n", o.n, first, addr.Prev(), o.port, counts)
	// The fleet as one range; refused miners apart, at a port where nothing
	// listens (the wildcard listener would answer any address of the range).
	listed := append([]string{first.String() + "-" + addr.Prev().String()}, refused...)
	return fleet.Close, config(o, listed)
}

func config(o options, miners []string) string {
	var b bytes.Buffer
	b.WriteString("# Written by asic-sim: the simulated fleet on loopback.\n[[inputs.asic]]\n  miners = [\n")
	for _, m := range miners {
		fmt.Fprintf(&b, "    %q,\n", m)
	}
	fmt.Fprintf(&b, "  ]\n  timeout = %q\n  concurrency = %d\n", o.timeout.String(), o.concurrency)
	if o.port != 4028 || (o.n == 0 && o.webPort != 80) {
		fmt.Fprintf(&b, "  [inputs.asic.ports]\n    rpc = %d\n", o.port)
		if o.n == 0 {
			fmt.Fprintf(&b, "    web = %d\n", o.webPort)
		}
	}
	b.WriteString("  [inputs.asic.tags]\n    site = \"simulated\"\n")
	return b.String()
}

func modeName(m fakeminer.Mode) string {
	return [...]string{"normal", "silent", "garbage", "half reply", "stream", "html", "reset", "slow"}[m]
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "asic-sim: "+format+"\n", a...)
	os.Exit(1)
}
