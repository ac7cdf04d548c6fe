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
# Jobs the tests left detached on the remote user (setsid'd wrappers): stopped by their recorded process group, only
# while the recorded pid is still that job's wrapper (pids get reused).
for d in /home/${MODELIDE_JOB_USER:-jobuser}/.modelide/jobs/*/; do
  [ "$(cat "$d/state" 2>/dev/null)" = running ] || continue
  p=$(cat "$d/pid" 2>/dev/null); g=$(cat "$d/pgid" 2>/dev/null)
  [[ "$p" =~ ^[0-9]+$ && "$g" =~ ^[0-9]+$ ]] || continue
  case "$(ps -o args= -p "$p" 2>/dev/null)" in *"${d%/}/run.sh"*) kill -TERM -- "-$g" 2>/dev/null || true;; esac
done
exit 0
