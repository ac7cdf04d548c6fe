#!/usr/bin/env bash
# The one definition of how the single-node slurmctld (scripts/setup/21-slurm.sh) is started and stopped, shared by
# that setup script and by the tests that take the controller down (SlurmControllerDownTests).
#   slurm-controller.sh start [--clean]   start it (--clean: empty state, job ids from 1; plain: recovers saved jobs)
#   slurm-controller.sh stop              SIGTERM by its pid file (never by name); waits until it is gone
#   slurm-controller.sh wait-up [seconds] wait until 'scontrol ping' says UP (default 30 s)
# Needs root (slurmctld runs as SlurmUser after start). No-op start when it already runs, no-op stop when it does not.
set -euo pipefail
CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
PIDFILE=$(sed -n 's/^SlurmctldPidFile=//p' "$CONF" 2>/dev/null); PIDFILE=${PIDFILE:-/run/slurmctld.pid}
JOBCOMP=$(sed -n 's/^JobCompLoc=//p' "$CONF" 2>/dev/null)
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }  # zombie == gone
running() { [ -s "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; }

case "${1:-}" in
  start)
    running && exit 0
    # 'sacct -c' (no slurmdbd) opens the jobcomp file for writing even to read it: create it world-writable first
    # (slurmctld would create it 0644, and keeps an existing file's mode).
    if [ -n "$JOBCOMP" ]; then touch "$JOBCOMP"; chmod 0666 "$JOBCOMP"; fi
    if [ "${2:-}" = --clean ]; then /usr/sbin/slurmctld -c; else /usr/sbin/slurmctld; fi   # daemonizes
    ;;
  stop)
    running || exit 0
    p=$(cat "$PIDFILE")
    kill -TERM "$p"
    for _ in $(seq 1 150); do alive "$p" || exit 0; sleep 0.1; done
    echo "slurmctld (pid $p) still alive 15 s after SIGTERM" >&2; exit 1
    ;;
  wait-up)
    n=$(( ${2:-30} * 10 ))
    for _ in $(seq 1 "$n"); do scontrol ping 2>/dev/null | grep -q ' is UP' && exit 0; sleep 0.1; done
    scontrol ping >&2 || true; echo "slurmctld is not UP after ${2:-30} s" >&2; exit 1
    ;;
  *) echo "usage: $0 start [--clean] | stop | wait-up [seconds]" >&2; exit 2 ;;
esac
