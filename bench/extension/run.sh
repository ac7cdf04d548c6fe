#!/usr/bin/env bash
# Extension activation time in real VS Code (code-server), as VS Code measures it, beside built-in extensions.
# Installs code-server (cached) and packages the VSIX when dist/ has none. Writes bench/results/extension.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
env_file="$(mktemp)"; trap 'rm -f "$env_file"' EXIT
MODELIDE_TEST_ENV="$env_file" bash scripts/setup/30-code-server.sh
# shellcheck disable=SC1090
. "$env_file"; export CODE_SERVER NODE24 CHROMIUM
ls dist/modelide-linux-x64-*.vsix >/dev/null 2>&1 || bash scripts/package.sh linux-x64 >/dev/null
export MODELIDE_ARTIFACTS="${MODELIDE_ARTIFACTS:-$ROOT/.build/bench-extension}"
node bench/extension/activation.cjs --json bench/results/extension.json
