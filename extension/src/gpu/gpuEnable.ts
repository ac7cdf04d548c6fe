// What "Enable GPU (CUDA)" does next for a gpu/status answer, and its progress bar: pure logic, no vscode.
import { formatBytes } from '../common/format';
import type { GpuProgressParams, GpuStatusResult } from '../sidecar/protocol.generated';

/**
 * - `unsupported`: ONNX Runtime has no CUDA build for this platform.
 * - `inUse`: installed, and this sidecar already runs the GPU build.
 * - `restartNeeded`: installed (by the CLI, or just now) but the running sidecar started with the CPU build.
 * - `noGpu`: not installed and no NVIDIA GPU found: installing is allowed, after asking.
 * - `install`: not installed (or damaged: installing repairs it) and a GPU is there.
 */
export type EnableStep = 'unsupported' | 'inUse' | 'restartNeeded' | 'noGpu' | 'install';

export function enableStep(status: GpuStatusResult): EnableStep {
  if (!status.supported) {
    return 'unsupported';
  }
  if (status.installed) {
    return status.active ? 'inUse' : 'restartNeeded';
  }
  return status.gpus.length === 0 ? 'noGpu' : 'install';
}

/**
 * Whether "Enable GPU (CUDA)" is offered in the command palette: an NVIDIA GPU was found, or the runtime is installed
 * (so it can be checked or repaired). Without either the command would only explain that there is nothing to enable;
 * `modelide gpu enable --force` stays for installing ahead of a GPU.
 */
export function gpuOffered(status: GpuStatusResult): boolean {
  return status.supported && (status.gpus.length > 0 || status.installed);
}

/** Percentage points to add to a progress bar that last showed `previousPercent`, and the "120 MB / 233 MB" line. */
export function enableProgress(p: GpuProgressParams, previousPercent: number): { percent: number; increment: number; message: string } {
  const percent = p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal) : previousPercent;
  return {
    percent,
    increment: Math.max(0, percent - previousPercent),
    message: `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`,
  };
}

/** The GPUs for a message: "NVIDIA H200 (140.4 GiB)", several joined with commas. */
export function describeGpus(status: GpuStatusResult): string {
  return status.gpus
    .map((g) => (g.totalMemoryBytes ? `${g.name} (${(g.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB)` : g.name))
    .join(', ');
}
