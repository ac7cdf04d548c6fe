#!/usr/bin/env bash
# Debian's Python packages the inference tests use as generators and oracles (run with /usr/bin/python3, not a pyenv):
# python3-onnx + python3-numpy build the decoder fixtures (tests/tools/decoder_fixtures/generate.py, run by the tests on
# first use); python3-jinja2 and python3-sentencepiece recorded the chat-template and tokenizer expectations
# (tests/oracles/*.py) and re-record them. Versions this was recorded with (Debian 12): python3-onnx 1.12.0-2+b4,
# python3-numpy 1:1.24.2-1+deb12u1, python3-jinja2 3.1.2-1+deb12u3, python3-sentencepiece 0.1.97-3+b1. Idempotent.
set -euo pipefail
pkgs=(python3 python3-onnx python3-numpy python3-jinja2 python3-sentencepiece)
if ! dpkg -s "${pkgs[@]}" >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 || {
    apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null; }
fi
for p in python3-onnx python3-numpy python3-jinja2 python3-sentencepiece; do
  echo "$p $(dpkg-query -W -f='${Version}' "$p")"
done
