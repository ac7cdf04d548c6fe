#!/usr/bin/env bash
# `./modelide infer` against a plain ONNX Runtime loop (bench/gpu/PlainOrtLoop) on decoders written by
# bench/models/GenerateQwen2, float32 and float16, on the CPU: the same tools, prompt handling and comparison that
# bench/gpu/device-check.sh runs on a GPU machine, where device time is too short to find out they are broken. The
# models are small (2 layers, hidden 128) so the stage costs the two builds and a few seconds.
set -uo pipefail
cd "$MODELIDE_ROOT"
work="$MODELIDE_STATE/generated-decoders"
rm -rf "$work"; mkdir -p "$work"
passed=0; failed=0
for p in bench/models/GenerateQwen2 bench/gpu/PlainOrtLoop; do
  if ! dotnet build "$p" -c Release -nologo -v q -clp:ErrorsOnly > "$work/build-$(basename "$p").log" 2>&1; then
    cat "$work/build-$(basename "$p").log"; echo "0 1" >> "$MODELIDE_TEST_COUNTS"; exit 1
  fi
done
generate="bench/models/GenerateQwen2/bin/Release/net10.0/ModelIde.Bench.GenerateQwen2.dll"
plain="bench/gpu/PlainOrtLoop/bin/Release/net10.0/ModelIde.Bench.PlainOrtLoop.dll"
reference="models/tiny-stdlib-coder/reference.json"
# As device-check.sh takes it: reference case 1's prompt, trailing newlines kept.
raw=$(sed -n 's/.*"prompt": *"\(import os[^"]*\)".*/\1/p' "$reference" | head -1)
printf -v prompt '%b' "$raw"
for layout in plain plain-fp16; do
  model="$work/$layout"
  dotnet "$generate" --out "$model" --layout "$layout" --from models/tiny-stdlib-coder \
    --hidden 128 --layers 2 --heads 4 --kv-heads 2 --intermediate 256 > "$work/$layout.generate.log" 2>&1
  ./modelide infer --model "$model" --prompt "$prompt" --max-new-tokens 24 --device cpu --json > "$work/$layout.modelide.json" 2> "$work/$layout.modelide.err"
  dotnet "$plain" --model "$model" --reference "$reference" --case 1 --new-tokens 24 \
    --compare "$work/$layout.modelide.json" > "$work/$layout.plain.json" 2> "$work/$layout.plain.err"
  if grep -q '"same_ids_as_modelide":true' "$work/$layout.plain.json"; then
    echo "ok - $layout: modelide infer and the plain ONNX Runtime loop give the same 24 greedy ids"
    passed=$((passed + 1))
  else
    echo "not ok - $layout: modelide infer and the plain ONNX Runtime loop disagree"
    for f in generate.log modelide.json modelide.err plain.json plain.err; do echo "--- $layout.$f"; tail -5 "$work/$layout.$f"; done
    echo "generated decoders: $layout: modelide infer and the plain ONNX Runtime loop disagree ($work)" >> "$MODELIDE_FAILURES"
    failed=$((failed + 1))
  fi
done
echo "$passed $failed" >> "$MODELIDE_TEST_COUNTS"
[ "$failed" -eq 0 ]
