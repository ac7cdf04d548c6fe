#!/usr/bin/env bash
# Download benchmark over loopback against the local hub: one big file and a 200-file model folder,
# ModelIde vs curl (single stream) and aria2c -x8 -s8, each the median of several runs; writes bench/results/downloads.json.
# Knobs: MODELIDE_BENCH_BIG_MB (default 2048), MODELIDE_BENCH_RUNS (default 3).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIG_MB=${MODELIDE_BENCH_BIG_MB:-2048}
RUNS=${MODELIDE_BENCH_RUNS:-3}
if ! command -v aria2c >/dev/null || [ ! -x /usr/bin/time ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends aria2 time >/dev/null
fi
WORK="${MODELIDE_BENCH_DIR:-$ROOT/.build/bench-downloads}"
MODELS="$WORK/models"
mkdir -p "$MODELS/bench-big" "$MODELS/bench-many"
if [ ! -f "$MODELS/bench-big/big.bin" ] || [ "$(stat -c %s "$MODELS/bench-big/big.bin")" -ne $((BIG_MB * 1024 * 1024)) ]; then
  echo "generating a ${BIG_MB} MiB file..."
  head -c $((BIG_MB * 1024 * 1024)) /dev/urandom > "$MODELS/bench-big/big.bin"
fi
if [ "$(find "$MODELS/bench-many" -type f | wc -l)" -ne 200 ]; then
  rm -rf "$MODELS/bench-many"; mkdir -p "$MODELS/bench-many/shards"
  for i in $(seq -w 1 200); do head -c $(( (RANDOM % 512 + 64) * 1024 )) /dev/urandom > "$MODELS/bench-many/shards/part-$i.bin"; done
fi

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
declare -A R T RSS CPU
# Rounds interleave the tools (A B C, A B C, ...) so a burst of load or disk writeback hits all of them alike;
# dirty pages are flushed before each measured run so one tool's writeback is not charged to the next.
run_round() { # name=cmd pairs are in CASES; args: names...
  for name in "$@"; do
    rm -rf "$OUT"; mkdir -p "$OUT"; sync
    read -r t rss cpu < <(measure bash -c "${CASES[$name]}")
    T[$name]+="$t "; RSS[$name]+="$rss "; CPU[$name]+="$cpu "
  done
}
summarise() { # names...
  for name in "$@"; do
    R[$name.t]=$(tr ' ' '\n' <<< "${T[$name]}" | grep . | median)
    R[$name.rss]=$(tr ' ' '\n' <<< "${RSS[$name]}" | grep . | sort -n | tail -1)
    R[$name.cpu]=$(tr ' ' '\n' <<< "${CPU[$name]}" | grep . | median)
  done
}

./modelide --version >/dev/null
MI="dotnet '$ROOT/.build/cli/modelide.dll'"
# Where the files land: tmpfs when it has room (this VM's disk writeback varies by seconds between runs and would be
# what is measured), else the work folder. MODELIDE_BENCH_OUT overrides.
if [ -z "${MODELIDE_BENCH_OUT:-}" ] && [ -d /dev/shm ] && [ "$(df -B1 --output=avail /dev/shm | tail -1)" -gt $((BIG_MB * 1024 * 1024 * 3)) ]; then
  OUT=/dev/shm/modelide-bench-out
else
  OUT="${MODELIDE_BENCH_OUT:-$WORK/out}"
fi
echo "downloads land in $OUT"
trap 'kill $HUB_PID 2>/dev/null || true; rm -rf "$OUT"' EXIT
# The hub hashes a file the first time it lists it; do that before anything is timed.
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "${HUB}api/v1/models/modelide/bench-big/repo/files?Revision=master&Recursive=true"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "${HUB}api/v1/models/modelide/bench-many/repo/files?Revision=master&Recursive=true"
BIG_URL=$(blob_url bench-big big.bin)
BIG_SHA=$(sha256sum "$MODELS/bench-big/big.bin" | cut -d' ' -f1)
declare -A CASES=(
  [big.modelide]="$MI download modelide/bench-big --endpoint '$HUB' --token '$TOKEN' --cache-dir '$OUT'"
  [big.curl]="curl -s -o '$OUT/big.bin' '$BIG_URL'"
  [big.aria2]="aria2c -q -x8 -s8 -k1M --allow-overwrite=true --auto-file-renaming=false -d '$OUT' -o big.bin '$BIG_URL'"
  # Like for like: a verified download with the peers = curl, then OpenSSL's SHA-256 (the fast one, as .NET uses).
  [big.curlsha]="curl -s -o '$OUT/big.bin' '$BIG_URL' && openssl dgst -sha256 -r '$OUT/big.bin' | grep -q '^$BIG_SHA'"
)
for _ in $(seq 1 "$RUNS"); do run_round big.modelide big.curl big.aria2 big.curlsha; done
summarise big.modelide big.curl big.aria2 big.curlsha

LIST="$WORK/many-urls.txt"; : > "$LIST"
for f in "$MODELS"/bench-many/shards/*; do n=$(basename "$f"); echo "$(blob_url bench-many "shards/$n")" >> "$LIST"; echo "  out=shards/$n" >> "$LIST"; done
CASES[many.modelide]="$MI download modelide/bench-many --endpoint '$HUB' --token '$TOKEN' --cache-dir '$OUT'"
CASES[many.curl]="grep -v '^ ' '$LIST' | while read -r u; do curl -s -o /dev/null \"\$u\"; done"
CASES[many.aria2]="aria2c -q -j8 -x1 --allow-overwrite=true -d '$OUT' -i '$LIST'"
for _ in $(seq 1 "$RUNS"); do run_round many.modelide many.curl many.aria2; done
summarise many.modelide many.curl many.aria2

# Kill at 50%: SIGKILL the download once half the big file is on disk, run it again, and ask the hub how many body
# bytes its blob host sent in all; everything above the file's size was fetched twice.
KILL_DIR="$WORK/kill"; rm -rf "$KILL_DIR"; mkdir -p "$KILL_DIR"
curl -s -X DELETE "${HUB}_admin/requests" >/dev/null
dotnet "$ROOT/.build/cli/modelide.dll" download modelide/bench-big --endpoint "$HUB" --token "$TOKEN" --cache-dir "$KILL_DIR" >/dev/null 2>>"$WORK/tools.log" &
KILL_PID=$!
BIG_TARGET=$((BIG_MB * 1024 * 1024))
KILLED_AT=0
while kill -0 "$KILL_PID" 2>/dev/null; do
  on_disk=$(find "$KILL_DIR" -name '*.incomplete' -exec du -B1 {} + 2>/dev/null | awk '{s+=$1} END {print s+0}')
  if [ "$on_disk" -ge $((BIG_TARGET / 2)) ]; then kill -9 "$KILL_PID"; KILLED_AT=$on_disk; break; fi
  sleep 0.02
done
wait "$KILL_PID" 2>/dev/null || true
# What the killed run had written (allocated blocks of the sparse .incomplete file) ...
WRITTEN=$(find "$KILL_DIR" -name '*.incomplete' -exec du -B1 {} + 2>/dev/null | awk '{s+=$1} END {print s+0}')
RESUME_OUT=$(dotnet "$ROOT/.build/cli/modelide.dll" download modelide/bench-big --endpoint "$HUB" --token "$TOKEN" --cache-dir "$KILL_DIR" 2>&1)
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

MANY_BYTES=$(du -sb "$MODELS/bench-many" | cut -f1)
BIG_BYTES=$((BIG_MB * 1024 * 1024))

python3 - "$ROOT/bench/results/downloads.json" "$BIG_BYTES" "$MANY_BYTES" <<PY
import json, sys
out, big, many = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = {k: float(v) for k, v in [$(for k in "${!R[@]}"; do printf '("%s", "%s"),' "$k" "${R[$k]}"; done)]}
def mbps(case, size): return size / 1e6 / r[case + '.t']
rows = []
for case, size in (('big', big), ('many', many)):
    for tool in ('modelide', 'curl', 'aria2') + (('curlsha',) if case == 'big' else ()):
        rows.append({'case': case, 'tool': tool, 'seconds': r[f'{case}.{tool}.t'], 'MBps': mbps(f'{case}.{tool}', size),
                     'peakRssMB': r[f'{case}.{tool}.rss'] / 1024, 'cpuSeconds': r[f'{case}.{tool}.cpu']})
best_big = max(mbps('big.curl', big), mbps('big.aria2', big))
summary = {
  'big_vs_best_peer': mbps('big.modelide', big) / best_big, 'big_target': '>= 0.9',
  'big_vs_curl_plus_sha256': mbps('big.modelide', big) / mbps('big.curlsha', big),
  'many_vs_curl': mbps('many.modelide', many) / mbps('many.curl', many), 'many_target': '>= 1.5',
  'modelide_peak_rss_MB': max(r['big.modelide.rss'], r['many.modelide.rss']) / 1024, 'rss_target': '< 150',
  'kill_at_percent': r['kill.pct'], 'refetched_bytes_after_kill': int(r['kill.refetched']), 'part_bytes': 16 << 20,
  'refetch_target': '<= one part', 'blob_host_bytes_over_file_size': int(r['kill.server_excess']), 'file_intact_after_kill_and_resume': r['kill.intact'] == 1,
}
json.dump({'bigBytes': big, 'manyBytes': many, 'rows': rows, 'summary': summary}, open(out, 'w'), indent=2)
print('| case | tool | MB/s | s | peak RSS MB | CPU s |')
print('|---|---|---|---|---|---|')
for x in rows: print(f"| {x['case']} | {x['tool']} | {x['MBps']:.1f} | {x['seconds']:.2f} | {x['peakRssMB']:.0f} | {x['cpuSeconds']:.2f} |")
print(f"big file: ModelIde / best peer = {summary['big_vs_best_peer']:.2f}x (target >= 0.9)")
print(f"big file: ModelIde / (curl + openssl sha256, a verified download like ModelIde's) = {summary['big_vs_curl_plus_sha256']:.2f}x")
print(f"200 files: ModelIde / curl = {summary['many_vs_curl']:.2f}x (target >= 1.5)")
print(f"ModelIde peak RSS = {summary['modelide_peak_rss_MB']:.0f} MB (target < 150)")
print(f"killed at {summary['kill_at_percent']:.0f}%: re-fetched {summary['refetched_bytes_after_kill']:,} B = "
      f"{summary['refetched_bytes_after_kill'] / summary['part_bytes']:.2f} parts of 16 MiB (target <= 1 part); "
      f"file identical after resume: {summary['file_intact_after_kill_and_resume']}; blob host sent "
      f"{summary['blob_host_bytes_over_file_size']:,} B over the file size (incl. socket buffers lost with the process)")
print('results:', out)
PY
