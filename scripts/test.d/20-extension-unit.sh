#!/usr/bin/env bash
# Extension unit tests in plain Node (no VS Code): builds the bundle, compiles the tests with tsc, runs node --test.
# The sidecar supervision tests start the real sidecar (.build/cli/modelide.dll), built here through ./modelide.
set -uo pipefail
ROOT="${MODELIDE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
COUNTS="${MODELIDE_TEST_COUNTS:-/dev/null}"
ARTIFACTS="${MODELIDE_ARTIFACTS:-$ROOT/test-results}"
mkdir -p "$ARTIFACTS"
log="$ARTIFACTS/extension-unit.log"

fail() { echo "extension unit tests: $1" >&2; echo "0 1" >> "$COUNTS"; exit 1; }

"$ROOT/modelide" --version > /dev/null || echo "warning: the CLI did not build; the real-sidecar test will be skipped" >&2
cd "$ROOT/extension" || fail "no extension folder"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
fi
npm run --silent build || fail "build failed"
MODELIDE_ROOT="$ROOT" npm run --silent test:unit 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log" | tail -1)
failed=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log" | tail -1)
if [ -z "$pass" ] || [ -z "$failed" ]; then
  fail "no test summary in $log"
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$pass $failed" >> "$COUNTS"
grep -E '^ *not ok ' "$log" | sed 's/^ */extension-unit: /' >> "${MODELIDE_FAILURES:-/dev/null}"
echo "extension unit tests: $pass passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
