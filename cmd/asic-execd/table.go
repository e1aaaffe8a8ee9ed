package main

import (
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/influxdata/telegraf"
)

// sink is where the accumulator's metrics go: line protocol for Telegraf
// (--format influx) or a fleet table for a person (--format table).
type sink interface {
	write(telegraf.Metric) error
	flush() error // after each gather
}

// newSink returns the output for --format.
func newSink(format string, out io.Writer) (sink, error) {
	switch format {
	case "influx":
		return newWriter(out), nil
	case "table":
		return &tableWriter{out: out, rows: map[string]*tableRow{}}, nil
	}
	return nil, fmt.Errorf("unknown --format %q: use influx or table", format)
}

// tableRow is one miner as the table shows it; nil is "not reported".
type tableRow struct {
	source, result, make, model, algorithm string
	hashrate, expected, temp, power        *float64
	pool                                   string
	accepted, rejected                     *int64
}

// tableWriter collects one gather's metrics (the same the influx output
// gets) and prints them, one row per miner and totals last, on flush.
type tableWriter struct {
	mu   sync.Mutex
	out  io.Writer
	rows map[string]*tableRow
}

func (w *tableWriter) row(m telegraf.Metric) *tableRow {
	src := m.Tags()["source"]
	r, ok := w.rows[src]
	if !ok {
		r = &tableRow{source: src}
		w.rows[src] = r
	}
	// Identity tags ride on every measurement; take them where present.
	for k, p := range map[string]*string{"make": &r.make, "model": &r.model, "algorithm": &r.algorithm} {
		if v, ok := m.GetTag(k); ok && *p == "" {
			*p = v
		}
	}
	return r
}

func (w *tableWriter) write(m telegraf.Metric) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch m.Name() {
	case "asic_status":
		r := w.row(m)
		r.result, _ = m.GetTag("result")
	case "asic":
		r := w.row(m)
		r.hashrate = floatField(m, "hashrate_ths")
		r.expected = floatField(m, "expected_hashrate_ths")
		r.power = floatField(m, "power_watts")
		// The hottest reading the miner gives: boards, else chips.
		for _, k := range []string{"temperature_max_celsius", "chip_temperature_max_celsius"} {
			if t := floatField(m, k); t != nil && (r.temp == nil || *t > *r.temp) {
				r.temp = t
			}
		}
	case "asic_pool":
		if active, ok := m.GetField("active"); !ok || active != true {
			return nil
		}
		r := w.row(m)
		if r.pool != "" {
			return nil // the first active pool in the miner's order
		}
		r.pool = poolName(m)
		r.accepted = intField(m, "accepted")
		r.rejected = intField(m, "rejected")
	}
	return nil
}

func floatField(m telegraf.Metric, key string) *float64 {
	v, ok := m.GetField(key)
	if !ok {
		return nil
	}
	switch x := v.(type) {
	case float64:
		return &x
	case int64:
		f := float64(x)
		return &f
	}
	return nil
}

func intField(m telegraf.Metric, key string) *int64 {
	v, _ := m.GetField(key)
	if n, ok := v.(int64); ok {
		return &n
	}
	return nil
}

// poolName is host:port when the URL could be parsed, else the URL as the
// miner reports it.
func poolName(m telegraf.Metric) string {
	host, _ := m.GetTag("host")
	if port := intField(m, "port"); host != "" && port != nil {
		return host + ":" + strconv.FormatInt(*port, 10)
	}
	if host != "" {
		return host
	}
	u, _ := m.GetField("url")
	s, _ := u.(string)
	return s
}

func (w *tableWriter) flush() error {
	w.mu.Lock()
	rows := make([]*tableRow, 0, len(w.rows))
	for _, r := range w.rows {
		if r.result != "" { // a miner is what has an asic_status point
			rows = append(rows, r)
		}
	}
	w.rows = map[string]*tableRow{}
	w.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return addrLess(rows[i].source, rows[j].source) })

	tw := tabwriter.NewWriter(w.out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tSTATUS\tMAKE\tMODEL\tTH/S\tMAX °C\tPOWER W\tACTIVE POOL\tACCEPTED\tREJECTED")
	var up, down int
	// expected is summed with the hashrate of the same miners only, so the
	// percentage compares like with like.
	type total struct {
		hashrate, expected, hashrateOfExpected float64
		miners, expecting                      int
	}
	totals := map[string]*total{}
	var power float64
	var powered int
	for _, r := range rows {
		status := r.result
		if status == "success" {
			status = "up"
			up++
		} else {
			down++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.source, status, orDash(r.make), orDash(r.model),
			hashrate(r.hashrate), num(r.temp, 0), num(r.power, 0), orDash(r.pool), count(r.accepted), count(r.rejected))
		if r.hashrate != nil {
			a := r.algorithm
			if a == "" {
				a = "unknown algorithm"
			}
			if totals[a] == nil {
				totals[a] = &total{}
			}
			t := totals[a]
			t.hashrate += *r.hashrate
			t.miners++
			if r.expected != nil && *r.expected > 0 {
				t.expected += *r.expected
				t.hashrateOfExpected += *r.hashrate
				t.expecting++
			}
		}
		if r.power != nil {
			power += *r.power
			powered++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w.out, "\nminers: %d, up %d, down %d\n", len(rows), up, down)
	// TH/s is 10^12 of each algorithm's own unit: never added across algorithms.
	algos := make([]string, 0, len(totals))
	for a := range totals {
		algos = append(algos, a)
	}
	sort.Strings(algos)
	for _, a := range algos {
		t := totals[a]
		line := fmt.Sprintf("hashrate %s: %s TH/s (miners: %d)", a, hashrate(&t.hashrate), t.miners)
		if t.expecting > 0 {
			line += fmt.Sprintf("; %.1f%% of the expected %s TH/s (miners reporting it: %d)",
				t.hashrateOfExpected/t.expected*100, hashrate(&t.expected), t.expecting)
		}
		fmt.Fprintln(w.out, line)
	}
	if powered > 0 {
		fmt.Fprintf(w.out, "power: %.0f W (miners reporting it: %d of %d)\n", power, powered, len(rows))
	} else {
		fmt.Fprintln(w.out, "power: no miner reports it")
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(f *float64, prec int) string {
	if f == nil {
		return "-"
	}
	return strconv.FormatFloat(*f, 'f', prec, 64)
}

// hashrate keeps a small scrypt or Bitaxe figure readable: two decimals
// from 1 TH/s up, three significant digits below.
func hashrate(f *float64) string {
	if f == nil || *f >= 1 || *f == 0 {
		return num(f, 2)
	}
	return strconv.FormatFloat(*f, 'g', 3, 64)
}

func count(n *int64) string {
	if n == nil {
		return "-"
	}
	return strconv.FormatInt(*n, 10)
}

// addrLess orders IP addresses numerically (host:port by its host), and
// names after addresses, alphabetically.
func addrLess(a, b string) bool {
	pa, errA := parseAddr(a)
	pb, errB := parseAddr(b)
	switch {
	case errA == nil && errB == nil:
		if c := pa.Addr().Compare(pb.Addr()); c != 0 {
			return c < 0
		}
		return pa.Port() < pb.Port()
	case errA == nil:
		return true
	case errB == nil:
		return false
	}
	return a < b
}

func parseAddr(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return netip.AddrPortFrom(a, 0), err
}
