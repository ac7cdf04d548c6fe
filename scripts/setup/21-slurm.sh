#!/usr/bin/env bash
# Single-node Slurm 22.05 on loopback (munged, slurmctld, slurmd with 2 fake GPUs, slurmrestd with JWT on
# 127.0.0.1:6820), started by hand (no systemd), per docs job-backends.md. Needs scripts/setup/20-ssh.sh (the login
# node is the same sshd/jobuser). Idempotent: daemons from an earlier call are reused.
# Exports MODELIDE_SLURM_HOST/PORT/USER/KEY/REST_URL/JWT_FILE/PARTITION/GPUS to "$MODELIDE_TEST_ENV".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE=${MODELIDE_SLURM_DIR:-/tmp/modelide-slurm}; U=${MODELIDE_JOB_USER:-jobuser}
ENV_OUT=${MODELIDE_TEST_ENV:-/dev/null}
NODE=$(hostname -s)
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
pid_alive() { [ -s "$1" ] && alive "$(cat "$1")"; }

pkgs=(slurmctld slurmd slurm-client munge slurmrestd slurm-wlm-jwt-plugin curl)
if ! dpkg -s "${pkgs[@]}" >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 || {
    apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null; }
fi
mkdir -p "$STATE"; chmod 755 "$STATE"
id "$U" >/dev/null 2>&1 || useradd -m -s /bin/bash "$U"
usermod -p '*' "$U"
id slurmrest >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin slurmrest

if ! pid_alive /run/munge/munged.pid; then
  [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=128 count=1 status=none
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
fi
munge -n | unmunge >/dev/null

if ! { pid_alive /run/slurmctld.pid && pid_alive /run/slurmd.pid; }; then
  rm -rf /var/spool/slurmctld /var/spool/slurmd
  install -d -o slurm -g slurm -m 0755 /var/spool/slurmctld /var/log/slurm
  install -d -m 0755 /var/spool/slurmd
  dd if=/dev/urandom of=/var/spool/slurmctld/jwt_hs256.key bs=32 count=1 status=none
  chown slurm:slurm /var/spool/slurmctld/jwt_hs256.key; chmod 0600 /var/spool/slurmctld/jwt_hs256.key
  mkdir -p "$STATE/fakegpu"
  for i in 0 1; do [ -c "$STATE/fakegpu/nvidia$i" ] || mknod "$STATE/fakegpu/nvidia$i" c 1 3; done
  printf 'AutoDetect=off\nNodeName=%s Name=gpu File=%s/fakegpu/nvidia[0-1]\n' "$NODE" "$STATE" > /etc/slurm/gres.conf
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CryptoType=crypto/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=/var/spool/slurmctld/jwt_hs256.key
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=3600
KillWait=5
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
GresTypes=gpu
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  rm -f /var/log/slurm/jobcomp.log
  bash "$ROOT/scripts/slurm-controller.sh" start --clean
  /usr/sbin/slurmd -N "$NODE"
fi
for _ in $(seq 1 300); do [ "$(sinfo -h -n "$NODE" -o %T 2>/dev/null)" = idle ] && break; sleep 0.1; done
st=$(sinfo -h -n "$NODE" -o %T)
case "$st" in idle|mixed|allocated) ;; *) sinfo -N -l; tail -20 /var/log/slurm/slurm*.log; exit 1;; esac
touch /var/log/slurm/jobcomp.log; chmod 0666 /var/log/slurm/jobcomp.log   # 'sacct -c' opens it for writing

if ! pid_alive "$STATE/slurmrestd.pid"; then
  SLURM_JWT=daemon setsid /usr/sbin/slurmrestd -u slurmrest -g slurmrest -a rest_auth/jwt \
     -s openapi/v0.0.36,openapi/v0.0.37,openapi/v0.0.38 127.0.0.1:6820 >/var/log/slurm/slurmrestd.log 2>&1 </dev/null &
  echo $! > "$STATE/slurmrestd.pid"
fi
su - "$U" -c 'scontrol token lifespan=86400' | sed 's/^SLURM_JWT=//' > "$STATE/jwt.$U"
chmod 0644 "$STATE/jwt.$U"
for _ in $(seq 1 100); do
  curl -sf -o /dev/null -H "X-SLURM-USER-NAME: $U" -H "X-SLURM-USER-TOKEN: $(cat "$STATE/jwt.$U")" \
    http://127.0.0.1:6820/slurm/v0.0.38/ping && break; sleep 0.1; done
curl -sf -o /dev/null -H "X-SLURM-USER-NAME: $U" -H "X-SLURM-USER-TOKEN: $(cat "$STATE/jwt.$U")" \
    http://127.0.0.1:6820/slurm/v0.0.38/ping || { cat /var/log/slurm/slurmrestd.log; exit 1; }

# The login node is the sshd of 20-ssh.sh.
SSHD=${MODELIDE_SSHD_DIR:-/tmp/modelide-sshd}
{
  echo "export MODELIDE_SLURM_HOST=127.0.0.1"
  echo "export MODELIDE_SLURM_PORT=${MODELIDE_SSHD_PORT:-2222}"
  echo "export MODELIDE_SLURM_USER=$U"
  echo "export MODELIDE_SLURM_KEY=$SSHD/client_ed25519"
  echo "export MODELIDE_SLURM_REST_URL=http://127.0.0.1:6820"
  echo "export MODELIDE_SLURM_JWT_FILE=$STATE/jwt.$U"
  echo "export MODELIDE_SLURM_PARTITION=debug"
  echo "export MODELIDE_SLURM_GPUS=2"
} >> "$ENV_OUT"
echo "slurm ready: slurmctld $(cat /run/slurmctld.pid), slurmd $(cat /run/slurmd.pid), slurmrestd $(cat "$STATE/slurmrestd.pid") on 127.0.0.1:6820"
