#!/usr/bin/env bash
# Builds the .NET solution and (when present) the extension bundle.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
dotnet build ModelIde.sln -c Release -nologo -v q -clp:ErrorsOnly
if [ -f extension/package.json ]; then
  (cd extension && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)
fi
