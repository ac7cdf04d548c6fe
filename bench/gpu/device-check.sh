#!/usr/bin/env bash
# Ran on an NVIDIA H200 on 2026-12-04 (bench/gpu/README.md has the figures). On a GPU machine, after the pieces from
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
[ -d "$WORK/sidecar" ] || [ ! -f "$CARRY/bundle-sidecar.tar.xz" ] || tar -C "$WORK" -xJf "$CARRY/bundle-sidecar.tar.xz"
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

# ModelIde's figures come from `infer --json` (decode tok/s after the first token, time to the first token, load time
# including the GPU warm-up, where the KV cache lived), the plain loop's from its own JSON: the same measures.
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$2"; }
row() { printf '%-19s %-6s %-9s %13s %12s %9s %-6s %s\n' "$@" | tee -a "$WORK/summary.txt"; }
: > "$WORK/summary.txt"
row model device runner "decode tok/s" "first token" "load" "kv" "same ids"
for m in "$ROOT/models/tiny-stdlib-coder" "$large" "$large16"; do
  name=$(basename "$m")
  raw=$(sed -n 's/.*"prompt": *"\(import os[^"]*\)".*/\1/p' "$ROOT/models/tiny-stdlib-coder/reference.json" | head -1)
  # printf -v keeps the prompt's trailing newlines ($(...) would strip them, and the plain loop, which reads the
  # reference's prompt ids, would then be given a different prompt than ModelIde).
  printf -v prompt '%b' "$raw"
  for device in auto cpu; do
    j="$WORK/$name.$device.json"
    "$CLI" infer --model "$m" --prompt "$prompt" --max-new-tokens "$NEW_TOKENS" --device "$device" --json > "$j" 2> "$WORK/$name.$device.err"
    "$CLI" infer --model "$m" --prompt "$prompt" --max-new-tokens "$NEW_TOKENS" --device "$device" > /dev/null 2> "$WORK/$name.$device.txt"
    row "$name" "$(field device "$j")" modelide "$(field decode_tokens_per_second "$j")" "$(field first_token_ms "$j") ms" "$(field load_ms "$j") ms" "$(field kv_cache "$j")" "-"
    grep '^device:\|tokens/s' "$WORK/$name.$device.txt" >&2
  done
  for cuda in --cuda ""; do
    p="$WORK/$name.plain${cuda:+-cuda}.json"
    "$WORK/PlainOrtLoop/ModelIde.Bench.PlainOrtLoop" --model "$m" --reference "$ROOT/models/tiny-stdlib-coder/reference.json" --case 1 \
      --new-tokens "$NEW_TOKENS" --ort "$pack/libonnxruntime.so" --preload "$preload" $cuda --compare "$WORK/$name.$([ -n "$cuda" ] && echo auto || echo cpu).json" > "$p"
    row "$name" "$([ -n "$cuda" ] && echo cuda || echo cpu)" plain "$(field decode_tokens_per_second "$p")" "$(field first_token_ms "$p") ms" "$(field load_ms "$p") ms" "-" "$(field same_ids_as_modelide "$p")"
  done
done

# The model must fit in free GPU memory: with all but 500 MiB of it taken by another process (PyTorch, as on a shared
# server), auto must run the 709 MB model on the CPU and say why, and the tiny one still on the GPU.
if [ -z "${MODELIDE_GPU_CHECK_DRY_RUN:-}" ] && python3 -c 'import torch' 2>/dev/null; then
  log "GPU memory taken by another process"
  rm -f /tmp/gpu-hog.ready
  python3 -c 'import torch,time; free,_=torch.cuda.mem_get_info(); x=torch.empty(free-(500<<20),dtype=torch.uint8,device="cuda"); open("/tmp/gpu-hog.ready","w").write(str(free)); time.sleep(90)' &
  hog=$!
  for _ in $(seq 60); do [ -f /tmp/gpu-hog.ready ] && break; sleep 1; done
  nvidia-smi --query-gpu=memory.used,memory.free --format=csv,noheader | sed 's/^/nvidia-smi with the hog: /' >&2
  for m in "$large" "$ROOT/models/tiny-stdlib-coder"; do
    name=$(basename "$m")
    "$CLI" infer --model "$m" --prompt "$prompt" --max-new-tokens 8 --device auto --json > "$WORK/$name.crowded.json" 2> "$WORK/$name.crowded.err"
    echo "crowded GPU, $name: device $(field device "$WORK/$name.crowded.json"): $(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' "$WORK/$name.crowded.json")" | tee -a "$WORK/summary.txt"
  done
  kill $hog 2>/dev/null; wait $hog 2>/dev/null
fi

# The playground's path: the sidecar process over JSON-RPC, as the extension starts it.
if [ -x "$WORK/sidecar/modelide-sidecar" ]; then
  log "sidecar (the playground's path)"
  python3 "$ROOT/bench/gpu/sidecar-check.py" "$WORK/sidecar/modelide-sidecar" "$WORK" "$prompt" "$NEW_TOKENS" "$ROOT/models/tiny-stdlib-coder" "$large16" 2>&1 | tee -a "$WORK/summary.txt"
fi

# The device tool brings back at most 8 files: one archive of every answer, and the summary beside it.
[ -n "${OUT:-}" ] && (cd "$WORK" && tar -czf "$OUT/gpu-check.tar.gz" ./*.json ./*.txt ./*.err && cp summary.txt "$OUT"/) 2>/dev/null
exit 0
