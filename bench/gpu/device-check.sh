#!/usr/bin/env bash
# NOT RUN: no NVIDIA GPU was available to the task that wrote it. On a GPU machine, after the pieces from
# bench/gpu/prepare-carry.sh were carried into .build/gpu-carry/, this checks the GPU path end to end and prints
# numbers against a peer measured in the same run:
#   1. `modelide gpu enable --source <joined nupkg>` (SHA-256/SHA-512 pinned) and `modelide devices` (must name the
#      GPU and end "running on CUDA")
#   2. tiny-stdlib-coder and the 173 M-parameter generated Qwen2-shaped decoder, in float32 and in float16 (GenerateQwen2
#      --layout plain-fp16: weights, KV cache, activations and logits in float16): `modelide infer --device auto --json`
#      must report device "gpu" and give the same greedy ids as a plain ONNX Runtime CUDA loop (bench/gpu/PlainOrtLoop)
#   3. decode tok/s and first-token latency on CUDA vs CPU, ModelIde vs the plain loop, same model, same prompt
# MODELIDE_GPU_CHECK_DRY_RUN=1 runs it where there is no GPU (the pack is installed with --force and everything answers
# on CPU; the plain loop's --cuda rows fail): a check of the script and the bundles themselves, not of the GPU.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$ROOT/.build/gpu-carry"
WORK="${MODELIDE_GPU_CHECK_DIR:-/tmp/modelide-gpu-check}"
NEW_TOKENS="${NEW_TOKENS:-128}"
mkdir -p "$WORK"
export MODELIDE_RUNTIMES_DIR="$WORK/runtimes" HOME="${HOME:-$WORK}"
log() { echo "== $*" >&2; }

[ -x "$WORK/linux-x64/modelide" ] || tar -C "$WORK" -xJf "$CARRY/bundle-cli.tar.xz"
[ -d "$WORK/PlainOrtLoop" ] || tar -C "$WORK" -xJf "$CARRY/bundle-tools.tar.xz"
CLI="$WORK/linux-x64/modelide"
# A trimmed working tree may leave the tiny model's weights behind (prepare-carry.sh stages them as tiny-model.onnx).
[ -f "$ROOT/models/tiny-stdlib-coder/model.onnx" ] || cp "$CARRY/tiny-model.onnx" "$ROOT/models/tiny-stdlib-coder/model.onnx"
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.free --format=csv 2>&1 | sed 's/^/nvidia-smi: /' >&2 || true

log "GPU runtime pack"
mkdir -p "$WORK/feed"
cat "$CARRY"/nupkg.part-* > "$WORK/feed/microsoft.ml.onnxruntime.gpu.linux.1.31.0.nupkg"
"$CLI" gpu enable --source "$WORK/feed" ${MODELIDE_GPU_CHECK_DRY_RUN:+--force} || exit 1
"$CLI" devices | tee "$WORK/devices.txt"
grep -q "running on CUDA" "$WORK/devices.txt" || log "devices does not say 'running on CUDA': see the sentence above"
pack="$MODELIDE_RUNTIMES_DIR/microsoft.ml.onnxruntime.gpu.linux.1.31.0.linux-x64"
# The CUDA libraries ModelIde found, in its load order, for the plain loop.
preload=$(sed -n 's/^Note: CUDA library [^:]*: \(.*\) (.*)$/\1/p' "$WORK/devices.txt" | paste -sd, -)

large="$WORK/models/qwen2-random"
[ -f "$large/model.onnx" ] || "$WORK/GenerateQwen2/ModelIde.Bench.GenerateQwen2" --out "$large" --from "$ROOT/models/tiny-stdlib-coder" >&2
large16="$WORK/models/qwen2-random-fp16"
[ -f "$large16/model.onnx" ] || "$WORK/GenerateQwen2/ModelIde.Bench.GenerateQwen2" --out "$large16" --layout plain-fp16 --from "$ROOT/models/tiny-stdlib-coder" >&2

printf '%-19s %-6s %-9s %12s %14s %s\n' model device runner "tok/s" "first token" "same ids" | tee "$WORK/summary.txt"
for m in "$ROOT/models/tiny-stdlib-coder" "$large" "$large16"; do
  name=$(basename "$m")
  raw=$(sed -n 's/.*"prompt": *"\(import os[^"]*\)".*/\1/p' "$ROOT/models/tiny-stdlib-coder/reference.json" | head -1)
  # printf -v keeps the prompt's trailing newlines ($(...) would strip them, and the plain loop, which reads the
  # reference's prompt ids, would then be given a different prompt than ModelIde).
  printf -v prompt '%b' "$raw"
  for device in auto cpu; do
    "$CLI" infer --model "$m" --prompt "$prompt" --max-new-tokens "$NEW_TOKENS" --device "$device" --json > "$WORK/$name.$device.json" 2> "$WORK/$name.$device.err"
    "$CLI" infer --model "$m" --prompt "$prompt" --max-new-tokens "$NEW_TOKENS" --device "$device" > /dev/null 2> "$WORK/$name.$device.txt"
    tps=$(sed -n 's/.* \([0-9.]*\) tokens\/s.*/\1/p' "$WORK/$name.$device.txt"); ftl=$(sed -n 's/.*first token after \([0-9]*\) ms.*/\1 ms/p' "$WORK/$name.$device.txt")
    dev=$(sed -n 's/.*"device":"\([a-z]*\)".*/\1/p' "$WORK/$name.$device.json")
    printf '%-19s %-6s %-9s %12s %14s %s\n' "$name" "$dev" modelide "$tps" "$ftl" "-" | tee -a "$WORK/summary.txt"
    grep '^device:' "$WORK/$name.$device.txt" >&2
  done
  for cuda in --cuda ""; do
    out=$("$WORK/PlainOrtLoop/ModelIde.Bench.PlainOrtLoop" --model "$m" --reference "$ROOT/models/tiny-stdlib-coder/reference.json" --case 1 \
      --new-tokens "$NEW_TOKENS" --ort "$pack/libonnxruntime.so" --preload "$preload" $cuda --compare "$WORK/$name.$([ -n "$cuda" ] && echo auto || echo cpu).json")
    echo "$out" > "$WORK/$name.plain${cuda:+-cuda}.json"
    printf '%-19s %-6s %-9s %12s %14s %s\n' "$name" "$([ -n "$cuda" ] && echo cuda || echo cpu)" plain \
      "$(sed -n 's/.*"decode_tokens_per_second":\([0-9.]*\).*/\1/p' <<< "$out")" "$(sed -n 's/.*"first_token_ms":\([0-9.]*\).*/\1 ms/p' <<< "$out")" \
      "$(sed -n 's/.*"same_ids_as_modelide":\([a-z]*\).*/\1/p' <<< "$out")" | tee -a "$WORK/summary.txt"
  done
done
# The device tool brings back at most 8 files: one archive of every answer, and the summary beside it.
[ -n "${OUT:-}" ] && (cd "$WORK" && tar -czf "$OUT/gpu-check.tar.gz" ./*.json ./*.txt ./*.err && cp summary.txt "$OUT"/) 2>/dev/null
exit 0
