#!/usr/bin/env bash
# .NET unit and integration tests (xunit), against the real local hub, sshd and Slurm started by scripts/setup.
set -uo pipefail
cd "$MODELIDE_ROOT"
dotnet build ModelIde.sln -c Release -nologo -v q -clp:ErrorsOnly || { echo "0 1" >> "$MODELIDE_TEST_COUNTS"; exit 1; }
# The launcher tests (ModelIde.Cli.Tests) run ./modelide, which rebuilds .build/cli and the native CLI when sources
# are newer (the native one takes a few minutes on two cores): build both now, so no test times a build.
"$MODELIDE_ROOT/modelide" --version > /dev/null || { echo "0 1" >> "$MODELIDE_TEST_COUNTS"; exit 1; }
rc=0
rm -f "$MODELIDE_ARTIFACTS/fuzz-counts.txt"
# run_tests NAME PROJECT [dotnet test arguments...]
run_tests() {
  local name=$1 proj=$2; shift 2
  local log="$MODELIDE_ARTIFACTS/$name.log"
  timeout 2400 dotnet test "$proj" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$MODELIDE_ARTIFACTS" "$@" 2>&1 | tee "$log"
  local code=${PIPESTATUS[0]}
  [ "$code" -eq 0 ] || rc=1
  local line p f
  line=$(grep -E '(Passed|Failed)!  - Failed:' "$log" | tail -1)
  p=$(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<< "$line"); f=$(sed -nE 's/.*Failed: +([0-9]+),.*/\1/p' <<< "$line")
  # A project with no tests yet passes with nothing counted; a crash without a summary counts as a failure.
  if [ -z "$line" ]; then p=0; f=$([ "$code" -eq 0 ] && echo 0 || echo 1); fi
  echo "${p:-0} ${f:-0}" >> "$MODELIDE_TEST_COUNTS"
  # Name each failed test with the first lines of its message, so the end of the run says what broke.
  awk -v proj="$name" '
    /^  Failed .* \[[^]]*\]$/ { t = $0; sub(/^  Failed /, "", t); sub(/ \[[^]]*\]$/, "", t); print proj ": " t; n = 4; next }
    n > 0 && /Error Message:|Stack Trace:/ { if ($0 ~ /Stack/) n = 0; next }
    n > 0 && NF { sub(/^ +/, "    "); print; n--; next }
  ' "$log" >> "$MODELIDE_FAILURES"
}
for proj in tests/*/*.Tests.csproj; do
  run_tests "$(basename "$proj" .csproj)" "$proj"
done
# The CLI tests once more on the native build the launcher made (what ./modelide runs): JSON metadata, reflection and
# native libraries that only the AOT build can get wrong. The launcher's own tests already ran it.
NATIVE_CLI="$MODELIDE_ROOT/.build/cli-native/modelide"
if [ -x "$NATIVE_CLI" ]; then
  MODELIDE_TEST_CLI_EXE="$NATIVE_CLI" run_tests ModelIde.Cli.Tests.native tests/ModelIde.Cli.Tests/ModelIde.Cli.Tests.csproj \
    --filter "FullyQualifiedName!~ModelIde.Cli.Tests.Launcher"
else
  echo "== no native CLI was built (.build/cli-native.log): ./modelide runs the .NET build, tested above"
fi
if [ -f "$MODELIDE_ARTIFACTS/fuzz-counts.txt" ]; then echo "== fuzz cases run:"; cat "$MODELIDE_ARTIFACTS/fuzz-counts.txt"; fi
exit $rc
