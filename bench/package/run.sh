#!/usr/bin/env bash
# The VSIX and the sidecar as shipped (trimmed, scripts/publish-sidecar.sh) beside two peers in one run: the same
# sidecar untrimmed (before trimming) and the `modelide` CLI (the sidecar before it stopped carrying the local hub:
# `modelide serve` with ASP.NET Core, OpenIddict and EF Core), all self-contained and ReadyToRun; packages a linux-x64
# VSIX around each and times the cold start of the three in turns. Writes bench/results/package.json. Needs the
# extension's node_modules and the publish tools of scripts/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RID=linux-x64
WORK="$ROOT/.build/bench/package"
mkdir -p "$WORK"

bash scripts/publish-sidecar.sh "$RID"
MODELIDE_PUBLISH_TRIMMED=false MODELIDE_PUBLISH_OUT="$WORK/untrimmed" bash scripts/publish-sidecar.sh "$RID"
MODELIDE_PUBLISH_TRIMMED=false MODELIDE_PUBLISH_PROJECT=backend/ModelIde.Cli/ModelIde.Cli.csproj MODELIDE_PUBLISH_EXE=modelide \
  MODELIDE_PUBLISH_OUT="$WORK/cli" bash scripts/publish-sidecar.sh "$RID"

new_vsix=$(MODELIDE_SKIP_SIDECAR_PUBLISH=1 MODELIDE_PACKAGE_OUT="$WORK/modelide-$RID.vsix" bash scripts/package.sh "$RID" | tail -1)
untrimmed_vsix=$(MODELIDE_PACKAGE_SIDECAR_DIR="$WORK/untrimmed/$RID" MODELIDE_PACKAGE_OUT="$WORK/modelide-untrimmed-$RID.vsix" \
  bash scripts/package.sh "$RID" | tail -1)
old_vsix=$(MODELIDE_PACKAGE_SIDECAR_DIR="$WORK/cli/$RID" MODELIDE_PACKAGE_SIDECAR_EXE=modelide MODELIDE_PACKAGE_OUT="$WORK/modelide-with-hub-$RID.vsix" \
  bash scripts/package.sh "$RID" | tail -1)

node bench/package/run.mjs --new ".build/sidecar/$RID" --untrimmed "$WORK/untrimmed/$RID" --old "$WORK/cli/$RID" \
  --new-vsix "$new_vsix" --untrimmed-vsix "$untrimmed_vsix" --old-vsix "$old_vsix" --json bench/results/package.json
