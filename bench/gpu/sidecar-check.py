#!/usr/bin/env python3
"""The playground's path on a GPU machine: the sidecar process over JSON-RPC on stdio, as the extension starts it.

Usage: sidecar-check.py SIDECAR WORKDIR PROMPT NEW_TOKENS MODEL_DIR...

For each model: inference/load with the auto policy, two inference/generate calls on the same session (the first
token of the first and of the second, timed from the request to the first inference/token notification, as the
playground sees them), the greedy ids compared with `modelide infer --device auto --json` from device-check.sh
(WORKDIR/<name>.auto.json), GPU memory in use before the load, after it and after inference/unload (nvidia-smi), and
that the sidecar exits with 0 when its input closes. Standard library only: an independent client, not our code.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time


def gpu_used_mib():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20).stdout.strip()
        return int(out.splitlines()[0])
    except Exception:  # no GPU (dry run) or no nvidia-smi
        return None


class Sidecar:
    def __init__(self, exe):
        self.proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for _ in self.proc.stderr:
            pass

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = out.read(length)
            self.messages.put((time.perf_counter(), json.loads(body)))

    def send(self, message):
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method, params, on_notification=None, timeout=600):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.time() + timeout
        while time.time() < deadline:
            item = self.messages.get(timeout=deadline - time.time())
            if item is None:
                raise RuntimeError(f"sidecar exited during {method} (code {self.proc.wait()})")
            at, msg = item
            if msg.get("id") == rid and "method" not in msg:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            if "method" in msg and on_notification:
                on_notification(at, msg)
        raise TimeoutError(method)


def main():
    exe, work, prompt, new_tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    models = sys.argv[5:]
    sidecar = Sidecar(exe)
    sidecar.request("sidecar/initialize", {"endpoint": "http://127.0.0.1:9"})
    failures = 0
    for model in models:
        name = os.path.basename(model.rstrip("/"))
        before = gpu_used_mib()
        started = time.perf_counter()
        loaded = sidecar.request("inference/load", {"modelDir": model, "policy": "auto"})
        load_ms = (time.perf_counter() - started) * 1000
        after_load = gpu_used_mib()
        print(f"sidecar {name}: load {load_ms:.0f} ms on {loaded['device']} ({loaded['reason']})")
        for attempt in (1, 2):
            first = []
            sent = time.perf_counter()
            result = sidecar.request("inference/generate", {
                "sessionId": loaded["sessionId"], "generationId": f"{name}-{attempt}", "prompt": prompt, "maxNewTokens": new_tokens},
                on_notification=lambda at, msg: first.append(at) if msg.get("method") == "inference/token" else None)
            total = time.perf_counter() - sent
            first_ms = (first[0] - sent) * 1000 if first else float("nan")
            same = "-"
            reference = os.path.join(work, f"{name}.auto.json")
            if os.path.exists(reference):
                with open(reference, encoding="utf-8") as f:
                    same = str(json.load(f)["token_ids"] == result["tokenIds"]).lower()
                failures += same == "false"
            print(f"sidecar {name}: generate #{attempt} on {result['device']}: {result['generatedTokens']} tokens, "
                  f"first token notification after {first_ms:.1f} ms, {total * 1000:.0f} ms in all, "
                  f"{result['tokensPerSecond']:.1f} tok/s; same ids as modelide infer: {same}")
        sidecar.request("inference/unload", {"sessionId": loaded["sessionId"]})
        time.sleep(0.5)
        print(f"sidecar {name}: GPU memory used {before} MiB before load, {after_load} after, {gpu_used_mib()} after unload")
    sidecar.proc.stdin.close()
    code = sidecar.proc.wait(timeout=60)
    print(f"sidecar exited with {code} when its input closed")
    return 1 if failures or code != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
