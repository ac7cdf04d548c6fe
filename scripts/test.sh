#!/usr/bin/env bash
# Runs every test the project has: installs and starts what they need (scripts/setup/*.sh), runs each stage
# (scripts/test.d/*.sh), stops the services (scripts/teardown/*.sh), and prints 'N passed, N failed'.
# Each stage appends "passed failed" counts to $MODELIDE_TEST_COUNTS and exits non-zero on failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export MODELIDE_ROOT="$ROOT"
export MODELIDE_STATE="${MODELIDE_STATE:-$ROOT/.build/test-state}"
export MODELIDE_TEST_ENV="$MODELIDE_STATE/env.sh"
export MODELIDE_TEST_COUNTS="$MODELIDE_STATE/counts.txt"
export MODELIDE_FAILURES="$MODELIDE_STATE/failures.txt"   # stages append "stage: test" lines for the digest
export MODELIDE_ARTIFACTS="${MODELIDE_ARTIFACTS:-$ROOT/test-results}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$MODELIDE_STATE" "$MODELIDE_ARTIFACTS"
: > "$MODELIDE_TEST_ENV"; : > "$MODELIDE_TEST_COUNTS"; : > "$MODELIDE_FAILURES"
ONLY="${MODELIDE_TEST_ONLY:-}"   # e.g. MODELIDE_TEST_ONLY=dotnet runs only stages whose name contains it

teardown() {
  for t in "$ROOT"/scripts/teardown/*.sh; do [ -f "$t" ] && bash "$t" || true; done
}
trap teardown EXIT

status=0
for s in "$ROOT"/scripts/setup/*.sh; do
  [ -f "$s" ] || continue
  echo "== setup: $(basename "$s")"
  if ! bash "$s"; then echo "setup $(basename "$s") failed" >&2; status=1; fi
done
# shellcheck disable=SC1090
source "$MODELIDE_TEST_ENV"

for t in "$ROOT"/scripts/test.d/*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  if [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]]; then continue; fi
  echo "== test stage: $name"
  start=$(date +%s)
  if ! bash "$t"; then echo "== stage $name FAILED" >&2; status=1; fi
  echo "== stage $name took $(( $(date +%s) - start )) s"
done

passed=0; failed=0
while read -r p f; do passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); done < "$MODELIDE_TEST_COUNTS"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ -s "$MODELIDE_FAILURES" ]; then echo "== failed tests:"; head -n 60 "$MODELIDE_FAILURES"; fi
echo "$passed passed, $failed failed"
exit $status
