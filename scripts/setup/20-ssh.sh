#!/usr/bin/env bash
# Key-only OpenSSH server on 127.0.0.1:2222 for user jobuser (fine-tune job tests), with the stand-in `swift`
# (tests/fixtures/swift) for that user: see below. Idempotent: a running sshd from an earlier call is reused.
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

# The stand-in ms-swift (tests/fixtures/swift), installed the way pip installs the real one: the package and its
# dist-info in a site folder, a `swift` console script whose shebang names that environment's Python.
#  - default: /usr/bin/python3 + ~/lib/python (a .pth in /usr/local/lib/python3.X/dist-packages, like a system-wide
#    pip install), `swift`, `nvidia-smi` (recorded 8 x V100 output) and `modelide-swift-standin-version` in ~/bin;
#  - ~/envs/swift3-venv: a venv with ms-swift 3.12.6 and no bitsandbytes (per-host "venv" activation);
#  - ~/miniconda3/envs/swift40: a conda env (conda's shell hook stand-in) with ms-swift 4.0.4 ("conda" activation);
#  - ~/envs/swift2-venv: ms-swift 2.6.1, which ModelIde must refuse.
# None of the environments is on the PATH of a non-interactive shell; the conda hook sits in ~/.bashrc, which Debian's
# .bashrc skips when not interactive, as on a real server.
H=/home/$U
F="$ROOT/tests/fixtures/swift"
if ! /usr/bin/python3 -c 'import venv' >/dev/null 2>&1 && ! dpkg -s python3-venv >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends python3-venv >/dev/null
fi
install_standin() { # python site-dir bin-dir version with-bitsandbytes(0|1)
  local py=$1 site=$2 bin=$3 version=$4 bnb=$5
  install -d -o "$U" -g "$U" "$site" "$bin"
  rm -rf "$site/swift" "$site/bitsandbytes" "$site"/ms_swift-*.dist-info
  cp -r "$F/python/swift" "$site/swift"
  [ "$bnb" = 1 ] && cp -r "$F/python/bitsandbytes" "$site/bitsandbytes"
  mkdir -p "$site/ms_swift-$version.dist-info"
  printf 'Metadata-Version: 2.1\nName: ms_swift\nVersion: %s\n' "$version" > "$site/ms_swift-$version.dist-info/METADATA"
  { echo "#!$py"; tail -n +2 "$F/swift"; } > "$bin/swift"
  chmod 755 "$bin/swift"
  find "$site/swift" "$site/ms_swift-$version.dist-info" -name __pycache__ -prune -o -exec chown "$U:$U" {} +
  [ "$bnb" = 1 ] && chown -R "$U:$U" "$site/bitsandbytes"
  chown "$U:$U" "$bin/swift"
}
make_venv() { # folder
  [ -x "$1/bin/python" ] || runuser -u "$U" -- /usr/bin/python3 -m venv --without-pip "$1"
  runuser -u "$U" -- "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
}
install -d -o "$U" -g "$U" "$H/bin" "$H/lib" "$H/lib/python" "$H/data" "$H/envs" "$H/.config" "$H/.config/modelide-swift-standin"
current=$(cat "$H/.config/modelide-swift-standin/version" 2>/dev/null || true)
case "$current" in 2) current=2.6.1;; 3) current=3.12.6;; 4.0) current=4.0.4;; 4) current=4.5.1;; esac
install_standin /usr/bin/python3 "$H/lib/python" "$H/bin" "${current:-4.5.1}" 1
install -m 755 -o "$U" -g "$U" "$F/nvidia-smi" "$H/bin/nvidia-smi"
install -m 644 -o "$U" -g "$U" "$F/nvidia-gpus.csv" "$H/bin/nvidia-gpus.csv"
install -m 755 -o "$U" -g "$U" "$F/set-version" "$H/bin/modelide-swift-standin-version"
[ -s "$H/.config/modelide-swift-standin/version" ] || { echo "${current:-4.5.1}" > "$H/.config/modelide-swift-standin/version"; chown "$U:$U" "$H/.config/modelide-swift-standin/version"; }
pth_dir=$(/usr/bin/python3 -c 'import sys; print([p for p in sys.path if p.startswith("/usr/local/lib/python") and p.endswith("dist-packages")][0])')
install -d "$pth_dir"
echo "$H/lib/python" > "$pth_dir/modelide-swift-standin.pth"
# ~/bin on PATH at login; the stand-in is no longer reached through PYTHONPATH (a venv would see it too).
if grep -q 'modelide-swift-standin' "$H/.profile" 2>/dev/null; then
  sed -i '/^export PYTHONPATH="\$HOME\/lib\/python/d' "$H/.profile"
else
  printf '\n# modelide-swift-standin\nexport PATH="$HOME/bin:$PATH"\n' >> "$H/.profile"
fi
chown "$U:$U" "$H/.profile"
site=$(make_venv "$H/envs/swift3-venv"); install_standin "$H/envs/swift3-venv/bin/python" "$site" "$H/envs/swift3-venv/bin" 3.12.6 0
site=$(make_venv "$H/envs/swift2-venv"); install_standin "$H/envs/swift2-venv/bin/python" "$site" "$H/envs/swift2-venv/bin" 2.6.1 0
install -d -o "$U" -g "$U" "$H/miniconda3" "$H/miniconda3/bin" "$H/miniconda3/etc" "$H/miniconda3/etc/profile.d" "$H/miniconda3/envs"
install -m 644 -o "$U" -g "$U" "$F/conda/conda.sh" "$H/miniconda3/etc/profile.d/conda.sh"
site=$(make_venv "$H/miniconda3/envs/swift40"); install -d -o "$U" -g "$U" "$H/miniconda3/envs/swift40/conda-meta"
install_standin "$H/miniconda3/envs/swift40/bin/python" "$site" "$H/miniconda3/envs/swift40/bin" 4.0.4 1
grep -q '>>> conda initialize >>>' "$H/.bashrc" 2>/dev/null || {
  printf '\n# >>> conda initialize >>>\n. "$HOME/miniconda3/etc/profile.d/conda.sh"\n# <<< conda initialize <<<\n' >> "$H/.bashrc"
  chown "$U:$U" "$H/.bashrc"; }
printf '{"query":"hi","response":"hello"}\n{"query":"1+1","response":"2"}\n' > "$H/data/train.jsonl"
printf '{"query":"2+2","response":"4"}\n' > "$H/data/val.jsonl"
chown "$U:$U" "$H/data/train.jsonl" "$H/data/val.jsonl"

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
  echo "export MODELIDE_SSH_VAL_DATASET=$H/data/val.jsonl"
} >> "$ENV_OUT"
echo "sshd on 127.0.0.1:$PORT (pid $(cat "$D/sshd.pid")), host key $FP, stand-in swift $v for $U"
