#!/usr/bin/env bash
# Used for the H200 runs of 2026-12-04. Prepares, on a machine with the .NET SDK and the NuGet feed, what bench/gpu/device-check.sh
# needs on a GPU machine that reaches no registry and accepts at most 64 MiB of files per command (working tree
# included, about 22 MB): everything goes to .build/gpu-carry/ in pieces of at most 36 MB, each carried by one command.
#   bundle-cli.tar.xz    the native `modelide` CLI (linux-x64, .NET Native AOT) and its CPU ONNX Runtime
#   bundle-tools.tar.xz  the plain ONNX Runtime loop and the Qwen2-shaped model generator, self-contained
#   bundle-sidecar.tar.xz the sidecar as the VSIX ships it (38 MB), for the playground's path
#   tiny-model.onnx      the tiny model's weights, for a trimmed working tree (README)
#   nupkg.part-NN        Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 (245 MB, already deflate-compressed: it is split,
#                        not recompressed); device-check.sh joins the parts and `modelide gpu enable` checks the pins
# CUDA 13 and cuDNN 9 (libcublasLt alone is about 500 MB) cannot be carried: the GPU machine must have them (a CUDA
# toolkit, or a PyTorch install for CUDA 13). Carry bundle-cli first and run `modelide devices` to see that before
# spending the device time on the rest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/.build/gpu-carry"
rm -rf "$OUT"; mkdir -p "$OUT"
cd "$ROOT"

# The CLI device-check.sh runs (`gpu enable`, `devices`, `infer`): the native build, which needs no .NET on the GPU
# machine (glibc 2.34 or later) and is the smallest to carry; the shipped sidecar has none of those commands.
MODELIDE_CLI_NATIVE=1 ./modelide --version >/dev/null
native="$ROOT/.build/cli-native"
[ -x "$native/modelide" ] || { echo "prepare-carry: the native CLI could not be built (clang, .build/cli-native.log)" >&2; exit 1; }
stage="$ROOT/.build/gpu-cli"
rm -rf "$stage"; mkdir -p "$stage/linux-x64"
cp "$native/modelide" "$native"/libonnxruntime*.so "$stage/linux-x64/"
tar -C "$stage" -cJf "$OUT/bundle-cli.tar.xz" linux-x64

tools="$ROOT/.build/gpu-tools"
rm -rf "$tools"
for p in bench/gpu/PlainOrtLoop bench/models/GenerateQwen2; do
  dotnet publish "$p" -c Release -r linux-x64 --self-contained true -o "$tools/$(basename "$p")" -nologo -v q -clp:ErrorsOnly \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:NuGetLockFilePath=obj/packages.linux-x64.lock.json
done
# The plain loop loads the GPU pack's libonnxruntime (--ort); the CPU one from its package is not needed there.
rm -f "$tools"/PlainOrtLoop/libonnxruntime*.so
tar -C "$tools" -cJf "$OUT/bundle-tools.tar.xz" .

# The sidecar as the VSIX ships it (trimmed, ReadyToRun), for the playground's path (sidecar-check.py).
bash scripts/publish-sidecar.sh linux-x64 >/dev/null
rm -rf "$ROOT/.build/gpu-sidecar"; mkdir -p "$ROOT/.build/gpu-sidecar"
cp -r "$ROOT/.build/sidecar/linux-x64" "$ROOT/.build/gpu-sidecar/sidecar"
tar -C "$ROOT/.build/gpu-sidecar" -cf - sidecar | xz -T2 -6 > "$OUT/bundle-sidecar.tar.xz"

nupkg="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.onnxruntime.gpu.linux/1.31.0/microsoft.ml.onnxruntime.gpu.linux.1.31.0.nupkg"
[ -f "$nupkg" ] || { echo "prepare-carry: $nupkg missing: restore tests/ModelIde.Core.Tests first (it downloads the package)" >&2; exit 1; }
# PIECE_MB: 36 leaves room for the whole working tree (about 28 MB); with a trimmed tree (README) 62 fits.
split -b "${PIECE_MB:-36}M" -d "$nupkg" "$OUT/nupkg.part-"
cp "$ROOT/models/tiny-stdlib-coder/model.onnx" "$OUT/tiny-model.onnx"
ls -la "$OUT"
echo "carry each file above in its own command (the run tool's carry list), in this order, then run bench/gpu/device-check.sh"
