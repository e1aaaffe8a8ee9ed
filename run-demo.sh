#!/usr/bin/env bash
# The main job with no hardware: start a simulated fleet of miners on
# loopback (real captured replies, plus a few misbehaving miners), gather it
# once with asic-execd and show the fleet as a table.
#   bash run-demo.sh          the fleet table (asic-execd --once --format table)
#   bash run-demo.sh influx   the same gather as line protocol, what Telegraf reads
set -euo pipefail
cd "$(dirname "$0")"
format=${1:-table}
case "$format" in
  table|influx) ;;
  *) echo "usage: bash run-demo.sh [table|influx]" >&2; exit 2 ;;
esac
mkdir -p bin
go build -o bin/asic-sim ./cmd/asic-sim
go build -o bin/asic-execd ./cmd/asic-execd
conf=$(mktemp)
./bin/asic-sim --testdata testdata --config-out "$conf" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$conf"' EXIT
for _ in $(seq 50); do [ -s "$conf" ] && break; sleep 0.1; done
if [ "$format" = influx ]; then
  ./bin/asic-execd --config "$conf" --once
  exit 0
fi
# The log (what each failing miner said) goes to a file so the table stays
# readable; the table's STATUS column already shows who failed.
./bin/asic-execd --config "$conf" --once --format table 2>bin/asic-execd.log
cat >&2 <<MSG

This is asic-execd --once --format table; its log ($(wc -l <bin/asic-execd.log) lines: what the
failing miners said) is in bin/asic-execd.log. For the line protocol Telegraf reads
(asic-execd's default, --format influx): bash run-demo.sh influx
MSG
