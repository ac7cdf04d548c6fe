#!/usr/bin/env bash
# Extension tests in plain Node (no VS Code), in two tiers like vscode-csharp's: unit (pure logic, no process, no
# patched module loader) and integration (the compiled extension activated against a stub `vscode` and a stand-in
# sidecar process; the sidecar client against the real sidecar, .build/cli/modelide-sidecar.dll, built here through
# ./modelide).
# Builds the bundle (which checks the generated protocol is current), compiles the tests with tsc, runs node --test.
set -uo pipefail
ROOT="${MODELIDE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
COUNTS="${MODELIDE_TEST_COUNTS:-/dev/null}"
ARTIFACTS="${MODELIDE_ARTIFACTS:-$ROOT/test-results}"
mkdir -p "$ARTIFACTS"

fail() { echo "extension tests: $1" >&2; echo "0 1" >> "$COUNTS"; exit 1; }

"$ROOT/modelide" --version > /dev/null || echo "warning: the CLI did not build; the real-sidecar test will be skipped" >&2
cd "$ROOT/extension" || fail "no extension folder"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
fi
npm run --silent build || fail "build failed"

status=0
for tier in unit integration; do
  log="$ARTIFACTS/extension-$tier.log"
  MODELIDE_ROOT="$ROOT" npm run --silent "test:$tier" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log" | tail -1)
  failed=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log" | tail -1)
  if [ -z "$pass" ] || [ -z "$failed" ]; then
    echo "extension $tier tests: no test summary in $log" >&2
    pass=${pass:-0}; failed=$(( ${failed:-0} > 0 ? failed : 1 ))
  fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "$pass $failed" >> "$COUNTS"
  grep -E '^ *not ok ' "$log" | sed "s/^ */extension-$tier: /" >> "${MODELIDE_FAILURES:-/dev/null}"
  echo "extension $tier tests: $pass passed, $failed failed"
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] || status=1
done
exit $status
