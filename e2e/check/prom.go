package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type promSeries struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`  // instant: [time, "value"]
	Values [][]any           `json:"values"` // range
}

func (s promSeries) float() float64 {
	if len(s.Value) < 2 {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

func promGet(base, path string, params url.Values, out any) error {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s %s: %s", path, params.Get("query"), r.Error)
	}
	return json.Unmarshal(r.Data, out)
}

func promQuery(base, q string) ([]promSeries, error) {
	var d struct {
		Result []promSeries `json:"result"`
	}
	err := promGet(base, "/api/v1/query", url.Values{"query": {q}}, &d)
	return d.Result, err
}

func promRange(base, q string, start, end time.Time, step time.Duration) ([]promSeries, error) {
	var d struct {
		Result []promSeries `json:"result"`
	}
	err := promGet(base, "/api/v1/query_range", url.Values{"query": {q},
		"start": {strconv.FormatInt(start.Unix(), 10)}, "end": {strconv.FormatInt(end.Unix(), 10)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}, &d)
	return d.Result, err
}

var labelValues = regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)

// checkPromDashboard runs every query of the PromQL dashboard (variables
// as Grafana's label_values does, panels as instant or range queries over
// the run) and requires series from each, then checks the counting panels
// against the fleet.
func checkPromDashboard(path, base string, interval time.Duration, fl *fleet, fail func(string, ...any)) {
	d, err := loadDashboard(path)
	if err != nil {
		fail("prometheus dashboard: %v", err)
		return
	}
	checkMinInterval("prometheus dashboard", d, fail)
	fill := strings.NewReplacer("$__rate_interval", (3 * interval).String(), "$__interval", interval.String(),
		"$site", ".*", "$make", ".*", "$model", ".*", "$miner", ".*")
	end := time.Now()
	start := end.Add(-10 * time.Minute)
	n := 0
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			fail("prometheus variable %s: %v", v.Name, err)
			continue
		}
		m := labelValues.FindStringSubmatch(fill.Replace(q.Query))
		if m == nil {
			fail("prometheus variable %s: not label_values(metric, label): %s", v.Name, q.Query)
			continue
		}
		r, err := promQuery(base, fmt.Sprintf("count by (%s) (%s)", m[2], m[1]))
		n++
		if err != nil || len(r) == 0 {
			fail("prometheus variable %s: no values (%v)", v.Name, err)
		}
	}
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			q := fill.Replace(t.Expr)
			var r []promSeries
			var err error
			if t.Instant {
				r, err = promQuery(base, q)
			} else {
				r, err = promRange(base, q, start, end, interval)
			}
			n++
			if err != nil {
				fail("prometheus panel %q query %s: %v", p.Title, t.RefID, err)
			} else if len(r) == 0 && !mayBeEmpty(q) {
				fail("prometheus panel %q query %s: no series for %s", p.Title, t.RefID, q)
			}
		}
	}
	fmt.Printf("prometheus dashboard: %d queries run\n", n)

	want := float64(len(fl.miners))
	if p, ok := d.panel("Miners by status"); ok && len(p.Targets) == 1 {
		q := fill.Replace(p.Targets[0].Expr)
		r, err := promRange(base, q, start, end, interval)
		if err != nil {
			fail("prometheus counts: %v", err)
		}
		perStep := map[float64]float64{}
		for _, s := range r {
			for _, v := range s.Values {
				t, _ := v[0].(float64)
				f, _ := strconv.ParseFloat(fmt.Sprint(v[1]), 64)
				perStep[t] += f
			}
		}
		for t, c := range perStep {
			if c > want {
				fail("prometheus \"Miners by status\" at %v: %v miners counted, the fleet has %v", t, c, want)
			}
		}
		now, err := promQuery(base, q)
		sum := 0.0
		for _, s := range now {
			sum += s.float()
		}
		if err != nil || sum != want {
			fail("prometheus \"Miners by status\" now: %v miners, want %v (%v)", sum, want, err)
		}
	} else {
		fail("prometheus dashboard: no single-query panel \"Miners by status\"")
	}
	if p, ok := d.panel("Miners down now"); ok && len(p.Targets) == 1 {
		r, err := promQuery(base, fill.Replace(p.Targets[0].Expr))
		if err != nil || len(r) != 1 || r[0].float() != float64(len(fl.down())) {
			fail("prometheus \"Miners down now\": %v, want %d down (%v)", r, len(fl.down()), err)
		}
	} else {
		fail("prometheus dashboard: no panel \"Miners down now\"")
	}
	if p, ok := d.panel("Miners reporting a PSU fan or coolant"); ok && len(p.Targets) > 0 {
		r, err := promQuery(base, fill.Replace(p.Targets[0].Expr))
		want := float64(fl.with("asic.psu_fan_speed_rpm"))
		if err != nil || len(r) != 1 || want == 0 || r[0].float() != want {
			fail("prometheus \"Miners reporting a PSU fan\": %v, want %v (%v)", r, want, err)
		}
	} else {
		fail("prometheus dashboard: no panel \"Miners reporting a PSU fan or coolant\"")
	}
	if p, ok := d.panel("Fleet hashrate vs expected (TH/s)"); ok && len(p.Targets) > 0 {
		r, err := promQuery(base, fill.Replace(p.Targets[0].Expr))
		lo, hi, sum := fl.hashrateMin(), fl.hashrateMax(), 0.0
		for _, s := range r { // one series per algorithm
			sum += s.float()
		}
		if err != nil || len(r) == 0 || sum < lo*(1-1e-9) || sum > hi*(1+1e-9) {
			fail("prometheus fleet hashrate: %.3f TH/s in %d series, want one value per miner, %.3f..%.3f TH/s (%v)", sum, len(r), lo, hi, err)
		}
	} else {
		fail("prometheus dashboard: no panel \"Fleet hashrate vs expected (TH/s)\"")
	}
}

// checkPromRules: every rule Prometheus loaded evaluates without error,
// every recording rule yields series, and the miner-down alert is pending
// or firing for exactly the miners that are down.
func checkPromRules(base string, fl *fleet, fail func(string, ...any)) {
	var d struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Type      string `json:"type"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := promGet(base, "/api/v1/rules", url.Values{}, &d); err != nil {
		fail("prometheus rules: %v", err)
		return
	}
	rules, alerts := 0, 0
	for _, g := range d.Groups {
		for _, r := range g.Rules {
			rules++
			if r.Health != "ok" {
				fail("prometheus rule %s: health %q %s", r.Name, r.Health, r.LastError)
			}
			switch r.Type {
			case "recording":
				s, err := promQuery(base, r.Name)
				if err != nil || len(s) == 0 {
					fail("prometheus recording rule %s: no series (%v)", r.Name, err)
				}
			case "alerting":
				alerts++
			}
		}
	}
	if rules == 0 || alerts < 6 {
		fail("prometheus rules: %d rules, %d alerts loaded", rules, alerts)
	}
	s, err := promQuery(base, `ALERTS{alertname="AsicMinerDown"}`)
	got := map[string]bool{}
	for _, x := range s {
		got[x.Metric["source"]] = true
	}
	if err != nil || len(got) != len(fl.down()) {
		fail("prometheus AsicMinerDown for %v, want %v (%v)", got, fl.down(), err)
	}
	fmt.Printf("prometheus rules: %d rules (%d alerts) healthy; AsicMinerDown pending for %d miners\n", rules, alerts, len(got))
}
