#!/usr/bin/env bash
# Every test that needs no hardware: vet, the whole suite (fuzz seed corpora
# included) under the race detector, each fuzz target for a few seconds, and
# the real Telegraf + InfluxDB pipeline end to end.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
# Generated gRPC code must match its committed generator byte for byte.
if ! command -v protoc >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y --no-install-recommends protobuf-compiler >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends protobuf-compiler >/dev/null; }
fi
sh pkg/drivers/braiins/bosapi/check-generated.sh
go test -race -count=1 ./...
./fuzz.sh
bash e2e/telegraf.sh
