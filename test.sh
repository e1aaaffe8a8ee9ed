#!/usr/bin/env bash
# Every test that needs no hardware: vet and golangci-lint, the whole suite
# (fuzz seed corpora
# included) under the race detector, each fuzz target for a few seconds, and
# the real Telegraf + InfluxDB + Prometheus pipeline end to end.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
# What the tests need from the system; .ci/run installs it. A test command
# changes nothing on the machine: it names what is missing and stops.
need() { # need COMMAND-OR-FILE DEBIAN-PACKAGE
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null ;;
  esac || { echo "test.sh: $1 is missing: apt-get install $2 (or run bash .ci/run, which installs it)" >&2; exit 1; }
}
need protoc protobuf-compiler
need /usr/include/google/protobuf/wrappers.proto libprotobuf-dev
need influxd influxdb
need prometheus prometheus
need promtool prometheus
lint="$(go env GOPATH)/bin/golangci-lint"
[ -x "$lint" ] || { echo "test.sh: $lint is missing: run bash .ci/run, which installs it" >&2; exit 1; }
"$lint" run ./...
# Generated gRPC code must match its committed generator byte for byte.
sh pkg/drivers/braiins/bosapi/check-generated.sh
go test -race -count=1 ./...
./fuzz.sh
bash e2e/telegraf.sh
