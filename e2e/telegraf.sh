#!/usr/bin/env bash
# End to end with the real programs: a Telegraf v1.37.2 built from the Go
# module proxy runs asic-execd under [[inputs.execd]] against the simulated
# fleet, writes to a file, to InfluxDB 1.x on 127.0.0.1 and to
# [[outputs.prometheus_client]] on 127.0.0.1, which a real Prometheus
# scrapes. e2e/check verifies all three (every measurement, tags, one type
# per field, pool series, counters that grow), runs every query of both
# Grafana dashboards and of the alert rules, and checks that the counting
# panels count miners, not points. InfluxDB and Prometheus come from
# Debian's packages (.ci/run installs them; this script installs nothing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "e2e: building asic-execd, asic-sim and Telegraf v1.37.2 (custom build)"
go build -o "$work/asic-execd" ./cmd/asic-execd
go build -o "$work/asic-sim" ./cmd/asic-sim
go build -o "$work/check" ./e2e/check
mkdir -p "$work/tb"
(
  cd "$work/tb"
  printf 'module telegrafbuild\n\ngo 1.26\n' > go.mod
  go get github.com/influxdata/telegraf/cmd/telegraf@v1.37.2 >/dev/null 2>&1
  go build -tags "custom,inputs.execd,outputs.file,outputs.influxdb,outputs.prometheus_client,parsers.influx,serializers.influx" \
    -o "$work/telegraf" github.com/influxdata/telegraf/cmd/telegraf
)

influx_url=""
if command -v influxd >/dev/null; then
  mkdir -p "$work/influxdb"
  cat > "$work/influxdb.conf" <<CONF
reporting-enabled = false
bind-address = "127.0.0.1:18088"
[meta]
  dir = "$work/influxdb/meta"
[data]
  dir = "$work/influxdb/data"
  wal-dir = "$work/influxdb/wal"
[http]
  bind-address = "127.0.0.1:18086"
  log-enabled = false
CONF
  influxd -config "$work/influxdb.conf" >"$work/influxd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/18086) 2>/dev/null && break
    sleep 0.1
  done
  influx_url="http://127.0.0.1:18086"
else
  echo "e2e: influxd is not installed: apt-get install influxdb (bash .ci/run installs it)" >&2
  exit 1
fi

# Prometheus on loopback with its own storage, scraping Telegraf's
# prometheus_client every second and evaluating the shipped rules.
for p in prometheus promtool; do
  command -v "$p" >/dev/null || { echo "e2e: $p is not installed: apt-get install prometheus (bash .ci/run installs it)" >&2; exit 1; }
done
promtool check rules alerts/prometheus-rules.yml
# The rules' own unit tests: a miner whose result changed, a lingering
# series, each alert firing for the series it should and no other.
promtool test rules alerts/prometheus-rules.test.yml
cat > "$work/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $root/alerts/prometheus-rules.yml
scrape_configs:
  - job_name: telegraf
    static_configs:
      - targets: ["127.0.0.1:19273"]
CONF
promtool check config "$work/prometheus.yml" >/dev/null
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
  --web.listen-address=127.0.0.1:19090 >"$work/prometheus.log" 2>&1 &
pids+=($!)
prom_url="http://127.0.0.1:19090"
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/19090) 2>/dev/null && break
  sleep 0.1
done

"$work/asic-sim" -testdata testdata -timeout 2s -config-out "$work/asic.conf" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/asic.conf" ] && break; sleep 0.1; done
# A block with a range (empty addresses) too, so asic_discovery is written and
# the dashboard's discovery panels have rows.
printf '\n[[inputs.asic]]\n  miners = ["127.0.2.1-8"]\n  timeout = "2s"\n' >> "$work/asic.conf"

{
  cat <<CONF
[agent]
  interval = "2s"
  flush_interval = "1s"
  round_interval = false
  omit_hostname = true
[[inputs.execd]]
  command = ["$work/asic-execd", "--config", "$work/asic.conf", "--poll_interval_disabled"]
  signal = "STDIN"
  restart_delay = "10s"
  data_format = "influx"
[[outputs.file]]
  files = ["$work/metrics.out"]
  data_format = "influx"
[[outputs.prometheus_client]]
  listen = "127.0.0.1:19273"
  metric_version = 2
  string_as_label = false
  export_timestamp = true
  collectors_exclude = ["gocollector", "process"]
CONF
  if [ -n "$influx_url" ]; then
    cat <<CONF
[[outputs.influxdb]]
  urls = ["$influx_url"]
  database = "asic"
CONF
  fi
} > "$work/telegraf.conf"

echo "e2e: running Telegraf with asic-execd under inputs.execd for 20 s"
# --once exits 1 with execd even when all is well; run under a timeout.
# The first gather waits for the first scan of the empty range (its
# silent addresses are asked again after 1, 2 and 4 s): 20 s leave several
# gathers after it, so the pool counters are seen to grow.
timeout -s INT 20 "$work/telegraf" --config "$work/telegraf.conf" >"$work/telegraf.log" 2>&1 || true
if grep -E "field type conflict|Error writing to outputs" "$work/telegraf.log"; then
  echo "e2e: Telegraf reported write errors" >&2
  exit 1
fi
# The gathers are 2 s apart and the panels' interval 10 s: every bucket
# holds several gathers of each miner, which a count must not add up.
args=(-lines "$work/metrics.out" -interval 10s)
[ -n "$influx_url" ] && args+=(-influx "$influx_url" -db asic -dashboard dashboards/asic-fleet.json
  -influx-alerts alerts/grafana-influxdb.json)
args+=(-prometheus "$prom_url" -prom-dashboard dashboards/asic-fleet-prometheus.json
  -prom-alerts alerts/grafana-prometheus.json)
"$work/check" "${args[@]}" || { echo "e2e: logs in $work are removed on exit; Prometheus said:" >&2; tail -5 "$work/prometheus.log" >&2; exit 1; }

# In-tree: the plugin compiled into a copy of Telegraf's own tree, registered
# the way Telegraf registers its plugins, configured in telegraf.conf.
echo "e2e: building Telegraf v1.37.2 with inputs.asic compiled in"
tree="$work/telegraf-tree"
cp -r "$(go env GOMODCACHE)/github.com/influxdata/telegraf@v1.37.2" "$tree"
chmod -R u+w "$tree"
cat > "$tree/plugins/inputs/all/asic.go" <<'GO'
//go:build !custom || inputs || inputs.asic

package all

import _ "github.com/asicmetrics/telegraf-asic/plugins/inputs/asic" // register plugin
GO
(
  cd "$tree"
  go mod edit -require github.com/asicmetrics/telegraf-asic@v0.0.0 -replace "github.com/asicmetrics/telegraf-asic=$root"
  go build -mod=mod -tags "custom,inputs.asic,outputs.file,serializers.influx" -o "$work/telegraf-asic" ./cmd/telegraf
)
"$work/telegraf-asic" --usage asic | grep -q '^\[\[inputs.asic\]\]' || { echo "e2e: --usage asic does not print the sample" >&2; exit 1; }
{
  cat <<CONF
[agent]
  interval = "2s"
  flush_interval = "1s"
  round_interval = false
  omit_hostname = true
[[outputs.file]]
  files = ["$work/intree.out"]
  data_format = "influx"
CONF
  cat "$work/asic.conf"
} > "$work/telegraf-intree.conf"
echo "e2e: running Telegraf with [[inputs.asic]] in telegraf.conf for 10 s"
timeout -s INT 10 "$work/telegraf-asic" --config "$work/telegraf-intree.conf" >"$work/telegraf-intree.log" 2>&1 || true
"$work/check" -lines "$work/intree.out"
