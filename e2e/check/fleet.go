package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// fleet is what the line-protocol file says about the miners: the truth the
// counting panels are checked against.
type fleet struct {
	miners   map[string]bool            // every source with an asic_status point
	everUp   map[string]bool            // sources with up=true at least once
	hashrate map[string][2]float64      // per source: lowest and highest asic.hashrate_ths
	has      map[string]map[string]bool // per measurement.field: the sources that wrote it
}

func newFleet() *fleet {
	return &fleet{miners: map[string]bool{}, everUp: map[string]bool{}, hashrate: map[string][2]float64{},
		has: map[string]map[string]bool{}}
}

// with is how many miners wrote the field key ("asic.psu_fan_speed_rpm").
func (f *fleet) with(key string) int { return len(f.has[key]) }

func (f *fleet) add(source, key string, v lineprotocol.Value) {
	if f.has[key] == nil {
		f.has[key] = map[string]bool{}
	}
	f.has[key][source] = true
	switch key {
	case "asic_status.up":
		f.miners[source] = true
		if v.Kind() == lineprotocol.Bool && v.BoolV() {
			f.everUp[source] = true
		}
	case "asic.hashrate_ths":
		if v.Kind() != lineprotocol.Float {
			return
		}
		h := v.FloatV()
		r, ok := f.hashrate[source]
		if !ok {
			r = [2]float64{h, h}
		}
		r[0], r[1] = math.Min(r[0], h), math.Max(r[1], h)
		f.hashrate[source] = r
	}
}

// down is the miners that never answered during the run.
func (f *fleet) down() []string {
	var out []string
	for s := range f.miners {
		if !f.everUp[s] {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func (f *fleet) hashrateMin() (sum float64) {
	for _, r := range f.hashrate {
		sum += r[0]
	}
	return sum
}

func (f *fleet) hashrateMax() (sum float64) {
	for _, r := range f.hashrate {
		sum += r[1]
	}
	return sum
}

type dashTarget struct {
	RefID   string `json:"refId"`
	Query   string `json:"query"` // InfluxQL
	Expr    string `json:"expr"`  // PromQL
	Instant bool   `json:"instant"`
}

type dashPanel struct {
	Title    string       `json:"title"`
	Interval string       `json:"interval"`
	Targets  []dashTarget `json:"targets"`
}

type dashVar struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"`
}

type dashboardFile struct {
	Panels     []dashPanel `json:"panels"`
	Templating struct {
		List []dashVar `json:"list"`
	} `json:"templating"`
}

func loadDashboard(path string) (dashboardFile, error) {
	var d dashboardFile
	b, err := os.ReadFile(path)
	if err != nil {
		return d, err
	}
	err = json.Unmarshal(b, &d)
	return d, err
}

func (d dashboardFile) panel(title string) (dashPanel, bool) {
	for _, p := range d.Panels {
		if p.Title == title {
			return p, true
		}
	}
	return dashPanel{}, false
}

// checkMinInterval: every panel's minimum interval is the gather interval,
// so that no bucket is narrower than one gather of each miner.
func checkMinInterval(what string, d dashboardFile, fail func(string, ...any)) {
	for _, p := range d.Panels {
		if p.Interval != "$gather_interval" {
			fail("%s panel %q: min interval %q: give it \"interval\": \"$gather_interval\"", what, p.Title, p.Interval)
		}
	}
	for _, v := range d.Templating.List {
		if v.Name == "gather_interval" {
			return
		}
	}
	fail("%s: no gather_interval variable", what)
}

// mayBeEmpty: the "Miners by status" queries for results the simulated
// fleet need not have a miner for (no miner refuses a login; a miner that
// answers what no driver reads is unsupported before it is identified,
// and bad_response only once a driver was chosen), and the coolant queries: no driver reports
// coolant temperatures yet, for want of a real capture of a miner that
// does (testdata/FAMILIES.md). They must still run without error.
func mayBeEmpty(q string) bool {
	return strings.Contains(q, `'auth_failed'`) || strings.Contains(q, `'unsupported'`) ||
		strings.Contains(q, `'bad_response'`) || strings.Contains(q, "coolant_")
}

func influxFill(interval time.Duration) *strings.Replacer {
	return strings.NewReplacer("$timeFilter", "time > now() - 1h", "$__interval", interval.String(),
		"$site", ".*", "$make", ".*", "$model", ".*", "$miner", ".*")
}

// influxBuckets runs q and adds up, per time bucket, the first value column
// of every series.
func influxBuckets(base, db, q string) (map[string]float64, error) {
	r, err := query(base, db, q)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, res := range r.Results {
		for _, s := range res.Series {
			for _, v := range s.Values {
				if len(v) < 2 {
					continue
				}
				if f, ok := v[1].(float64); ok {
					out[fmt.Sprint(v[0])] += f
				}
			}
		}
	}
	return out, nil
}

func influxSeries(base, db, q string, from int) (int, error) {
	q = strings.ReplaceAll(q, "$timeFilter", fmt.Sprintf("time > now() - %ds", from))
	r, err := query(base, db, q)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, res := range r.Results {
		n += len(res.Series)
	}
	return n, nil
}

// checkInfluxCounts runs the counting panels with buckets that hold several
// gathers of each miner and requires miners, not points: per bucket, the
// status counts add up to the miners that reported in it, "down" never
// exceeds the miners that are down, and the fleet hashrate never exceeds
// one value per miner.
func checkInfluxCounts(path, base, db string, interval time.Duration, fl *fleet, fail func(string, ...any)) {
	d, err := loadDashboard(path)
	if err != nil {
		fail("dashboard: %v", err)
		return
	}
	checkMinInterval("influx dashboard", d, fail)
	fill := influxFill(interval)
	// The truth per bucket: which miners have a point, and how many.
	r, err := query(base, db, fmt.Sprintf(`SELECT count("up") FROM "asic_status" WHERE time > now() - 1h GROUP BY time(%s), "source"`, interval))
	if err != nil {
		fail("influx counts: %v", err)
		return
	}
	miners, points := map[string]float64{}, map[string]float64{}
	for _, res := range r.Results {
		for _, s := range res.Series {
			for _, v := range s.Values {
				if f, ok := v[1].(float64); ok && f > 0 {
					miners[fmt.Sprint(v[0])]++
					points[fmt.Sprint(v[0])] += f
				}
			}
		}
	}
	multi := 0
	for t := range miners {
		if points[t] >= 2*miners[t] {
			multi++
		}
	}
	if multi == 0 {
		fail("influx counts: no %s bucket holds two gathers per miner; the count test proves nothing", interval)
	}

	p, ok := d.panel("Miners by status")
	if !ok {
		fail("influx dashboard: no panel \"Miners by status\"")
		return
	}
	byStatus := map[string]float64{}
	for _, t := range p.Targets {
		b, err := influxBuckets(base, db, fill.Replace(t.Query))
		if err != nil {
			fail("influx counts: %v", err)
			return
		}
		for k, v := range b {
			byStatus[k] += v
		}
	}
	for t, n := range miners {
		if byStatus[t] != n {
			fail("influx \"Miners by status\" at %s: %v miners counted, %v reported (%v points)", t, byStatus[t], n, points[t])
		}
	}

	if p, ok := d.panel("Miners down now"); ok && len(p.Targets) > 0 {
		b, err := influxBuckets(base, db, fill.Replace(p.Targets[0].Query))
		if err != nil {
			fail("influx counts: %v", err)
		}
		most := 0.0
		for t, v := range b {
			if v > float64(len(fl.down())) {
				fail("influx \"Miners down now\" at %s: %v, but only %d miners are down", t, v, len(fl.down()))
			}
			most = math.Max(most, v)
		}
		if most != float64(len(fl.down())) {
			fail("influx \"Miners down now\": at most %v, want %d", most, len(fl.down()))
		}
	} else {
		fail("influx dashboard: no panel \"Miners down now\"")
	}

	if p, ok := d.panel("Fleet hashrate vs expected (TH/s)"); ok && len(p.Targets) > 0 {
		b, err := influxBuckets(base, db, fill.Replace(p.Targets[0].Query))
		if err != nil {
			fail("influx counts: %v", err)
		}
		lo, hi, most := fl.hashrateMin(), fl.hashrateMax(), 0.0
		for t, v := range b {
			if v > hi*(1+1e-9) {
				fail("influx fleet hashrate at %s: %.3f TH/s, more than one value per miner allows (%.3f)", t, v, hi)
			}
			most = math.Max(most, v)
		}
		if most < lo*(1-1e-9) {
			fail("influx fleet hashrate: at most %.3f TH/s, want at least %.3f", most, lo)
		}
	} else {
		fail("influx dashboard: no panel \"Fleet hashrate vs expected (TH/s)\"")
	}
	if p, ok := d.panel("Miners reporting a PSU fan or coolant"); ok && len(p.Targets) > 0 {
		b, err := influxBuckets(base, db, fill.Replace(p.Targets[0].Query))
		if err != nil {
			fail("influx counts: %v", err)
		}
		want, most := float64(fl.with("asic.psu_fan_speed_rpm")), 0.0
		for t, v := range b {
			if v > want {
				fail("influx \"Miners reporting a PSU fan\" at %s: %v, but only %v miners report one", t, v, want)
			}
			most = math.Max(most, v)
		}
		if want == 0 || most != want {
			fail("influx \"Miners reporting a PSU fan\": at most %v, want %v", most, want)
		}
	} else {
		fail("influx dashboard: no panel \"Miners reporting a PSU fan or coolant\"")
	}
	fmt.Printf("influx counts: %d buckets of %s checked, %d with several gathers per miner\n", len(miners), interval, multi)
}
