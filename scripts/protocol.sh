#!/usr/bin/env bash
# The sidecar contract's one source is backend/ModelIde.Protocol. This writes (default) or checks (--check) what is
# generated from it: extension/src/sidecar/protocol.generated.ts and the tables of docs/protocol.md. The generator,
# tools/ModelIde.ProtocolGen, is built into .build/protocol-gen when its sources or the Protocol's change.
#   scripts/protocol.sh [--check]      generate, or fail (exit 1) when the committed files are stale
#   scripts/protocol.sh samples        sample messages for the extension's round-trip test (JSON on stdout)
#   scripts/protocol.sh roundtrip      reads them back from stdin; exit 1 when one does not come back as sent
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.build/protocol-gen"
DLL="$OUT/ModelIde.ProtocolGen.dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
stale() {
  [ ! -f "$DLL" ] && return 0
  [ -n "$(find "$ROOT/backend/ModelIde.Protocol" "$ROOT/tools/ModelIde.ProtocolGen" "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props" \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -not -path '*/obj/*' -not -path '*/bin/*' -newer "$DLL" -print -quit)" ]
}
if stale; then
  mkdir -p "$OUT"
  # Tests and builds may run this at once: one build at a time.
  exec 8>"$OUT.lock"
  flock 8
  if stale; then
    echo "protocol: building the generator..." >&2
    dotnet build "$ROOT/tools/ModelIde.ProtocolGen/ModelIde.ProtocolGen.csproj" -c Release -o "$OUT" -nologo -v q -clp:ErrorsOnly >&2
    touch "$DLL"
  fi
  exec 8>&-
fi
case "${1:-write}" in
  write) exec dotnet "$DLL" write --root "$ROOT" ;;
  --check|check) exec dotnet "$DLL" check --root "$ROOT" ;;
  samples|roundtrip) exec dotnet "$DLL" "$1" ;;
  *) echo "usage: scripts/protocol.sh [--check|samples|roundtrip]" >&2; exit 2 ;;
esac
