#!/usr/bin/env bash
# Stops hub/code-server processes an interrupted e2e run left behind (the tests stop their own on success).
# Only the process ids the tests recorded, with their descendants; never by name.
set -uo pipefail
dir="${MODELIDE_STATE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.build/test-state}/e2e-pids"
[ -d "$dir" ] || exit 0
tree() { local p; for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$p"; done; echo "$1"; }
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  pid=$(basename "$f")
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    for p in $(tree "$pid"); do kill "$p" 2>/dev/null || true; done
    sleep 3; for p in $(tree "$pid"); do kill -9 "$p" 2>/dev/null || true; done
  fi
  rm -f "$f"
done
