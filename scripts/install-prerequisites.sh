#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine that has the .NET 10 SDK and Node 20.
# Idempotent: skips what is already there. Feature-specific services are installed by scripts/setup/*.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
need=()
# clang links the native (AOT) build of the CLI that ./modelide runs (it falls back to the .NET build without it).
for pkg in git curl ca-certificates util-linux clang zlib1g-dev; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
cd "$ROOT"
# Locked mode: fails if a packages.lock.json no longer matches what the projects ask for, instead of re-resolving.
dotnet restore ModelIde.sln -nologo -v q --locked-mode
if [ -f extension/package.json ]; then (cd extension && npm ci --no-audit --no-fund --loglevel=error); fi
