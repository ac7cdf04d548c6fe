#!/usr/bin/env bash
# Runs the inference benchmark: installs the onnxruntime-node baseline (CPU binaries ship in the package; the
# install script, which fetches CUDA bits, is skipped), then the C# benchmark, which writes bench/results/inference.json.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -d "$HERE/node/node_modules/onnxruntime-node" ]; then
  (cd "$HERE/node" && npm install --no-audit --no-fund --ignore-scripts)
fi
exec dotnet run -c Release --project "$HERE/ModelIde.Bench.Inference" -- "$@"
