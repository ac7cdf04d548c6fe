#!/usr/bin/env bash
# What the ModelScope-SDK interop and hostile-repository tests need from Debian:
#   git-lfs          clones with LFS content, and repositories whose .lfsconfig points LFS elsewhere (git lfs install
#                    runs only in the tests' isolated HOMEs, never in this user's config);
#   python3-requests Debian's python3 pickles cookie jars the way the ModelScope SDK does (tests/fixtures/sdk).
# Versions used are printed (Debian 12: git-lfs 3.3.0, python3 3.11, python3-requests 2.28.1).
set -euo pipefail
pkgs=(git-lfs python3 python3-requests)
if ! dpkg -s "${pkgs[@]}" >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 || {
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null; }
fi
git lfs version
/usr/bin/python3 -c 'import sys, requests; print("python", sys.version.split()[0], "requests", requests.__version__)'
