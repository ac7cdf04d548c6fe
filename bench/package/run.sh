#!/usr/bin/env bash
# The VSIX and the sidecar before and after the sidecar stopped carrying the local hub, in one run: publishes
# modelide-sidecar (what ships) and, as the peer, the `modelide` CLI (the sidecar before: `modelide serve` with ASP.NET
# Core, OpenIddict and EF Core) with the same options, packages a linux-x64 VSIX around each, and times the cold start
# of both. Writes bench/results/package.json. Needs the extension's node_modules and the publish tools of scripts/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RID=linux-x64
WORK="$ROOT/.build/bench/package"
mkdir -p "$WORK"

bash scripts/publish-sidecar.sh "$RID"
MODELIDE_PUBLISH_PROJECT=backend/ModelIde.Cli/ModelIde.Cli.csproj MODELIDE_PUBLISH_EXE=modelide MODELIDE_PUBLISH_OUT="$WORK/cli" \
  bash scripts/publish-sidecar.sh "$RID"

new_vsix=$(MODELIDE_SKIP_SIDECAR_PUBLISH=1 MODELIDE_PACKAGE_OUT="$WORK/modelide-$RID.vsix" bash scripts/package.sh "$RID" | tail -1)
old_vsix=$(MODELIDE_PACKAGE_SIDECAR_DIR="$WORK/cli/$RID" MODELIDE_PACKAGE_SIDECAR_EXE=modelide MODELIDE_PACKAGE_OUT="$WORK/modelide-with-hub-$RID.vsix" \
  bash scripts/package.sh "$RID" | tail -1)

node bench/package/run.mjs --new ".build/sidecar/$RID" --old "$WORK/cli/$RID" --new-vsix "$new_vsix" --old-vsix "$old_vsix" \
  --json bench/results/package.json
