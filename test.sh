#!/usr/bin/env bash
# Every test that needs no hardware: vet, the whole suite (fuzz seed corpora
# included) under the race detector, then each fuzz target for a few seconds.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
go test -race -count=1 ./...
./fuzz.sh
