#!/usr/bin/env bash
# Inference benchmark, self-contained from a clean clone: installs the onnxruntime-node baseline (its CPU binaries ship
# in the package; the install script, which fetches CUDA bits, is skipped), generates the random-weight 173 M
# Qwen2-shaped model into bench/.models/ once, as a plain fp32 export and in the GenAI builder's int4 shape (reused
# while their settings match), then runs the C# benchmark, which rotates ModelIde, the node loop and ONNX Runtime GenAI
# on every model and writes bench/results/inference.json; then bench/inference/sidecar-rss.mjs adds the sidecar's peak
# RSS while it generates each model. Arguments go to the benchmark
# (--threads N, --runs N, --new-tokens N, --large-new-tokens N, --models tiny,large,large-int4, --no-genai, ...).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
if [ ! -d "$HERE/node/node_modules/onnxruntime-node" ]; then
  (cd "$HERE/node" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
dotnet run -c Release --project "$ROOT/bench/models/GenerateQwen2" -- \
  --out "$ROOT/bench/.models/qwen2-random" --from "$ROOT/models/tiny-stdlib-coder"
# The same weights in the GenAI builder's CPU int4 shape (MatMulNBits + GroupQueryAttention + shared KV buffer).
dotnet run -c Release --no-build --project "$ROOT/bench/models/GenerateQwen2" -- \
  --out "$ROOT/bench/.models/qwen2-random-int4" --from "$ROOT/models/tiny-stdlib-coder" --layout genai-int4
echo "uptime: $(uptime)"
dotnet run -c Release --project "$HERE/ModelIde.Bench.Inference" -- "$@"
# The sidecar's own peak RSS while it generates each model (the playground's process), beside the CLI's figure above.
case " $* " in *" --no-peak-rss "*) ;; *)
  [ -d "$ROOT/bench/node_modules" ] || (cd "$ROOT/bench" && npm ci --no-audit --no-fund --loglevel=error)
  node "$HERE/sidecar-rss.mjs" --results "$ROOT/bench/results/inference.json";;
esac
