#!/usr/bin/env bash
# The main job: builds everything, starts the local hub with the bundled model, installs the packaged extension
# into code-server (VS Code in the browser) pointed at that hub, and prints the URL. Ctrl+C stops it all.
# Environment: MODELIDE_PORT (code-server, default 8080), MODELIDE_HUB_PORT (default 8765),
# MODELIDE_HOME (state: hub data, code-server profile, workspace; default .build/start).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
PORT="${MODELIDE_PORT:-8080}"
HUB_PORT="${MODELIDE_HUB_PORT:-8765}"
HOME_DIR="${MODELIDE_HOME:-$ROOT/.build/start}"
HUB="http://127.0.0.1:$HUB_PORT"
log() { echo "start: $*" >&2; }

pids=()
tree() { local p; for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$p"; done; echo "$1"; }
stop() {
  trap - INT TERM EXIT
  # By process id: each started process and its descendants, children first; SIGKILL what outlives 5 s
  # (the hub does not exit on SIGTERM yet).
  local all=() p
  for pid in "${pids[@]}"; do all+=($(tree "$pid")); done
  for p in "${all[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0; for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.1
  done
  for p in "${all[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  log "stopped"
}
trap stop INT TERM EXIT

for port in "$PORT" "$HUB_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "start: 127.0.0.1:$port is already in use (set MODELIDE_PORT / MODELIDE_HUB_PORT)" >&2; exit 1
  fi
done

# 1. VS Code in the browser (cached after the first run), 2. the VSIX (extension bundle + sidecar).
env_file="$HOME_DIR/tools.env"; mkdir -p "$HOME_DIR"; : > "$env_file"
MODELIDE_TEST_ENV="$env_file" bash scripts/setup/30-code-server.sh
# shellcheck disable=SC1090
source "$env_file"
log "packaging the extension (dotnet publish + esbuild + vsce)"
vsix=$(bash scripts/package.sh linux-x64 | tail -n 1)

# 3. The local hub, from the same self-contained build the VSIX carries.
mkdir -p "$HOME_DIR/hub" "$HOME_DIR/user-data/User" "$HOME_DIR/extensions" "$HOME_DIR/workspace" "$HOME_DIR/cache"
.build/sidecar/linux-x64/modelide hub --port "$HUB_PORT" --data "$HOME_DIR/hub" --models "$ROOT/models" \
  > "$HOME_DIR/hub.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  grep -q 'Local hub ready' "$HOME_DIR/hub.log" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$HOME_DIR/hub.log" >&2; exit 1; }
  sleep 1
done
log "local hub at $HUB (user demo, token ms-demo-0000000000, password demo-password)"

# 4. code-server with the extension, pointed at the hub. Existing user settings are kept; ours are merged in.
export PATH="$NODE24/bin:$PATH"
"$CODE_SERVER" --install-extension "$vsix" --force --extensions-dir "$HOME_DIR/extensions" \
  --user-data-dir "$HOME_DIR/user-data" >/dev/null
settings="$HOME_DIR/user-data/User/settings.json"
node -e '
  const fs = require("fs"); const [file, hub, cache] = process.argv.slice(1);
  let s = {}; try { s = JSON.parse(fs.readFileSync(file, "utf8")); } catch {}
  Object.assign(s, { "modelscope.endpoint": hub, "modelscope.cacheDir": cache,
    "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "extensions.autoUpdate": false });
  fs.writeFileSync(file, JSON.stringify(s, null, 2));' "$settings" "$HUB" "$HOME_DIR/cache"
[ -f "$HOME_DIR/workspace/README.md" ] || printf '# ModelIde workspace\n\nOpen the ModelScope view in the activity bar.\n' > "$HOME_DIR/workspace/README.md"
"$CODE_SERVER" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --user-data-dir "$HOME_DIR/user-data" --extensions-dir "$HOME_DIR/extensions" "$HOME_DIR/workspace" \
  > "$HOME_DIR/code-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  grep -q 'HTTP server listening' "$HOME_DIR/code-server.log" 2>/dev/null && break
  kill -0 "${pids[1]}" 2>/dev/null || { cat "$HOME_DIR/code-server.log" >&2; exit 1; }
  sleep 1
done
url="http://127.0.0.1:$PORT/?folder=$HOME_DIR/workspace"
echo
echo "ModelIde is running: open $url"
echo "  local hub $HUB (sign in with the token ms-demo-0000000000), logs in $HOME_DIR/*.log; Ctrl+C stops everything."
[ "${MODELIDE_START_EXIT:-}" = 1 ] && exit 0   # smoke test: start, print, stop
wait -n "${pids[@]}" || true
log "a process exited; stopping the rest"
