#!/usr/bin/env bash
# Publishes the sidecar, `modelide-sidecar` (backend/ModelIde.Sidecar: the JSON-RPC host without the local hub),
# self-contained for each runtime id given (default linux-x64) into .build/sidecar/<rid>/. The extension starts
# <extensionPath>/sidecar/modelide-sidecar (.exe on Windows); scripts/package.sh copies one of these folders to
# extension/sidecar/. MODELIDE_PUBLISH_PROJECT, MODELIDE_PUBLISH_EXE and MODELIDE_PUBLISH_OUT publish another
# executable the same way (bench/package: the `modelide` CLI, the sidecar that carried the hub before).
# Trimmed (TrimMode=partial, set up in the project: the framework and the libraries marked trimmable lose unused code;
# our assemblies and the reflection-heavy libraries stay whole); MODELIDE_PUBLISH_TRIMMED=false publishes untrimmed
# (bench/package's peers). The Roslyn trim analyzer is off: it flags our reflection as if our assemblies were trimmed.
# ReadyToRun when the Crossgen2 pack can be restored (faster start-up); otherwise plain IL. Usage:
#   scripts/publish-sidecar.sh [linux-x64|linux-arm64|osx-arm64|win-x64 ...]   (no osx-x64: ONNX Runtime has no natives for it)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
PROJECT="${MODELIDE_PUBLISH_PROJECT:-backend/ModelIde.Sidecar/ModelIde.Sidecar.csproj}"
EXE="${MODELIDE_PUBLISH_EXE:-modelide-sidecar}"
OUT_BASE="${MODELIDE_PUBLISH_OUT:-$ROOT/.build/sidecar}"
[ $# -gt 0 ] || set -- linux-x64
R2R="${MODELIDE_READY_TO_RUN:-auto}"   # auto | true | false
# Only the sidecar's project carries the trimming setup; another project publishes untrimmed unless asked.
case "$PROJECT" in *ModelIde.Sidecar.csproj) trim_default=true;; *) trim_default=false;; esac
TRIMMED="${MODELIDE_PUBLISH_TRIMMED:-$trim_default}"

publish() {  # rid out readyToRun
  dotnet publish "$PROJECT" -c Release -r "$1" --self-contained true -o "$2" -nologo -v q -clp:ErrorsOnly \
    -p:PublishSingleFile=false -p:PublishTrimmed="$TRIMMED" -p:EnableTrimAnalyzer=false -p:PublishReadyToRun="$3" \
    -p:DebugType=none -p:GenerateDocumentationFile=false \
    -p:NuGetLockFilePath=obj/packages."$1".lock.json  # a runtime-specific restore would otherwise rewrite the committed lock files
}

for rid in "$@"; do
  case "$rid" in linux-x64|linux-arm64|osx-arm64|win-x64|win-arm64) ;; *) echo "unsupported runtime id: $rid" >&2; exit 2;; esac
  out="$OUT_BASE/$rid"
  rm -rf "$out"
  started=$(date +%s)
  if [ "$R2R" = false ]; then
    publish "$rid" "$out" false
  elif ! publish "$rid" "$out" true; then
    [ "$R2R" = true ] && exit 1
    echo "publish-sidecar: ReadyToRun publish failed for $rid (Crossgen2 pack unavailable?); publishing IL only" >&2
    rm -rf "$out"
    publish "$rid" "$out" false
  fi
  exe="$out/$EXE"; [[ "$rid" == win-* ]] && exe="$out/$EXE.exe"
  [ -f "$exe" ] || { echo "publish-sidecar: $exe missing" >&2; exit 1; }
  case "$rid" in
    linux-*) ort="libonnxruntime.so";; osx-*) ort="libonnxruntime.dylib";; win-*) ort="onnxruntime.dll";;
  esac
  if [ -f "$out/$ort" ]; then ort_note="$ort present"; else ort_note="$ort NOT present (no ONNX Runtime reference yet?)"; fi
  hub=$(find "$out" -maxdepth 1 \( -name 'ModelIde.Hub.dll' -o -name 'Microsoft.AspNetCore.*.dll' -o -name 'OpenIddict*.dll' -o -name 'Microsoft.EntityFrameworkCore*.dll' \) -print -quit)
  if [ "$EXE" = modelide-sidecar ] && [ -n "$hub" ]; then
    echo "publish-sidecar: $out carries the local hub ($(basename "$hub")): the sidecar must not reference ModelIde.Hub" >&2; exit 1
  fi
  echo "publish-sidecar: $rid -> ${out#"$ROOT"/} ($(du -sh "$out" | cut -f1), $(( $(date +%s) - started )) s; $ort_note)" >&2
done
