#!/usr/bin/env bash
# Builds the .NET solution, regenerates the extension's protocol types from backend/ModelIde.Protocol, and builds the
# extension bundle.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
dotnet build ModelIde.sln -c Release -nologo -v q -clp:ErrorsOnly
bash scripts/protocol.sh
if [ -f extension/package.json ]; then
  (cd extension && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)
fi
