// Command check verifies what the real Telegraf wrote: the line-protocol
// file of outputs.file (every measurement, its tags, one type per field);
// with -influx, the same data read back from InfluxDB 1.x, the InfluxQL
// dashboard and Grafana alert queries; with -prometheus, what Prometheus
// scraped from outputs.prometheus_client, the PromQL dashboard, the
// Prometheus rules and the Grafana alert queries for Prometheus. Counting
// panels are checked to count miners, not points: the gather interval is
// shorter than -interval, so each bucket holds several gathers per miner.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// wantTags are the tags each measurement must carry on every point.
var wantTags = map[string][]string{
	"asic":           {"source", "make", "firmware"},
	"asic_hashboard": {"source", "board"},
	"asic_fan":       {"source", "fan"},
	"asic_pool":      {"source", "index"}, // scheme and host only when the URL has them
	"asic_error":     {"source", "code"},
	"asic_status":    {"source", "result"},
	"asic_discovery": {"ranges"},
}

// wantKinds pins the type of fields a dashboard relies on.
var wantKinds = map[string]lineprotocol.ValueKind{
	"asic.hashrate_ths":                  lineprotocol.Float,
	"asic.boards":                        lineprotocol.Int,
	"asic.uptime_seconds":                lineprotocol.Int,
	"asic.is_mining":                     lineprotocol.Bool,
	"asic_hashboard.temperature_celsius": lineprotocol.Float,
	"asic_hashboard.chips":               lineprotocol.Int,
	"asic_fan.speed_rpm":                 lineprotocol.Int,
	"asic_pool.accepted":                 lineprotocol.Int,
	"asic_pool.url":                      lineprotocol.String,
	"asic_pool.alive":                    lineprotocol.Bool,
	"asic_error.message":                 lineprotocol.String,
	"asic_status.up":                     lineprotocol.Bool,
	"asic_status.response_time_seconds":  lineprotocol.Float,
	"asic_discovery.found":               lineprotocol.Int,
	"asic_discovery.duration_seconds":    lineprotocol.Float,
}

func main() {
	lines := flag.String("lines", "", "line-protocol file written by outputs.file")
	influx := flag.String("influx", "", "InfluxDB 1.x URL to query back (optional)")
	db := flag.String("db", "asic", "InfluxDB database")
	dashboard := flag.String("dashboard", "", "Grafana dashboard JSON whose queries must all return rows (needs -influx)")
	influxAlerts := flag.String("influx-alerts", "", "Grafana alert provisioning file for InfluxDB (needs -influx)")
	prom := flag.String("prometheus", "", "Prometheus URL to query (optional)")
	promDashboard := flag.String("prom-dashboard", "", "Grafana PromQL dashboard JSON (needs -prometheus)")
	promAlerts := flag.String("prom-alerts", "", "Grafana alert provisioning file for Prometheus (needs -prometheus)")
	interval := flag.Duration("interval", 10*time.Second, "panel interval ($__interval) for the queries; several gathers fit in one")
	flag.Parse()
	var problems []string
	fail := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }

	b, err := os.ReadFile(*lines)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kinds := map[string]lineprotocol.ValueKind{}
	count := map[string]int{}
	fl := newFleet()
	dec := lineprotocol.NewDecoderWithBytes(b)
	for dec.Next() {
		m, err := dec.Measurement()
		if err != nil {
			fail("bad line: %v", err)
			break
		}
		name := string(m)
		count[name]++
		tags := map[string]bool{}
		source := ""
		for {
			k, v, err := dec.NextTag()
			if err != nil || k == nil {
				break
			}
			tags[string(k)] = true
			if string(k) == "source" {
				source = string(v)
			}
		}
		for _, want := range wantTags[name] {
			if !tags[want] {
				fail("%s point without tag %q", name, want)
			}
		}
		for {
			k, v, err := dec.NextField()
			if err != nil || k == nil {
				break
			}
			key := name + "." + string(k)
			fl.add(source, key, v)
			if prev, ok := kinds[key]; ok && prev != v.Kind() {
				fail("field %s changes type: %v then %v", key, prev, v.Kind())
			}
			kinds[key] = v.Kind()
		}
	}
	for name := range wantTags {
		if count[name] == 0 {
			fail("no %s points", name)
		}
	}
	for key, want := range wantKinds {
		if got, ok := kinds[key]; !ok || got != want {
			fail("field %s: type %v, want %v", key, got, want)
		}
	}
	if count["asic_status"] < 2*len(statusSources(b)) {
		fail("fewer than two gathers: %d asic_status points", count["asic_status"])
	}
	fmt.Printf("line protocol: %v\n", count)

	fmt.Printf("fleet: %d miners, %d down, hashrate %.3f..%.3f TH/s\n",
		len(fl.miners), len(fl.down()), fl.hashrateMin(), fl.hashrateMax())

	if *influx != "" {
		checkInflux(*influx, *db, fail)
		if *dashboard != "" {
			checkDashboard(*dashboard, *influx, *db, *interval, fail)
			checkInfluxCounts(*dashboard, *influx, *db, *interval, fl, fail)
		}
		if *influxAlerts != "" {
			checkGrafanaAlerts(*influxAlerts, "influxdb", func(q string, from int) (int, error) {
				return influxSeries(*influx, *db, q, from)
			}, fl, fail)
		}
	}
	if *prom != "" {
		checkPromRules(*prom, fl, fail)
		if *promDashboard != "" {
			checkPromDashboard(*promDashboard, *prom, *interval, fl, fail)
		}
		if *promAlerts != "" {
			checkGrafanaAlerts(*promAlerts, "prometheus", func(q string, _ int) (int, error) {
				r, err := promQuery(*prom, q)
				return len(r), err
			}, fl, fail)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "FAIL:", p)
		}
		os.Exit(1)
	}
	fmt.Println("e2e check: all good")
}

func statusSources(b []byte) map[string]bool {
	out := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "asic_status,") {
			continue
		}
		if i := strings.Index(l, "source="); i >= 0 {
			s := l[i+7:]
			if j := strings.IndexAny(s, ", "); j >= 0 {
				s = s[:j]
			}
			out[s] = true
		}
	}
	return out
}

type influxReply struct {
	Results []struct {
		Series []struct {
			Name    string            `json:"name"`
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
		Error string `json:"error"`
	} `json:"results"`
}

func query(base, db, q string) (influxReply, error) {
	var r influxReply
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/query?db=" + url.QueryEscape(db) + "&q=" + url.QueryEscape(q))
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return r, err
	}
	for _, res := range r.Results {
		if res.Error != "" {
			return r, fmt.Errorf("%s: %s", q, res.Error)
		}
	}
	return r, nil
}

func checkInflux(base, db string, fail func(string, ...any)) {
	// Every measurement arrived.
	r, err := query(base, db, "SHOW MEASUREMENTS")
	if err != nil {
		fail("influx: %v", err)
		return
	}
	got := map[string]bool{}
	for _, res := range r.Results {
		for _, s := range res.Series {
			for _, v := range s.Values {
				got[fmt.Sprint(v[0])] = true
			}
		}
	}
	for name := range wantTags {
		if !got[name] {
			fail("influx: no measurement %s", name)
		}
	}
	// One asic_pool series per miner and pool, and counters that grow.
	r, err = query(base, db, `SELECT spread("accepted") FROM "asic_pool" GROUP BY "source", "index"`)
	if err != nil {
		fail("influx: %v", err)
		return
	}
	series, grew := 0, 0
	for _, res := range r.Results {
		for _, s := range res.Series {
			series++
			if len(s.Values) > 0 && len(s.Values[0]) > 1 {
				if f, ok := s.Values[0][1].(float64); ok && f > 0 {
					grew++
				}
			}
		}
	}
	fmt.Printf("influx: %d asic_pool series, %d with growing accepted shares\n", series, grew)
	if series == 0 || grew == 0 {
		fail("influx: asic_pool series %d, growing %d", series, grew)
	}
	// No field with two types (InfluxDB would have refused the points).
	r, err = query(base, db, "SHOW FIELD KEYS")
	if err != nil {
		fail("influx: %v", err)
		return
	}
	for _, res := range r.Results {
		for _, s := range res.Series {
			seen := map[string]string{}
			for _, v := range s.Values {
				k, t := fmt.Sprint(v[0]), fmt.Sprint(v[1])
				if p, ok := seen[k]; ok && p != t {
					fail("influx: %s.%s has types %s and %s", s.Name, k, p, t)
				}
				seen[k] = t
			}
		}
	}
}

// checkDashboard runs every panel query and template-variable query of a
// Grafana dashboard, with Grafana's macros filled in as Grafana would for
// "All" and the last hour, and requires rows from each.
func checkDashboard(path, base, db string, interval time.Duration, fail func(string, ...any)) {
	b, err := os.ReadFile(path)
	if err != nil {
		fail("dashboard: %v", err)
		return
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Query string `json:"query"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		fail("dashboard: %v", err)
		return
	}
	fill := influxFill(interval)
	run := func(what, q string) {
		r, err := query(base, db, fill.Replace(q))
		if err != nil {
			fail("dashboard %s: %v", what, err)
			return
		}
		rows := 0
		for _, res := range r.Results {
			for _, s := range res.Series {
				rows += len(s.Values)
			}
		}
		if rows == 0 && !mayBeEmpty(q) {
			fail("dashboard %s: no rows for %s", what, q)
		}
	}
	n := 0
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue // custom and interval variables hold values, not queries
		}
		run("variable "+v.Name, v.Query)
		n++
	}
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			run(fmt.Sprintf("panel %q query %s", p.Title, t.RefID), t.Query)
			n++
		}
	}
	fmt.Printf("dashboard: %d queries run\n", n)
}
