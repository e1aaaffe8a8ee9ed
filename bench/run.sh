#!/usr/bin/env bash
# Farm-scale benchmark: for each fleet size, start asic-sim (real captured
# replies, live values, ~300 ms median latency with a 5-8 s tail, 2% offline,
# 1% garbage), then gather it with the plugin (every miner listed) and with a
# bare client that only does the round trips (the floor), each in its own
# process so peak RSS is its own. Prints a markdown table.
# MODES="range" runs the range mode instead: the plugin given the range
# itself, reporting its first scan (time, share of the fleet found, probes
# asked again) and the gather after it. BUSY=N runs N CPU-bound processes
# beside the benchmark. HOSTILE=0.05 makes that share of the N miners
# hostile (internal/hostile's cgminer modes, served by another process:
# asicbench -mode hostile-serve) and the rest simulated.
# Usage: [MODES=...] [BUSY=N] [HOSTILE=share] bench/run.sh [N ...]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
port=${PORT:-14028}
conc=${CONCURRENCY:-2000}
latency=${LATENCY:-300ms}
gathers=${GATHERS:-3}
modes=${MODES:-floor plugin}
busy=${BUSY:-0}
hostile=${HOSTILE:-0}
mkdir -p bin
go build -o bin/asic-sim ./cmd/asic-sim
go build -o bin/asicbench ./bench/asicbench
# The simulator and the agent each need a socket per miner in flight.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

busy_pids=()
cleanup() { for p in "${busy_pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq "$busy"); do
  nice -n 19 sh -c 'while :; do :; done' &
  busy_pids+=($!)
done

rows=()
range_rows=()
for n in "${sizes[@]}"; do
  conf=$(mktemp)
  extra=()
  nh=$(awk -v n="$n" -v s="$hostile" 'BEGIN{printf "%d", n*s}')
  hpid=
  if [ "$nh" -gt 0 ]; then
    hfile=$(mktemp -u)
    ./bin/asicbench -mode hostile-serve -hostile "$nh" -port "$port" -extra "$hfile" &
    hpid=$!
    for _ in $(seq 100); do [ -s "$hfile" ] && break; sleep 0.1; done
    extra=(-extra "$hfile")
  fi
  ./bin/asic-sim -n "$((n - nh))" -port "$port" -latency "$latency" -refuse 0 -config-out "$conf" 2>/dev/null &
  sim=$!
  for _ in $(seq 100); do [ -s "$conf" ] && break; sleep 0.1; done
  range=$(grep -m1 -oE '"127\.1\.[0-9.]+-[0-9.]+"' "$conf" | tr -d '"')
  for mode in $modes; do
    while read -r line; do
      if [ "$mode" = range ]; then range_rows+=("$line"); else rows+=("$line"); fi
      echo "$line" >&2
    done < <(./bin/asicbench -mode "$mode" -miners "$range" -port "$port" -concurrency "$conc" -gathers "$gathers" "${extra[@]}")
  done
  kill "$sim"; wait "$sim" 2>/dev/null || true
  if [ -n "$hpid" ]; then kill "$hpid"; wait "$hpid" 2>/dev/null || true; rm -f "$hfile"; fi
  rm -f "$conf"
  sleep 2 # let TIME_WAIT sockets of the last run drain a little
done

if [ ${#range_rows[@]} -gt 0 ]; then
  echo
  echo "| miners | busy processes | scan s | found | share found | retried | gather s | asic_status | success | peak RSS MB |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for r in "${range_rows[@]}"; do
    echo "$r" | awk -v busy="$busy" '{for(i=1;i<=NF;i++){split($i,kv,"=");v[kv[1]]=kv[2]} printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", v["miners"], busy, v["scan_s"], v["found"], v["share"], v["retried"], v["gather_s"], v["status"], v["ok"], v["rss_mb"]}'
  done
fi
[ ${#rows[@]} -gt 0 ] || exit 0
echo
echo "| mode | miners | gather | wall s | CPU s | peak RSS MB | miners/s | p50 s | p99 s | ok |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do
  echo "$r" | awk '{for(i=1;i<=NF;i++){split($i,kv,"=");v[kv[1]]=kv[2]} printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", v["mode"], v["miners"], v["gather"], v["wall_s"], v["cpu_s"], v["rss_mb"], v["miners_per_s"], v["p50_s"], v["p99_s"], v["ok"]}'
done
