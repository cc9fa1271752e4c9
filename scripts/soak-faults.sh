#!/usr/bin/env bash
# Opt-in soak of the fault scenarios (issue 17): runs test/faults/ repeatedly (default 5 rounds,
# SOAK_ROUNDS=n) and stops at the first round where the history checker or a scenario fails; each
# round's [faults] summary lines (acks, longest ack gap, failover times) are printed. Needs root
# and Linux network namespaces (test/faults/netns.ts). Usage: npm run soak:faults
set -uo pipefail
cd "$(dirname "$0")/.."
npm run build --silent || exit 1
rounds="${SOAK_ROUNDS:-5}"
log="$(mktemp -t runnel-soak-XXXXXX.log)"
for i in $(seq 1 "$rounds"); do
  echo "== soak round $i/$rounds"
  npx vitest run test/faults/ >"$log" 2>&1
  rc=$?
  grep -E '\[faults\]|Test Files' "$log"
  if [ "$rc" -ne 0 ]; then echo "round $i failed (full output: $log)"; exit 1; fi
done
rm -f "$log"
