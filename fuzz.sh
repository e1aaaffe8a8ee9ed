#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZTIME, default 3s each).
# The seed corpora already run in `go test`; this explores past them. A
# crash leaves its input under the package's testdata/fuzz/: commit it with
# the fix.
set -euo pipefail
cd "$(dirname "$0")"
fuzztime=${FUZZTIME:-3s}
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 50x "$pkg" >/tmp/fuzz.$$.log 2>&1; then
      # Go's fuzz coordinator sometimes reports its own time limit as
      # "context deadline exceeded" with no failing input: not a finding.
      if grep -q "context deadline exceeded" /tmp/fuzz.$$.log && ! grep -q "Failing input written" /tmp/fuzz.$$.log; then
        echo "  (fuzzing stopped at its time limit: no failing input)"
        continue
      fi
      cat /tmp/fuzz.$$.log
      rm -f /tmp/fuzz.$$.log
      exit 1
    fi
  done
done
rm -f /tmp/fuzz.$$.log
