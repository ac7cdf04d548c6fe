#!/usr/bin/env bash
# Key-only OpenSSH server on 127.0.0.1:2222 for user jobuser (fine-tune job tests), with the stand-in `swift`
# (tests/fixtures/swift) on that user's PATH. Idempotent: a running sshd from an earlier call is reused.
# Exports MODELIDE_SSH_HOST/PORT/USER/KEY/KNOWN_HOSTS/HOST_FINGERPRINT/DATASET to "$MODELIDE_TEST_ENV".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
D=${MODELIDE_SSHD_DIR:-/tmp/modelide-sshd}; U=${MODELIDE_JOB_USER:-jobuser}; PORT=${MODELIDE_SSHD_PORT:-2222}
ENV_OUT=${MODELIDE_TEST_ENV:-/dev/null}
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }  # zombies count as gone

if ! dpkg -s openssh-server openssh-client >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends openssh-server openssh-client >/dev/null 2>&1 || {
    apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends openssh-server openssh-client >/dev/null; }
fi
mkdir -p "$D"; chmod 755 "$D"
id "$U" >/dev/null 2>&1 || useradd -m -s /bin/bash "$U"
usermod -p '*' "$U"   # useradd leaves the account locked; with UsePAM no, sshd then refuses even key auth
[ -f "$D/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$D/ssh_host_ed25519_key"
[ -f "$D/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C modelide-test -f "$D/client_ed25519"
install -d -m 700 -o "$U" -g "$U" "/home/$U/.ssh"
install -m 600 -o "$U" -g "$U" "$D/client_ed25519.pub" "/home/$U/.ssh/authorized_keys"
install -d -m 0755 /run/sshd

# The stand-in ms-swift: CLI in ~/bin (on PATH via Debian's ~/.profile), package in ~/lib/python (PYTHONPATH).
H=/home/$U
install -d -o "$U" -g "$U" "$H/bin" "$H/lib" "$H/lib/python" "$H/lib/python/swift" "$H/data" "$H/.config" "$H/.config/modelide-swift-standin"
install -m 755 -o "$U" -g "$U" "$ROOT/tests/fixtures/swift/swift" "$H/bin/swift"
install -m 644 -o "$U" -g "$U" "$ROOT/tests/fixtures/swift/python/swift/__init__.py" "$H/lib/python/swift/__init__.py"
grep -q 'modelide-swift-standin' "$H/.profile" 2>/dev/null || {
  printf '\n# modelide-swift-standin\nexport PYTHONPATH="$HOME/lib/python${PYTHONPATH:+:$PYTHONPATH}"\nexport PATH="$HOME/bin:$PATH"\n' >> "$H/.profile"
  chown "$U:$U" "$H/.profile"; }
printf '{"query":"hi","response":"hello"}\n{"query":"1+1","response":"2"}\n' > "$H/data/train.jsonl"
chown "$U:$U" "$H/data/train.jsonl"
[ -f "$H/.config/modelide-swift-standin/version" ] || { echo 4 > "$H/.config/modelide-swift-standin/version"; chown "$U:$U" "$H/.config/modelide-swift-standin/version"; }

cat > "$D/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $D/ssh_host_ed25519_key
PidFile $D/sshd.pid
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
AllowUsers $U
AuthorizedKeysFile .ssh/authorized_keys
Subsystem sftp internal-sftp
MaxSessions 64
MaxStartups 64:30:128
LogLevel VERBOSE
CONF
/usr/sbin/sshd -t -f "$D/sshd_config"
if ! { [ -s "$D/sshd.pid" ] && alive "$(cat "$D/sshd.pid")"; }; then
  /usr/sbin/sshd -f "$D/sshd_config" -E "$D/sshd.log"   # daemonizes; pid in $D/sshd.pid
fi
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$D/ssh_host_ed25519_key.pub")" > "$D/known_hosts"
for _ in $(seq 1 50); do
  ssh -p "$PORT" -i "$D/client_ed25519" -o BatchMode=yes -o UserKnownHostsFile="$D/known_hosts" \
      -o StrictHostKeyChecking=yes "$U@127.0.0.1" true 2>/dev/null && break; sleep 0.1; done
v=$(ssh -p "$PORT" -i "$D/client_ed25519" -o BatchMode=yes -o UserKnownHostsFile="$D/known_hosts" "$U@127.0.0.1" \
      'bash -lc "command -v swift >/dev/null && python3 -c \"import swift; print(swift.__version__)\""')
FP=$(ssh-keygen -lf "$D/ssh_host_ed25519_key.pub" | awk '{print $2}')
{
  echo "export MODELIDE_SSH_HOST=127.0.0.1"
  echo "export MODELIDE_SSH_PORT=$PORT"
  echo "export MODELIDE_SSH_USER=$U"
  echo "export MODELIDE_SSH_KEY=$D/client_ed25519"
  echo "export MODELIDE_SSH_KNOWN_HOSTS=$D/known_hosts"
  echo "export MODELIDE_SSH_HOST_FINGERPRINT=$FP"
  echo "export MODELIDE_SSH_DATASET=$H/data/train.jsonl"
} >> "$ENV_OUT"
echo "sshd on 127.0.0.1:$PORT (pid $(cat "$D/sshd.pid")), host key $FP, stand-in swift $v for $U"
