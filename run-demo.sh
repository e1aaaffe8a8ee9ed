#!/usr/bin/env bash
# The main job with no hardware: start a simulated fleet of miners on
# loopback (real captured replies, plus a few misbehaving miners), gather it
# once with asic-execd and print the line protocol.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin
go build -o bin/asic-sim ./cmd/asic-sim
go build -o bin/asic-execd ./cmd/asic-execd
conf=$(mktemp)
./bin/asic-sim --testdata testdata --config-out "$conf" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$conf"' EXIT
for _ in $(seq 50); do [ -s "$conf" ] && break; sleep 0.1; done
./bin/asic-execd --config "$conf" --once
