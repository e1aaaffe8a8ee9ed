#!/usr/bin/env bash
# Every test that needs no hardware: vet, the whole suite (fuzz seed corpora
# included) under the race detector, each fuzz target for a few seconds, and
# the real Telegraf + InfluxDB pipeline end to end.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
go test -race -count=1 ./...
./fuzz.sh
bash e2e/telegraf.sh
