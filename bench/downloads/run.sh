#!/usr/bin/env bash
# Download benchmark over loopback against the local hub: one big file, a 200-file model folder and a file from a hub
# that throttles each connection (20 MB/s, the hub's rateLimitBytesPerSecond fault, like a CDN), ModelIde vs curl
# (single stream), curl + openssl sha256 and aria2c, each the median of several runs, the tools interleaved round by
# round; writes bench/results/downloads.json with the load average seen during each part.
# ModelIde is measured two ways: `modelide download` timed as a whole process (what a CLI user waits for: .NET start-up,
# JIT and the listing included) and, for the big file and the folder, a download through one sidecar started before
# the rounds and warmed up with untimed downloads, one by default (what the VS Code extension's user waits for: the
# extension keeps its sidecar for the session; bench/downloads/sidecar.mjs times each request and the sidecar's CPU).
# Knobs: MODELIDE_BENCH_BIG_MB (default 2048), MODELIDE_BENCH_THROTTLED_MB (256), MODELIDE_BENCH_RUNS (3),
# MODELIDE_BENCH_MANY_RUNS (rounds of the 200-file folder without added latency, 7),
# MODELIDE_BENCH_ONLY (big, many, throttled, kill: a comma-separated subset), MODELIDE_BENCH_SIDECAR (the sidecar to
# start; default the shipped one, .build/sidecar/<rid>/modelide-sidecar, published first when missing or older than the
# sources; .build/cli/modelide-sidecar.dll is the framework-dependent build without ReadyToRun),
# MODELIDE_BENCH_SIDECAR_WARMUPS (untimed downloads of each model through it before the rounds, default 1).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIG_MB=${MODELIDE_BENCH_BIG_MB:-2048}
THROTTLED_MB=${MODELIDE_BENCH_THROTTLED_MB:-256}
THROTTLE_BPS=20000000
LATENCY_MS=30
RUNS=${MODELIDE_BENCH_RUNS:-3}
# The folder's rounds take about 7 s (curl's 4.5 s of it) and its figures are a fifth of a second, where one round's
# noise is several per cent: more rounds there.
MANY_RUNS=${MODELIDE_BENCH_MANY_RUNS:-7}
SIDECAR_WARMUPS=${MODELIDE_BENCH_SIDECAR_WARMUPS:-1}
SIDECAR_EXE=""
ONLY=",${MODELIDE_BENCH_ONLY:-big,many,throttled,kill},"
want() { [[ "$ONLY" == *",$1,"* ]]; }
if ! command -v aria2c >/dev/null || [ ! -x /usr/bin/time ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends aria2 time >/dev/null
fi
(cd bench && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })
WORK="${MODELIDE_BENCH_DIR:-$ROOT/.build/bench-downloads}"
MODELS="$WORK/models"
mkdir -p "$MODELS/bench-big" "$MODELS/bench-many" "$MODELS/bench-throttled"
if [ ! -f "$MODELS/bench-big/big.bin" ] || [ "$(stat -c %s "$MODELS/bench-big/big.bin")" -ne $((BIG_MB * 1024 * 1024)) ]; then
  echo "generating a ${BIG_MB} MiB file..."
  head -c $((BIG_MB * 1024 * 1024)) /dev/urandom > "$MODELS/bench-big/big.bin"
fi
if [ ! -f "$MODELS/bench-throttled/mid.bin" ] || [ "$(stat -c %s "$MODELS/bench-throttled/mid.bin")" -ne $((THROTTLED_MB * 1024 * 1024)) ]; then
  head -c $((THROTTLED_MB * 1024 * 1024)) /dev/urandom > "$MODELS/bench-throttled/mid.bin"
fi
if [ "$(find "$MODELS/bench-many" -type f | wc -l)" -ne 200 ]; then
  rm -rf "$MODELS/bench-many"; mkdir -p "$MODELS/bench-many/shards"
  for i in $(seq -w 1 200); do head -c $(( (RANDOM % 512 + 64) * 1024 )) /dev/urandom > "$MODELS/bench-many/shards/part-$i.bin"; done
fi

./modelide --version >/dev/null   # builds the CLI (and the sidecar) first: the hub below is waited for a minute at most
HUB_LOG="$WORK/hub.log"; URLFILE="$WORK/hub.url"; rm -f "$URLFILE"
./modelide hub --port 0 --data "$WORK/hub-state" --models "$MODELS" --catalogue-size 0 > "$URLFILE" 2> "$HUB_LOG" &
HUB_PID=$!
trap 'kill $HUB_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do [ -s "$URLFILE" ] && break; sleep 0.2; done
HUB="$(head -1 "$URLFILE")"
TOKEN=ms-demo-0000000000
echo "hub: $HUB"

# measure CMD...: prints "seconds maxrss_kb cpu_seconds"
measure() {
  local out; out=$(mktemp)
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$out" "$@" >/dev/null 2>>"$WORK/tools.log"
  end=$(date +%s.%N)
  read -r rss user sys < "$out"; rm -f "$out"
  echo "$(echo "$end - $start" | bc -l) $rss $(echo "$user + $sys" | bc -l)"
}
blob_url() { # hub's redirect target for one file (the tools below get the same blob host ModelIde is redirected to)
  curl -s -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $TOKEN" \
    "${HUB}api/v1/models/modelide/$1/repo?Revision=master&FilePath=$2"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A R T RSS CPU REQ LOAD HUBCPU
# The hub's own CPU seconds so far (the launcher execs it, so HUB_PID is the hub): on two cores the client and the hub
# share the machine, and a client that makes the hub work more (a listing, a redirect per file) pays for it in time.
CLK_TCK=$(getconf CLK_TCK)
hub_cpu() { awk -v t="$CLK_TCK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$HUB_PID/stat"; }
# The 1-minute load average before a part (the machine may be shared; figures under load are noisy).
load_now() { cut -d' ' -f1 /proc/loadavg; }
# Rounds interleave the tools (A B C, A B C, ...) so a burst of load or disk writeback hits all of them alike;
# dirty pages are flushed before each measured run so one tool's writeback is not charged to the next.
# For ModelIde, the hub also counts the blob requests of each run: more than one per file means the connection
# controller added connections (as it should against per-connection throttling, and should not over loopback).
blob_requests() {
  curl -s "${HUB}_admin/requests" | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["data"]["requests"] if r.get("Host")=="blob"))'
}
# The running sidecar (a coprocess started below): one download of model $1 into cache dir $2; sets SIDECAR_FIGURES to
# "seconds peak_rss_kb cpu_seconds" like measure prints (CPU: the sidecar's own, over that download). Runs in this
# shell, not a subshell: the coprocess's pipes are this shell's.
sidecar_download() {
  printf '{"modelId": "%s", "cacheDir": "%s"}\n' "$1" "$2" >&"${SIDECAR[1]}"
  local answer; read -r answer <&"${SIDECAR[0]}"
  SIDECAR_FIGURES=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(a["seconds"], a["peakRssKb"], a["cpuSeconds"]) if "error" not in a else sys.exit("sidecar download failed: " + a["error"])' "$answer")
}
counts_requests() { [[ $1 == *.modelide || $1 == *.dotnet || $1 == *.single || $1 == *.sidecar || $1 == *.nosha ]]; }
declare -A BEFORE AFTER # commands run around a case, outside its timing (a hub fault set for that case only)
run_round() { # name=cmd pairs are in CASES (for *.sidecar: the model id); args: names...
  for name in "$@"; do
    rm -rf "$OUT"; mkdir -p "$OUT"; sync
    if [ -n "${BEFORE[$name]:-}" ]; then eval "${BEFORE[$name]}"; fi
    if counts_requests "$name"; then curl -s -o /dev/null -X DELETE "${HUB}_admin/requests"; fi
    local hub_before; hub_before=$(hub_cpu)
    if [[ $name == *.sidecar ]]; then
      sidecar_download "${CASES[$name]}" "$OUT"; read -r t rss cpu <<< "$SIDECAR_FIGURES"
    else
      read -r t rss cpu < <(measure bash -c "${CASES[$name]}")
    fi
    T[$name]+="$t "; RSS[$name]+="$rss "; CPU[$name]+="$cpu "; HUBCPU[$name]+="$(echo "$(hub_cpu) - $hub_before" | bc -l) "
    if [ -n "${AFTER[$name]:-}" ]; then eval "${AFTER[$name]}"; fi
    if counts_requests "$name"; then sleep 0.2; REQ[$name]+="$(blob_requests) "; fi
  done
}
# args: case, model id. SIDECAR_WARMUPS downloads through the sidecar before the rounds (JIT, connection pool), each
# into a fresh scratch cache dir; the first is kept as the case's "sidecar_first" figures (one sample, not interleaved):
# the first download of that model in the sidecar's session (in a full run the folder's comes after the big file's).
warm_up() {
  for i in $(seq 1 "$SIDECAR_WARMUPS"); do
    rm -rf "$OUT"; mkdir -p "$OUT"; sync
    sidecar_download "$2" "$OUT/warm-up"
    if [ "$i" = 1 ]; then read -r "R[$1.sidecar_first.t]" "R[$1.sidecar_first.rss]" "R[$1.sidecar_first.cpu]" <<< "$SIDECAR_FIGURES"; fi
  done
}
# args: names of cases run once each, untimed, before a part's rounds: the hub (the .NET build, JIT-compiled) otherwise
# compiles and re-compiles the code each tool's requests reach during the first timed rounds: on a fresh hub the first
# folder downloads cost it 0.14-0.17 CPU s (ModelIde) and 0.17-0.32 s (aria2c), from the fifth on 0.07-0.11 s each.
warm_hub() {
  for name in "$@"; do
    rm -rf "$OUT"; mkdir -p "$OUT"
    bash -c "${CASES[$name]}" >/dev/null 2>>"$WORK/tools.log" || true
  done
}
summarise() { # names...
  for name in "$@"; do
    R[$name.t]=$(tr ' ' '\n' <<< "${T[$name]}" | grep . | median)
    R[$name.rss]=$(tr ' ' '\n' <<< "${RSS[$name]}" | grep . | sort -n | tail -1)
    R[$name.cpu]=$(tr ' ' '\n' <<< "${CPU[$name]}" | grep . | median)
    R[$name.hubcpu]=$(tr ' ' '\n' <<< "${HUBCPU[$name]}" | grep . | median)
    if [ -n "${REQ[$name]:-}" ]; then R[$name.requests]=$(tr ' ' '\n' <<< "${REQ[$name]}" | grep . | median); fi
  done
}

# `modelide` is what ./modelide runs: the native CLI where the launcher could build it (it did above); the .NET build
# (.build/cli/modelide.dll, JIT) is measured beside it on the folder, whose time is mostly start-up.
MI_DOTNET="dotnet '$ROOT/.build/cli/modelide.dll'"
if [ -x "$ROOT/.build/cli-native/modelide" ] && [ "${MODELIDE_CLI_NATIVE:-1}" != 0 ]; then MI="'$ROOT/.build/cli-native/modelide'"; MI_BUILD=native; else MI="$MI_DOTNET"; MI_BUILD=dotnet; fi
echo "modelide: the $MI_BUILD build"
# Where the files land: tmpfs when it has room (this VM's disk writeback varies by seconds between runs and would be
# what is measured), else the work folder. MODELIDE_BENCH_OUT overrides.
if [ -z "${MODELIDE_BENCH_OUT:-}" ] && [ -d /dev/shm ] && [ "$(df -B1 --output=avail /dev/shm | tail -1)" -gt $((BIG_MB * 1024 * 1024 * 3)) ]; then
  OUT=/dev/shm/modelide-bench-out
else
  OUT="${MODELIDE_BENCH_OUT:-$WORK/out}"
fi
echo "downloads land in $OUT"
trap 'kill $HUB_PID 2>/dev/null || true; [ -n "${SIDECAR_PID:-}" ] && kill $SIDECAR_PID 2>/dev/null; rm -rf "$OUT"' EXIT
# The hub hashes a file the first time it lists it; do that before anything is timed.
for m in bench-big bench-many bench-throttled; do
  curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "${HUB}api/v1/models/modelide/$m/repo/files?Revision=master&Recursive=true"
done
BIG_URL=$(blob_url bench-big big.bin)
if want big || want many; then
  # The extension's way: one sidecar for the session, signed in with the token. By default the one the VSIX ships
  # (self-contained, ReadyToRun, trimmed: scripts/publish-sidecar.sh, a few minutes on two cores when it is stale);
  # without ReadyToRun the sidecar JIT-compiles the download path and keeps re-compiling it at higher tiers for its
  # first ten or so downloads.
  SIDECAR_EXE="${MODELIDE_BENCH_SIDECAR:-}"
  if [ -z "$SIDECAR_EXE" ]; then
    case "$(uname -m)" in aarch64|arm64) RID=linux-arm64;; *) RID=linux-x64;; esac
    SIDECAR_EXE="$ROOT/.build/sidecar/$RID/modelide-sidecar"
    if [ ! -x "$SIDECAR_EXE" ] || [ -n "$(find backend Directory.Build.props Directory.Packages.props \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) \
         -not -path '*/obj/*' -not -path '*/bin/*' -newer "$SIDECAR_EXE" -print -quit)" ]; then
      echo "publishing the shipped sidecar for $RID (it is missing or older than the sources)..."
      bash scripts/publish-sidecar.sh "$RID" >/dev/null
    fi
  fi
  echo "sidecar: $SIDECAR_EXE"
  coproc SIDECAR { exec node bench/downloads/sidecar.mjs --endpoint "$HUB" --token "$TOKEN" --sidecar "$SIDECAR_EXE" 2>>"$WORK/sidecar.log"; }
fi
BIG_SHA=$(sha256sum "$MODELS/bench-big/big.bin" | cut -d' ' -f1)
declare -A CASES=(
  [big.modelide]="$MI download modelide/bench-big --endpoint '$HUB' --token '$TOKEN' --cache-dir '$OUT'"
  [big.sidecar]="modelide/bench-big"
  [big.curl]="curl -s -o '$OUT/big.bin' '$BIG_URL'"
  [big.aria2]="aria2c -q -x8 -s8 -k1M --allow-overwrite=true --auto-file-renaming=false -d '$OUT' -o big.bin '$BIG_URL'"
  # Like for like: a verified download with the peers = curl, then OpenSSL's SHA-256 (the fast one, as .NET uses).
  [big.curlsha]="curl -s -o '$OUT/big.bin' '$BIG_URL' && openssl dgst -sha256 -r '$OUT/big.bin' | grep -q '^$BIG_SHA'"
  # aria2c verifying the file as ModelIde does (--checksum: it reads the file back after the download; exit code 32 on
  # a mismatch), handed the hash a client would take from the listing.
  [big.aria2sha]="aria2c -q -x8 -s8 -k1M --checksum=sha-256=$BIG_SHA --allow-overwrite=true --auto-file-renaming=false -d '$OUT' -o big.bin '$BIG_URL'"
)
# What verifying costs ModelIde: the same download from a hub whose listing gives no SHA-256 (the hub's
# listedWithoutSha256 fault, set for that case only), so only the size is checked, as curl and aria2c do unasked.
without_sha256() { # args: model, case; the fault is set before the case and cleared after it
  BEFORE[$2]="curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{\"pathPrefix\": \"/api/v1/models/modelide/$1/repo/files\", \"listedWithoutSha256\": true}' '${HUB}_admin/faults'"
  AFTER[$2]="curl -s -o /dev/null -X DELETE '${HUB}_admin/faults'"
}
CASES[big.nosha]="${CASES[big.modelide]}"; without_sha256 bench-big big.nosha
if want big; then
  warm_up big modelide/bench-big
  LOAD[big]="$(load_now)"
  for _ in $(seq 1 "$RUNS"); do run_round big.modelide big.nosha big.sidecar big.curl big.aria2 big.curlsha big.aria2sha; done
  summarise big.modelide big.nosha big.sidecar big.curl big.aria2 big.curlsha big.aria2sha
  LOAD[big]+=" $(load_now)"
fi

LIST="$WORK/many-urls.txt"; : > "$LIST"
for f in "$MODELS"/bench-many/shards/*; do n=$(basename "$f"); echo "$(blob_url bench-many "shards/$n")" >> "$LIST"; echo "  out=shards/$n" >> "$LIST"; done
CASES[many.modelide]="$MI download modelide/bench-many --endpoint '$HUB' --token '$TOKEN' --cache-dir '$OUT'"
CASES[many.sidecar]="modelide/bench-many"
CASES[many.dotnet]="$MI_DOTNET download modelide/bench-many --endpoint '$HUB' --token '$TOKEN' --cache-dir '$OUT'"
CASES[many.curl]="grep -v '^ ' '$LIST' | while read -r u; do curl -s -o /dev/null \"\$u\"; done"
CASES[many.aria2]="aria2c -q -j8 -x1 --allow-overwrite=true -d '$OUT' -i '$LIST'"
# aria2c handed the hub's file URLs instead: it makes the request ModelIde (and the SDK) must make for each file and
# follows the redirect to the blob host, so only the listing is left out of its work.
LIST_API="$WORK/many-api-urls.txt"; : > "$LIST_API"
for f in "$MODELS"/bench-many/shards/*; do n=$(basename "$f"); echo "${HUB}api/v1/models/modelide/bench-many/repo?Revision=master&FilePath=shards/$n" >> "$LIST_API"; echo "  out=shards/$n" >> "$LIST_API"; done
CASES[many.aria2api]="aria2c -q -j8 -x1 --allow-overwrite=true --header 'Authorization: Bearer $TOKEN' -d '$OUT' -i '$LIST_API'"
# aria2c verifying every file as ModelIde does: the blob URLs, each with its SHA-256 (`checksum=` in the input file; it
# reads each file back once it is complete and exits 32 on a mismatch).
LIST_SHA="$WORK/many-urls-sha256.txt"; : > "$LIST_SHA"
while IFS= read -r url && IFS= read -r out; do
  echo "$url"; echo "$out"; echo "  checksum=sha-256=$(sha256sum "$MODELS/bench-many/${out#  out=}" | cut -d' ' -f1)"
done < "$LIST" >> "$LIST_SHA"
CASES[many.aria2sha]="aria2c -q -j8 -x1 --allow-overwrite=true -d '$OUT' -i '$LIST_SHA'"
CASES[many.nosha]="${CASES[many.modelide]}"; without_sha256 bench-many many.nosha
if want many; then
  warm_up many modelide/bench-many
  for _ in 1 2 3; do warm_hub many.modelide many.aria2 many.aria2api many.aria2sha; done
  LOAD[many]="$(load_now)"
  for _ in $(seq 1 "$MANY_RUNS"); do run_round many.modelide many.nosha many.dotnet many.sidecar many.curl many.aria2 many.aria2api many.aria2sha; done
  summarise many.modelide many.nosha many.dotnet many.sidecar many.curl many.aria2 many.aria2api many.aria2sha
  LOAD[many]+=" $(load_now)"
  # The same folder with LATENCY_MS added to every request, as a real network's round trip: ModelIde asks the hub for
  # the listing and each file's redirect, then the blob host; aria2c is handed the blob URLs (one request per file).
  for prefix in /api/v1/models/modelide/bench-many/repo /blobs/modelide/bench-many/; do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
      -d "{\"pathPrefix\": \"$prefix\", \"delayMs\": $LATENCY_MS}" "${HUB}_admin/faults"
  done
  CASES[manylat.modelide]="${CASES[many.modelide]}"
  CASES[manylat.sidecar]="${CASES[many.sidecar]}"
  CASES[manylat.aria2]="${CASES[many.aria2]}"
  for _ in $(seq 1 "$RUNS"); do run_round manylat.modelide manylat.sidecar manylat.aria2; done
  summarise manylat.modelide manylat.sidecar manylat.aria2
  curl -s -o /dev/null -X DELETE "${HUB}_admin/faults"
fi

# A hub that throttles each connection to 20 MB/s (a CDN's per-connection limit): parallel connections pay off here.
# ModelIde as it runs by default, ModelIde held to one connection, curl (one stream) and aria2c -x8 -s8.
if want throttled; then
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "{\"pathPrefix\": \"/blobs/modelide/bench-throttled/\", \"rateLimitBytesPerSecond\": $THROTTLE_BPS}" "${HUB}_admin/faults"
  MID_URL=$(blob_url bench-throttled mid.bin)
  CASES[throttled.modelide]="$MI download modelide/bench-throttled --endpoint '$HUB' --token '$TOKEN' --cache-dir '$OUT'"
  CASES[throttled.single]="MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS=1 $MI download modelide/bench-throttled --endpoint '$HUB' --token '$TOKEN' --cache-dir '$OUT'"
  CASES[throttled.curl]="curl -s -o '$OUT/mid.bin' '$MID_URL'"
  CASES[throttled.aria2]="aria2c -q -x8 -s8 -k1M --allow-overwrite=true --auto-file-renaming=false -d '$OUT' -o mid.bin '$MID_URL'"
  LOAD[throttled]="$(load_now)"
  for _ in $(seq 1 "$RUNS"); do run_round throttled.modelide throttled.single throttled.curl throttled.aria2; done
  summarise throttled.modelide throttled.single throttled.curl throttled.aria2
  LOAD[throttled]+=" $(load_now)"
  curl -s -o /dev/null -X DELETE "${HUB}_admin/faults"
fi

# Kill at 50%: SIGKILL the download once half the big file is on disk, run it again, and ask the hub how many body
# bytes its blob host sent in all; everything above the file's size was fetched twice.
if want kill; then
LOAD[kill]="$(load_now)"
KILL_DIR="$WORK/kill"; rm -rf "$KILL_DIR"; mkdir -p "$KILL_DIR"
curl -s -X DELETE "${HUB}_admin/requests" >/dev/null
bash -c "exec $MI download modelide/bench-big --endpoint '$HUB' --token '$TOKEN' --cache-dir '$KILL_DIR'" >/dev/null 2>>"$WORK/tools.log" &
KILL_PID=$!
BIG_TARGET=$((BIG_MB * 1024 * 1024))
KILLED_AT=0
while kill -0 "$KILL_PID" 2>/dev/null; do
  on_disk=$(find "$KILL_DIR" -name '*.modelide-partial' -exec du -B1 {} + 2>/dev/null | awk '{s+=$1} END {print s+0}')
  if [ "$on_disk" -ge $((BIG_TARGET / 2)) ]; then kill -9 "$KILL_PID"; KILLED_AT=$on_disk; break; fi
  sleep 0.02
done
wait "$KILL_PID" 2>/dev/null || true
# What the killed run had written (allocated blocks of the sparse .incomplete file) ...
WRITTEN=$(find "$KILL_DIR" -name '*.modelide-partial' -exec du -B1 {} + 2>/dev/null | awk '{s+=$1} END {print s+0}')
RESUME_OUT=$(bash -c "exec $MI download modelide/bench-big --endpoint '$HUB' --token '$TOKEN' --cache-dir '$KILL_DIR'" 2>&1)
# ... against what the rerun fetched: the rerun asks for everything its resume state did not count as done, so
# written + fetched - size = bytes that were on disk but fetched again.
FETCHED2=$(sed -nE 's/.*fetched ([0-9]+) bytes.*/\1/p' <<< "$RESUME_OUT" | tail -1)
REFETCHED=$((WRITTEN + FETCHED2 - BIG_TARGET))
echo "kill: on disk at kill $WRITTEN B, rerun fetched $FETCHED2 B, file $BIG_TARGET B" >&2
[ "$REFETCHED" -lt 0 ] && REFETCHED=0
# The hub's blob host also counts what it pushed in all; the excess over the file size adds the bytes that were
# still in the kernel's socket buffers when the process died (they never reached the downloader).
SENT=$(curl -s "${HUB}_admin/requests" | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]["requests"]; print(sum(r.get("BytesSent",0) for r in d if r.get("Host")=="blob"))')
SERVER_EXCESS=$((SENT - BIG_TARGET))
cmp -s "$MODELS/bench-big/big.bin" "$(find "$KILL_DIR" -name big.bin -type f | head -1)" && KILL_OK=true || KILL_OK=false
R[kill.pct]=$(echo "100 * $KILLED_AT / $BIG_TARGET" | bc -l)
R[kill.refetched]=$REFETCHED
R[kill.server_excess]=$SERVER_EXCESS
R[kill.intact]=$([ "$KILL_OK" = true ] && echo 1 || echo 0)
LOAD[kill]+=" $(load_now)"
fi

MANY_BYTES=$(du -sb "$MODELS/bench-many" | cut -f1)
BIG_BYTES=$((BIG_MB * 1024 * 1024))
MID_BYTES=$((THROTTLED_MB * 1024 * 1024))

python3 - "$ROOT/bench/results/downloads.json" "$BIG_BYTES" "$MANY_BYTES" "$MID_BYTES" "$THROTTLE_BPS" "$(nproc)" "$LATENCY_MS" "$SIDECAR_WARMUPS" "${SIDECAR_EXE#$ROOT/}" "$MI_BUILD" <<PY
import json, sys
out, big, many, mid, throttle, cores, latency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
r = {k: float(v) for k, v in [$(for k in "${!R[@]}"; do printf '("%s", "%s"),' "$k" "${R[$k]}"; done)]}
load = {k: [float(x) for x in v.split()] for k, v in [$(for k in "${!LOAD[@]}"; do printf '("%s", "%s"),' "$k" "${LOAD[$k]}"; done)]}
def mbps(case, size): return size / 1e6 / r[case + '.t']
rows = []
# sidecar: ModelIde through one running, warmed-up sidecar (CPU: the sidecar's own; peak RSS: the sidecar's so far);
# sidecar_first: that sidecar's first download of the model (the warm-up, one sample).
for case, size, tools in (('big', big, ('modelide', 'nosha', 'sidecar', 'sidecar_first', 'curl', 'aria2', 'curlsha', 'aria2sha')),
                          ('many', many, ('modelide', 'nosha', 'dotnet', 'sidecar', 'sidecar_first', 'curl', 'aria2', 'aria2api', 'aria2sha')),
                          ('manylat', many, ('modelide', 'sidecar', 'aria2')), ('throttled', mid, ('modelide', 'single', 'curl', 'aria2'))):
    if f'{case}.modelide.t' not in r: continue
    for tool in tools:
        if f'{case}.{tool}.t' not in r: continue
        rows.append({'case': case, 'tool': tool, 'seconds': r[f'{case}.{tool}.t'], 'MBps': mbps(f'{case}.{tool}', size),
                     'peakRssMB': r[f'{case}.{tool}.rss'] / 1024, 'cpuSeconds': r[f'{case}.{tool}.cpu'],
                     'cpuSecondsPerGB': r[f'{case}.{tool}.cpu'] / (size / 1e9),
                     **({'hubCpuSeconds': r[f'{case}.{tool}.hubcpu']} if f'{case}.{tool}.hubcpu' in r else {}),
                     **({'blobRequests': int(r[f'{case}.{tool}.requests'])} if f'{case}.{tool}.requests' in r else {})})
summary = {'load_average_1min_before_after': load, 'cores': cores, 'sidecar_warmups': int(sys.argv[8]), 'sidecar': sys.argv[9], 'cli_build': sys.argv[10],
           'rounds': {'folder': $MANY_RUNS, 'others': $RUNS}}
# The folder's ratio round by round (each round runs the tools one after the other): how far one round's figure strays.
many_rounds = [a / m for m, a in zip([float(x) for x in "${T[many.modelide]:-}".split()], [float(x) for x in "${T[many.aria2]:-}".split()])]
if many_rounds: summary['many_vs_aria2_each_round'] = many_rounds
if 'big.modelide.t' in r:
    best_big = max(mbps('big.curl', big), mbps('big.aria2', big))
    summary.update({
      'big_vs_best_peer': mbps('big.modelide', big) / best_big, 'big_target': '>= 0.9',
      'big_vs_curl_plus_sha256': mbps('big.modelide', big) / mbps('big.curlsha', big), 'big_vs_curl_plus_sha256_target': '>= 1.0',
      'big_cpu_vs_curl_plus_sha256': r['big.modelide.cpu'] / r['big.curlsha.cpu'], 'big_cpu_target': '<= 1.3',
      'big_warm_vs_best_peer': mbps('big.sidecar', big) / best_big,
      'big_warm_vs_curl_plus_sha256': mbps('big.sidecar', big) / mbps('big.curlsha', big),
      'big_warm_cpu_vs_curl_plus_sha256': r['big.sidecar.cpu'] / r['big.curlsha.cpu'],
      # The same download with nothing to verify: what the SHA-256 costs in this run.
      **({'big_without_sha256_vs_best_peer': mbps('big.nosha', big) / best_big, 'big_without_sha256_vs_curl': mbps('big.nosha', big) / mbps('big.curl', big),
          'big_without_sha256_cpu_vs_curl': r['big.nosha.cpu'] / r['big.curl.cpu']} if 'big.nosha.t' in r else {}),
      **({'big_vs_aria2_sha256': mbps('big.modelide', big) / mbps('big.aria2sha', big),
          'big_cpu_vs_aria2_sha256': r['big.modelide.cpu'] / r['big.aria2sha.cpu']} if 'big.aria2sha.t' in r else {}),
    })
if 'many.modelide.t' in r:
    summary.update({
      'many_vs_curl': mbps('many.modelide', many) / mbps('many.curl', many), 'many_target': '>= 1.5',
      'many_vs_aria2': mbps('many.modelide', many) / mbps('many.aria2', many), 'many_aria2_target': '>= 1.0',
      'many_warm_vs_aria2': mbps('many.sidecar', many) / mbps('many.aria2', many), 'many_warm_aria2_target': '>= 1.0',
      **({'many_dotnet_build_vs_aria2': mbps('many.dotnet', many) / mbps('many.aria2', many), 'many_dotnet_build_cpu_vs_aria2': r['many.dotnet.cpu'] / r['many.aria2.cpu']} if 'many.dotnet.t' in r else {}),
      'many_warm_cpu_vs_aria2': r['many.sidecar.cpu'] / r['many.aria2.cpu'],
      # Client and hub together, and that CPU spread over every core: the least wall time the machine allows each.
      'many_machine_cpu_vs_aria2': (r['many.modelide.cpu'] + r['many.modelide.hubcpu']) / (r['many.aria2.cpu'] + r['many.aria2.hubcpu']),
      'many_machine_cpu_floor_seconds': {t: (r[f'many.{t}.cpu'] + r[f'many.{t}.hubcpu']) / cores for t in ('modelide', 'aria2', 'aria2api') if f'many.{t}.hubcpu' in r},
      'many_first_in_sidecar_vs_aria2': mbps('many.sidecar_first', many) / mbps('many.aria2', many),
      **({'many_without_sha256_vs_aria2': mbps('many.nosha', many) / mbps('many.aria2', many),
          'many_without_sha256_cpu_vs_aria2': r['many.nosha.cpu'] / r['many.aria2.cpu']} if 'many.nosha.t' in r else {}),
      **({'many_vs_aria2_sha256': mbps('many.modelide', many) / mbps('many.aria2sha', many),
          'many_warm_vs_aria2_sha256': mbps('many.sidecar', many) / mbps('many.aria2sha', many)} if 'many.aria2sha.t' in r else {}),
      **({'many_vs_aria2_through_hub': mbps('many.modelide', many) / mbps('many.aria2api', many),
          'many_warm_vs_aria2_through_hub': mbps('many.sidecar', many) / mbps('many.aria2api', many)} if 'many.aria2api.t' in r else {}),
    })
if 'manylat.modelide.t' in r:
    summary.update({'many_latency_ms_per_request': latency, 'many_latency_vs_aria2': mbps('manylat.modelide', many) / mbps('manylat.aria2', many),
                    'many_latency_warm_vs_aria2': mbps('manylat.sidecar', many) / mbps('manylat.aria2', many)})
if 'throttled.modelide.t' in r:
    summary.update({
      'throttled_bytes_per_second_per_connection': throttle,
      'throttled_parallel_vs_single': mbps('throttled.modelide', mid) / mbps('throttled.single', mid), 'throttled_target': '>= 3',
    })
rss = [r[f'{c}.modelide.rss'] for c in ('big', 'many', 'throttled') if f'{c}.modelide.rss' in r]
if rss: summary.update({'modelide_peak_rss_MB': max(rss) / 1024, 'rss_target': '< 150'})
rss = [r[f'{c}.sidecar.rss'] for c in ('big', 'many') if f'{c}.sidecar.rss' in r]
if rss: summary.update({'sidecar_peak_rss_MB': max(rss) / 1024})
if 'kill.refetched' in r:
    summary.update({
      'kill_at_percent': r['kill.pct'], 'refetched_bytes_after_kill': int(r['kill.refetched']), 'part_bytes': 16 << 20,
      'refetch_target': '<= one part', 'blob_host_bytes_over_file_size': int(r['kill.server_excess']), 'file_intact_after_kill_and_resume': r['kill.intact'] == 1,
    })
json.dump({'bigBytes': big, 'manyBytes': many, 'throttledBytes': mid, 'rows': rows, 'summary': summary}, open(out, 'w'), indent=2)
print('| case | tool | MB/s | s | peak RSS MB | CPU s | CPU s/GB | hub CPU s | blob requests |')
print('|---|---|---|---|---|---|---|---|---|')
for x in rows: print(f"| {x['case']} | {x['tool']} | {x['MBps']:.1f} | {x['seconds']:.2f} | {x['peakRssMB']:.0f} | {x['cpuSeconds']:.2f} | {x['cpuSecondsPerGB']:.2f} | {x.get('hubCpuSeconds', '')} | {x.get('blobRequests', '')} |")
s = summary
print(f"load average (1 min) before/after each part on {cores} cores: {load}")
if 'big_vs_best_peer' in s:
    print(f"big file: ModelIde / best peer = {s['big_vs_best_peer']:.2f}x (target >= 0.9); / (curl + openssl sha256) = {s['big_vs_curl_plus_sha256']:.2f}x (target >= 1.0)")
    print(f"big file: ModelIde CPU / (curl + openssl sha256) CPU = {s['big_cpu_vs_curl_plus_sha256']:.2f}x (target <= 1.3)")
    print(f"big file through a running sidecar: / best peer = {s['big_warm_vs_best_peer']:.2f}x; / (curl + openssl sha256) = "
          f"{s['big_warm_vs_curl_plus_sha256']:.2f}x; CPU / (curl + openssl sha256) CPU = {s['big_warm_cpu_vs_curl_plus_sha256']:.2f}x")
if 'many_vs_curl' in s:
    print(f"200 files: ModelIde / curl = {s['many_vs_curl']:.2f}x (target >= 1.5); / aria2c -j8 = {s['many_vs_aria2']:.2f}x (target >= 1.0), "
          f"median of {s['rounds']['folder']} rounds; round by round {', '.join(f'{x:.2f}' for x in s.get('many_vs_aria2_each_round', []))}")
    print(f"200 files through a running sidecar (the extension's case): / aria2c -j8 = {s['many_warm_vs_aria2']:.2f}x (target >= 1.0); "
          f"CPU / aria2c's = {s['many_warm_cpu_vs_aria2']:.2f}x; the sidecar's first download of it (one sample) {s['many_first_in_sidecar_vs_aria2']:.2f}x")
    print(f"200 files, client + hub CPU: ModelIde / aria2c -j8 = {s['many_machine_cpu_vs_aria2']:.2f}x; that CPU over {cores} cores, the least "
          f"wall time the machine allows: {', '.join(f'{t} {v:.2f} s' for t, v in s['many_machine_cpu_floor_seconds'].items())}")
if 'many_vs_aria2_through_hub' in s:
    print(f"200 files vs aria2c -j8 handed the hub's file URLs (the same redirect per file): ModelIde {s['many_vs_aria2_through_hub']:.2f}x; "
          f"through a running sidecar {s['many_warm_vs_aria2_through_hub']:.2f}x")
if 'many_vs_aria2_sha256' in s:
    print(f"200 files vs aria2c -j8 checking each file's SHA-256 (as ModelIde does): ModelIde {s['many_vs_aria2_sha256']:.2f}x; "
          f"through a running sidecar {s['many_warm_vs_aria2_sha256']:.2f}x")
if 'big_without_sha256_vs_best_peer' in s:
    print(f"big file, the hub listing no SHA-256 (size checked only, as curl and aria2c): ModelIde / best peer = "
          f"{s['big_without_sha256_vs_best_peer']:.2f}x; / curl = {s['big_without_sha256_vs_curl']:.2f}x at {s['big_without_sha256_cpu_vs_curl']:.2f}x its CPU")
if 'many_without_sha256_vs_aria2' in s:
    print(f"200 files, the hub listing no SHA-256: ModelIde / aria2c -j8 = {s['many_without_sha256_vs_aria2']:.2f}x at "
          f"{s['many_without_sha256_cpu_vs_aria2']:.2f}x its CPU")
if 'big_vs_aria2_sha256' in s:
    print(f"big file vs aria2c -x8 -s8 checking its SHA-256: ModelIde {s['big_vs_aria2_sha256']:.2f}x at {s['big_cpu_vs_aria2_sha256']:.2f}x its CPU")
if 'many_latency_vs_aria2' in s:
    print(f"200 files, {latency} ms per request: ModelIde / aria2c -j8 (handed the blob URLs) = {s['many_latency_vs_aria2']:.2f}x; "
          f"through a running sidecar {s['many_latency_warm_vs_aria2']:.2f}x")
if 'throttled_parallel_vs_single' in s:
    print(f"{throttle / 1e6:.0f} MB/s per connection: ModelIde / ModelIde on one connection = {s['throttled_parallel_vs_single']:.2f}x (target >= 3)")
if 'modelide_peak_rss_MB' in s: print(f"ModelIde peak RSS = {s['modelide_peak_rss_MB']:.0f} MB (target < 150)")
if 'sidecar_peak_rss_MB' in s: print(f"sidecar peak RSS over the whole run = {s['sidecar_peak_rss_MB']:.0f} MB")
if 'refetched_bytes_after_kill' in s:
    print(f"killed at {s['kill_at_percent']:.0f}%: re-fetched {s['refetched_bytes_after_kill']:,} B = "
          f"{s['refetched_bytes_after_kill'] / s['part_bytes']:.2f} parts of 16 MiB (target <= 1 part); "
          f"file identical after resume: {s['file_intact_after_kill_and_resume']}; blob host sent "
          f"{s['blob_host_bytes_over_file_size']:,} B over the file size (incl. socket buffers lost with the process)")
print('results:', out)
PY
