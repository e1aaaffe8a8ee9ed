// Command asic-sim serves a simulated fleet on loopback: one fake miner per
// recorded capture folder under testdata/, each on its own 127.0.x.y
// address at the real API port, plus a few misbehaving miners. It writes an
// asic-execd config listing them and serves until interrupted, so the whole
// pipeline runs with no hardware.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
)

// families whose captures answer on the cgminer-style port.
var families = []string{"antminer", "avalon", "braiins", "hiveon", "luxos", "vnish", "whatsminer"}

func main() {
	testdata := flag.String("testdata", "testdata", "folder with <family>/<model>/<command>.json captures")
	base := flag.String("base", "127.0.1.1", "first loopback address; miners take consecutive addresses")
	port := flag.Int("port", 4028, "port every simulated miner listens on")
	configOut := flag.String("config-out", "", "write an asic-execd config for the fleet here")
	bad := flag.Bool("bad", true, "add misbehaving miners (silent, garbage, half reply, refused)")
	flag.Parse()

	addr, err := netip.ParseAddr(*base)
	if err != nil || !addr.IsLoopback() {
		fatalf("--base must be a loopback address (127.0.0.0/8), got %q", *base)
	}
	var miners []*fakeminer.Miner
	// Miners by config block: "auto" identifies; the whatsminer captures
	// hold no version/devdetails reply, so they get their driver by name.
	listed := map[string][]string{}
	block := "auto"
	startAt := func(m *fakeminer.Miner) {
		a := netip.AddrPortFrom(addr, uint16(*port)).String()
		if err := m.Start(a); err != nil {
			fatalf("listen %s: %v", a, err)
		}
		miners = append(miners, m)
		listed[block] = append(listed[block], addr.String())
		addr = addr.Next()
	}
	for _, fam := range families {
		dirs, _ := filepath.Glob(filepath.Join(*testdata, fam, "*"))
		sort.Strings(dirs)
		for _, dir := range dirs {
			reps, err := fakeminer.LoadDir(dir)
			if err != nil || !complete(fam, reps) {
				continue
			}
			block = "auto"
			if fam == "whatsminer" {
				block = fam
			}
			startAt(&fakeminer.Miner{Replies: reps, Multi: fam != "whatsminer", NUL: true})
			fmt.Fprintf(os.Stderr, "%-15s %s/%s\n", addr.Prev(), fam, filepath.Base(dir))
		}
	}
	block = "auto"
	if *bad {
		for _, mode := range []fakeminer.Mode{fakeminer.Silent, fakeminer.Garbage, fakeminer.Half, fakeminer.HTML} {
			startAt(&fakeminer.Miner{Mode: mode, Replies: map[string][]byte{}})
			fmt.Fprintf(os.Stderr, "%-15s misbehaving (mode %d)\n", addr.Prev(), mode)
		}
		// An address nothing listens on: connection refused.
		listed[block] = append(listed[block], addr.String())
		fmt.Fprintf(os.Stderr, "%-15s nothing listening\n", addr)
	}
	if *configOut != "" {
		if err := writeConfig(*configOut, listed, *port); err != nil {
			fatalf("%v", err)
		}
	}
	fmt.Fprintf(os.Stderr, "serving %d simulated miners; Ctrl-C to stop\n", len(miners))
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	<-ch
	for _, m := range miners {
		m.Close()
	}
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

func writeConfig(path string, blocks map[string][]string, port int) error {
	var b strings.Builder
	b.WriteString("# Written by asic-sim: the simulated fleet on loopback.\n")
	names := make([]string, 0, len(blocks))
	for n := range blocks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, driver := range names {
		b.WriteString("\n[[inputs.asic]]\n  miners = [\n")
		for _, m := range blocks[driver] {
			fmt.Fprintf(&b, "    %q,\n", m)
		}
		fmt.Fprintf(&b, "  ]\n  driver = %q\n  timeout = \"3s\"\n", driver)
		if port != 4028 {
			fmt.Fprintf(&b, "  [inputs.asic.ports]\n    rpc = %d\n", port)
		}
		fmt.Fprintf(&b, "  [inputs.asic.tags]\n    site = \"simulated\"\n    group = %q\n", driver)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "asic-sim: "+format+"\n", a...)
	os.Exit(1)
}
