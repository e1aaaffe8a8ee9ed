package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

type grafanaAlerts struct {
	APIVersion int `json:"apiVersion"`
	Groups     []struct {
		OrgID    int    `json:"orgId"`
		Name     string `json:"name"`
		Folder   string `json:"folder"`
		Interval string `json:"interval"`
		Rules    []struct {
			UID       string `json:"uid"`
			Title     string `json:"title"`
			Condition string `json:"condition"`
			For       string `json:"for"`
			Data      []struct {
				RefID             string `json:"refId"`
				DatasourceUID     string `json:"datasourceUid"`
				RelativeTimeRange struct {
					From int `json:"from"`
				} `json:"relativeTimeRange"`
				Model struct {
					Datasource struct {
						Type string `json:"type"`
					} `json:"datasource"`
					Type       string `json:"type"` // expressions: reduce, math, threshold
					Expression string `json:"expression"`
					Query      string `json:"query"` // InfluxQL
					Expr       string `json:"expr"`  // PromQL
				} `json:"model"`
			} `json:"data"`
		} `json:"rules"`
	} `json:"groups"`
}

var mathRef = regexp.MustCompile(`\$\{?([A-Za-z]\w*)\}?`)

// checkGrafanaAlerts reads a Grafana alert provisioning file, checks that
// each rule hangs together (its condition and every expression name a query
// of the rule; every query is for dsType) and runs every query against the
// data source: each must return series. The miner-down rule is checked to
// find the down miners.
func checkGrafanaAlerts(path, dsType string, run func(q string, from int) (int, error), fl *fleet, fail func(string, ...any)) {
	b, err := os.ReadFile(path)
	if err != nil {
		fail("alerts %s: %v", path, err)
		return
	}
	var f grafanaAlerts
	if err := json.Unmarshal(b, &f); err != nil {
		fail("alerts %s: %v", path, err)
		return
	}
	if f.APIVersion != 1 || len(f.Groups) == 0 {
		fail("alerts %s: apiVersion %d, %d groups", path, f.APIVersion, len(f.Groups))
	}
	uids := map[string]bool{}
	n := 0
	for _, g := range f.Groups {
		if g.Name == "" || g.Folder == "" || g.Interval == "" || g.OrgID == 0 {
			fail("alerts %s: group %q lacks name, folder, interval or orgId", path, g.Name)
		}
		for _, r := range g.Rules {
			n++
			if r.UID == "" || uids[r.UID] || r.Title == "" || r.For == "" {
				fail("alerts %s: rule %q: uid %q missing or repeated, or no title or for", path, r.Title, r.UID)
			}
			uids[r.UID] = true
			refs := map[string]bool{}
			for _, d := range r.Data {
				refs[d.RefID] = true
			}
			if !refs[r.Condition] {
				fail("alerts %s: rule %q: condition %q is no refId", path, r.Title, r.Condition)
			}
			for _, d := range r.Data {
				if d.DatasourceUID == "__expr__" {
					names := []string{d.Model.Expression}
					if d.Model.Type == "math" {
						names = nil
						for _, m := range mathRef.FindAllStringSubmatch(d.Model.Expression, -1) {
							names = append(names, m[1])
						}
					}
					for _, ref := range names {
						if !refs[ref] {
							fail("alerts %s: rule %q: %s refers to %q, not a refId", path, r.Title, d.RefID, ref)
						}
					}
					continue
				}
				if d.Model.Datasource.Type != dsType {
					fail("alerts %s: rule %q query %s: data source type %q, want %q", path, r.Title, d.RefID, d.Model.Datasource.Type, dsType)
				}
				q := d.Model.Query
				if dsType == "prometheus" {
					q = d.Model.Expr
				}
				series, err := run(q, d.RelativeTimeRange.From)
				if err != nil || series == 0 {
					fail("alerts %s: rule %q query %s: %d series (%v): %s", path, r.Title, d.RefID, series, err, q)
					continue
				}
				if strings.HasSuffix(r.UID, "-miner-down") {
					// InfluxQL returns only the down miners, PromQL every miner's state.
					want := len(fl.down())
					if dsType == "prometheus" {
						want = len(fl.miners)
					}
					if series != want {
						fail("alerts %s: rule %q: %d series, want %d", path, r.Title, series, want)
					}
				}
			}
		}
	}
	if n < 6 {
		fail("alerts %s: %d rules, want the six", path, n)
	}
	fmt.Printf("alerts %s: %d rules, every query returns series\n", path, n)
}
