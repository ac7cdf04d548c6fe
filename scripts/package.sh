#!/usr/bin/env bash
# Builds the platform-specific VSIX: extension bundle + self-contained sidecar, like the C# extension's
# per-platform packages. Output: dist/modelide-<target>-<version>.vsix. Usage: scripts/package.sh [target]
# (target: linux-x64 (default), linux-arm64, darwin-arm64, win32-x64; no darwin-x64: ONNX Runtime ships no osx-x64 natives).
# MODELIDE_PACKAGE_SIDECAR_DIR (a published folder), MODELIDE_PACKAGE_SIDECAR_EXE (its executable) and
# MODELIDE_PACKAGE_OUT (the .vsix) package another sidecar the same way (bench/package measures the one before).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${1:-linux-x64}"
case "$TARGET" in
  linux-x64) RID=linux-x64;; linux-arm64) RID=linux-arm64;; darwin-arm64) RID=osx-arm64;;
  darwin-x64) echo "darwin-x64 is not supported: the ONNX Runtime package has no osx-x64 native library" >&2; exit 2;;
  win32-x64) RID=win-x64;; *) echo "unsupported target: $TARGET" >&2; exit 2;;
esac
log() { echo "package: $*" >&2; }

# 1. The extension bundle (extension/dist/extension.js).
log "building the extension bundle"
(cd extension && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)
[ -f extension/dist/extension.js ] || { echo "extension/dist/extension.js was not built" >&2; exit 1; }

# 2. The sidecar, copied where the extension looks for it (<extensionPath>/sidecar/modelide-sidecar).
SIDECAR_DIR="${MODELIDE_PACKAGE_SIDECAR_DIR:-.build/sidecar/$RID}"
SIDECAR_EXE="${MODELIDE_PACKAGE_SIDECAR_EXE:-modelide-sidecar}"
if [ -z "${MODELIDE_PACKAGE_SIDECAR_DIR:-}" ] && { [ "${MODELIDE_SKIP_SIDECAR_PUBLISH:-}" != 1 ] || [ ! -d "$SIDECAR_DIR" ]; }; then
  bash scripts/publish-sidecar.sh "$RID"
fi
rm -rf extension/sidecar
cp -a "$SIDECAR_DIR" extension/sidecar

# 3. vsce, pinned in scripts/vsce (runs on the machine's Node 20).
VSCE_DIR="$ROOT/scripts/vsce"
if [ ! -x "$VSCE_DIR/node_modules/.bin/vsce" ] || [ "$VSCE_DIR/package-lock.json" -nt "$VSCE_DIR/node_modules/.package-lock.json" ]; then
  (cd "$VSCE_DIR" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts)
fi
VERSION=$(node -p "require('./extension/package.json').version")
OUT="${MODELIDE_PACKAGE_OUT:-$ROOT/dist/modelide-$TARGET-$VERSION.vsix}"
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
log "vsce package --target $TARGET"
# --no-dependencies: dist/extension.js is a self-contained esbuild bundle. The .vscodeignore (extension's, or ours)
# keeps sources and node_modules out.
IGNORE_ARGS=()
[ -f extension/.vscodeignore ] || IGNORE_ARGS=(--ignoreFile "$ROOT/scripts/vsce/vscodeignore")
(cd extension && "$VSCE_DIR/node_modules/.bin/vsce" package --target "$TARGET" --no-dependencies \
   --allow-missing-repository --skip-license "${IGNORE_ARGS[@]}" --out "$OUT" >&2)
rm -rf extension/sidecar

# 4. Check what users get.
listing=$(unzip -Z1 "$OUT")
for required in extension/dist/extension.js extension/package.json "extension/sidecar/$SIDECAR_EXE"; do
  [ "$RID" = win-x64 ] && [ "$required" = "extension/sidecar/$SIDECAR_EXE" ] && required="extension/sidecar/$SIDECAR_EXE.exe"
  grep -qx "$required" <<< "$listing" || { echo "package: $required missing from $OUT" >&2; exit 1; }
done
if [[ "$RID" == linux-* ]]; then
  # zip keeps unix modes; the sidecar must stay executable after install.
  unzip -Z "$OUT" "extension/sidecar/$SIDECAR_EXE" | grep -q '^-rwx' || { echo "package: sidecar is not executable in the VSIX" >&2; exit 1; }
fi
# The natives this platform needs, built for its CPU, none of another platform's; under 100 MB.
bash "$ROOT/scripts/check-vsix-natives.sh" "$OUT" "$TARGET" >&2
log "$OUT ($(du -h "$OUT" | cut -f1), $(wc -l <<< "$listing") files)"
echo "$OUT"
