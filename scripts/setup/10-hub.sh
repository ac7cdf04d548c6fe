#!/usr/bin/env bash
# The local hub serves models over git smart HTTP through `git http-backend` (Debian package git); its tests clone with it.
set -euo pipefail
if ! command -v git >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends git ca-certificates
fi
git --version
