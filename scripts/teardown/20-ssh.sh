#!/usr/bin/env bash
# Stops the sshd started by scripts/setup/20-ssh.sh, by its PID file (never by name).
D=${MODELIDE_SSHD_DIR:-/tmp/modelide-sshd}
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
if [ -s "$D/sshd.pid" ]; then
  p=$(cat "$D/sshd.pid")
  if alive "$p"; then
    kill "$p"
    for _ in $(seq 1 50); do alive "$p" || break; sleep 0.1; done
  fi
  rm -f "$D/sshd.pid"
fi
# Jobs the tests left detached on the remote user (setsid'd wrappers) are stopped by their recorded process groups.
for f in /home/${MODELIDE_JOB_USER:-jobuser}/.modelide/jobs/*/pgid; do
  [ -s "$f" ] || continue
  g=$(cat "$f"); [[ "$g" =~ ^[0-9]+$ ]] && kill -TERM -- "-$g" 2>/dev/null || true
done
exit 0
