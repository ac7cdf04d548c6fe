#!/usr/bin/env python3
"""The playground's path on a GPU machine: the sidecar process over JSON-RPC on stdio, as the extension starts it.

Usage: sidecar-check.py SIDECAR WORKDIR PROMPT NEW_TOKENS MODEL_DIR...

For each model: inference/load with the auto policy, two inference/generate calls on the same session (the first
token of the first and of the second, timed from the request to the first inference/token notification, as the
playground sees them), the greedy ids compared with `modelide infer --device auto --json` from device-check.sh
(WORKDIR/<name>.auto.json), GPU memory in use before the load, after it and after inference/unload (nvidia-smi), and
that the sidecar exits with 0 when its input closes. On a GPU, also a CUDA out-of-memory failure in the middle of a
generation (PyTorch, in another process, takes the free memory), and a model loaded a second time. Standard library
only, apart from PyTorch for taking the memory: an independent client, not our code.
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
        # The sidecar's log (stderr) is kept beside the results: what it says about a CUDA failure is part of the check.
        self.log = open(os.path.join(os.environ.get("SIDECAR_LOG_DIR", "/tmp"), "sidecar.log"), "wb")
        self.proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.log.write(line)
            self.log.flush()

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


HOG = """
import sys, time, torch
free, _ = torch.cuda.mem_get_info()
held = []
# Everything that is free, in 256 MiB blocks and then smaller ones, so nothing is left for the sidecar's next allocation.
for size in (256 << 20, 16 << 20, 1 << 20):
    while True:
        try:
            held.append(torch.empty(size, dtype=torch.uint8, device="cuda"))
        except RuntimeError:
            break
print(len(held), flush=True)
time.sleep(600)
"""


def out_of_memory_while_generating(sidecar, model, prompt):
    """Loads a model on the GPU, lets another process take every free byte of GPU memory, then generates long enough
    for the KV cache to need more: the CUDA failure must move the model to the CPU with the reason, and the sidecar must
    keep answering."""
    name = os.path.basename(model.rstrip("/"))
    loaded = sidecar.request("inference/load", {"modelDir": model, "policy": "auto"})
    if loaded["device"] != "gpu":
        print(f"sidecar {name}: out-of-memory check not run: loaded on {loaded['device']}")
        return 1
    # As many tokens as the context leaves room for, up to 1,500: the KV cache has to grow while the memory is gone.
    budget = min(1500, loaded["contextLength"] - 64)
    hog = subprocess.Popen([sys.executable, "-c", HOG], stdout=subprocess.PIPE, text=True)
    blocks = hog.stdout.readline().strip()
    print(f"sidecar {name}: another process took the free GPU memory ({blocks} blocks; {gpu_used_mib()} MiB in use)")
    try:
        result = sidecar.request("inference/generate", {
            "sessionId": loaded["sessionId"], "generationId": f"{name}-oom", "prompt": prompt, "maxNewTokens": budget})
        print(f"sidecar {name}: generated {result['generatedTokens']} tokens under memory pressure, ended on {result['device']}: {result['reason']}")
        alive = sidecar.request("sidecar/ping", {})
        print(f"sidecar {name}: still answering after it (ping from process {alive['processId']})")
        for attempt in (1, 2):
            after = sidecar.request("inference/generate", {
                "sessionId": loaded["sessionId"], "generationId": f"{name}-after-{attempt}", "prompt": prompt, "maxNewTokens": 16})
            print(f"sidecar {name}: generation #{attempt} after it, still under pressure, ran on {after['device']} "
                  f"({after['generatedTokens']} tokens): {after['reason']}")
        return 0
    except RuntimeError as e:
        print(f"sidecar {name}: generation under memory pressure failed: {e}")
        return 1
    finally:
        hog.kill()
        hog.wait()
        sidecar.request("inference/unload", {"sessionId": loaded["sessionId"]})


def main():
    exe, work, prompt, new_tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    models = sys.argv[5:]
    sidecar = Sidecar(exe)
    sidecar.request("sidecar/initialize", {"endpoint": "http://127.0.0.1:9", "logLevel": "debug"})
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
    if os.environ.get("MODELIDE_GPU_CHECK_DRY_RUN") is None and models:
        failures += out_of_memory_while_generating(sidecar, models[-1], prompt)
        # A model loaded again in the same process: the GPU runtime's files are not hashed again (GpuRuntimePackStore).
        started = time.perf_counter()
        again = sidecar.request("inference/load", {"modelDir": models[0], "policy": "auto"})
        print(f"sidecar {os.path.basename(models[0].rstrip('/'))}: loaded again in {(time.perf_counter() - started) * 1000:.0f} ms on {again['device']}")
        sidecar.request("inference/unload", {"sessionId": again["sessionId"]})
    sidecar.proc.stdin.close()
    code = sidecar.proc.wait(timeout=60)
    print(f"sidecar exited with {code} when its input closed")
    return 1 if failures or code != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
