#!/usr/bin/env bash
# Checks that a platform-specific VSIX carries the native libraries its platform needs, built for that platform's
# CPU, and lists every native library in it with its size. scripts/package.sh calls it after `vsce package`.
# Usage: scripts/check-vsix-natives.sh VSIX TARGET [MAX_MB]
#   TARGET: linux-x64 | linux-arm64 | darwin-arm64 | win32-x64   MAX_MB: fail when the VSIX is larger (default 100)
# darwin-x64 is not a target: neither the ONNX Runtime package nor GenAI ships osx-x64 natives.
set -euo pipefail
VSIX="$1"; TARGET="$2"; MAX_MB="${3:-100}"
[ -f "$VSIX" ] || { echo "check-vsix-natives: $VSIX not found" >&2; exit 2; }

case "$TARGET" in
  linux-x64|linux-arm64)
    ext='\.so(\.[0-9]+)*$'
    required="libonnxruntime.so libonnxruntime_providers_shared.so libcoreclr.so libclrjit.so libhostfxr.so libhostpolicy.so
              libSystem.Native.so libSystem.Security.Cryptography.Native.OpenSsl.so libSystem.Net.Security.Native.so
              libSystem.IO.Compression.Native.so libSystem.Globalization.Native.so"
    arch=${TARGET#linux-};;
  darwin-arm64)
    ext='\.dylib$'
    required="libonnxruntime.dylib libcoreclr.dylib libclrjit.dylib libhostfxr.dylib libhostpolicy.dylib libSystem.Native.dylib
              libSystem.Security.Cryptography.Native.Apple.dylib libSystem.IO.Compression.Native.dylib"
    arch=arm64;;
  win32-x64)
    # Windows natives are .dll like the managed assemblies; these are the native ones the sidecar needs.
    ext='^(onnxruntime|onnxruntime_providers_shared|coreclr|clrjit|hostfxr|hostpolicy|clrgc|clrgcexp|mscordaccore|mscordbi|Microsoft\.DiaSymReader\.Native\.amd64|System\.IO\.Compression\.Native)\.dll$'
    required="onnxruntime.dll onnxruntime_providers_shared.dll coreclr.dll clrjit.dll hostfxr.dll hostpolicy.dll"
    arch=x64;;
  darwin-x64) echo "check-vsix-natives: darwin-x64 is not supported: no ONNX Runtime natives for osx-x64 in the packages we ship" >&2; exit 2;;
  *) echo "check-vsix-natives: unknown target $TARGET" >&2; exit 2;;
esac

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
unzip -qq "$VSIX" 'extension/sidecar/*' -d "$work"
sidecar="$work/extension/sidecar"
mapfile -t natives < <(cd "$sidecar" && ls -1 | grep -E "$ext" | sort)

# The CPU architecture a native library was built for, read from its header (ELF e_machine, PE Machine, Mach-O cputype).
machine() {
  local f="$1" magic
  magic=$(od -An -tx1 -N4 "$f" | tr -d ' \n')
  case "$magic" in
    7f454c46) case $(od -An -tu2 -j18 -N2 "$f" | tr -d ' ') in 62) echo x64;; 183) echo arm64;; *) echo other;; esac;;
    4d5a*) local pe; pe=$(od -An -tu4 -j60 -N4 "$f" | tr -d ' ')
           case $(od -An -tx2 -j$((pe + 4)) -N2 "$f" | tr -d ' ') in 8664) echo x64;; aa64) echo arm64;; *) echo other;; esac;;
    cffaedfe) case $(od -An -tx4 -j4 -N4 "$f" | tr -d ' ') in 0100000c) echo arm64;; 01000007) echo x64;; *) echo other;; esac;;
    cafebabe) echo universal;;
    *) echo unknown;;
  esac
}

fail=0
echo "native libraries in $(basename "$VSIX") ($TARGET):"
for n in "${natives[@]}"; do
  m=$(machine "$sidecar/$n")
  printf '  %-58s %8s KB  %s\n' "$n" "$(( $(stat -c %s "$sidecar/$n") / 1024 ))" "$m"
  if [ "$m" != "$arch" ] && [ "$m" != universal ]; then echo "check-vsix-natives: $n is built for $m, not $arch" >&2; fail=1; fi
done
for r in $required; do
  printf '%s\n' "${natives[@]}" | grep -qx "$r" || { echo "check-vsix-natives: $r missing from $VSIX" >&2; fail=1; }
done
# A native library of another platform means the wrong runtime folder was copied.
foreign=$(cd "$sidecar" && ls -1 | grep -E '\.(so|dylib)$|^(onnxruntime|coreclr)\.dll$' | grep -vE "$ext" || true)
[ -z "$foreign" ] || { echo "check-vsix-natives: natives of another platform in $VSIX: $foreign" >&2; fail=1; }

size_mb=$(( $(stat -c %s "$VSIX") / 1048576 ))
echo "$(basename "$VSIX"): ${#natives[@]} native libraries, ${size_mb} MB (limit ${MAX_MB} MB)"
[ "$size_mb" -lt "$MAX_MB" ] || { echo "check-vsix-natives: $VSIX is ${size_mb} MB, over ${MAX_MB} MB" >&2; fail=1; }
exit $fail
