#!/usr/bin/env bash
# `npm run bench`: every benchmark, each figure beside a peer measured in the same run. Results in bench/results/*.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p bench/results
(cd bench && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })
./modelide --version >/dev/null   # builds the CLI/sidecar if needed

HUB_PID=""
cleanup() { [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null || true; }
trap cleanup EXIT
HUB_STATE="$(mktemp -d)"
./modelide hub --port 0 --data "$HUB_STATE" > "$HUB_STATE/url" 2> "$HUB_STATE/hub.log" &
HUB_PID=$!
for _ in $(seq 1 150); do [ -s "$HUB_STATE/url" ] && break; sleep 0.2; done
export MODELIDE_BENCH_HUB="$(head -1 "$HUB_STATE/url")"
echo "local hub for benchmarks: $MODELIDE_BENCH_HUB"

echo; echo "## Sidecar"
node bench/sidecar/rpc-bench.mjs --json bench/results/sidecar.json
for part in bench/*/run.sh; do
  [ -f "$part" ] || continue
  echo; echo "## $(basename "$(dirname "$part")")"
  bash "$part"
done

echo; echo "## Summary (every figure beside its peer from this run; also in bench/results/summary.md)"
node bench/summary.mjs --markdown bench/results/summary.md
