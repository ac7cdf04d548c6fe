#!/usr/bin/env bash
# Stops what scripts/setup/21-slurm.sh started, each by its own PID file (never by name).
STATE=${MODELIDE_SLURM_DIR:-/tmp/modelide-slurm}
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }  # zombie == gone
stop() { # $1 = pid file, $2 = signal
  local f=$1 sig=${2:-TERM} p
  [ -s "$f" ] || return 0
  p=$(cat "$f"); alive "$p" || return 0
  kill -"$sig" "$p"
  for _ in $(seq 1 100); do alive "$p" || return 0; sleep 0.1; done
  echo "pid $p ($f) still alive after 10s" >&2; return 1
}
stop "$STATE/slurmrestd.pid" INT
# slurmstepd outlives slurmd: cancel every job and let the queue drain before stopping slurmd.
if [ -s /run/slurmctld.pid ] && alive "$(cat /run/slurmctld.pid)"; then
  ids=$(squeue -h -o %i 2>/dev/null); [ -n "$ids" ] && scancel $ids
  for _ in $(seq 1 150); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.1; done
  sleep 1
fi
stop /run/slurmd.pid
stop /run/slurmctld.pid
stop /run/munge/munged.pid
rm -f "$STATE/slurmrestd.pid" /run/slurmctld.pid /run/slurmd.pid
exit 0
