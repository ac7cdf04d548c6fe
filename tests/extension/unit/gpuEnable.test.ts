import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { describeGpus, enableProgress, enableStep, gpuOffered } from '../../../extension/src/gpu/gpuEnable';
import type { GpuStatusResult } from '../../../extension/src/sidecar/protocol.generated';

// What gpu/status answers on a machine with an H200 and no GPU runtime yet (the shape is the generated contract's).
const h200: GpuStatusResult = {
  supported: true,
  installed: false,
  active: false,
  folder: '/home/u/.modelide/runtimes/microsoft.ml.onnxruntime.gpu.linux-1.31.0',
  package: 'Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0',
  bytes: 0,
  problem: 'the GPU runtime pack is not installed',
  gpus: [{ name: 'NVIDIA H200', totalMemoryBytes: 150_754_820_096, freeMemoryBytes: 149_000_000_000, computeCapability: '9.0' }],
  driver: '580.65.06',
  missingLibraries: [],
  summary: 'NVIDIA H200 (140.4 GiB, 138.8 GiB free) found; the GPU runtime is not installed: run "ModelScope: Enable GPU (CUDA)" or `modelide gpu enable`; running on CPU',
};

describe('Enable GPU (CUDA)', () => {
  it('installs when a GPU is found and the runtime is missing or damaged', () => {
    assert.equal(enableStep(h200), 'install');
    assert.equal(enableStep({ ...h200, problem: 'libonnxruntime.so: SHA-256 mismatch' }), 'install');
  });

  it('is offered in the palette only with a GPU or an installed runtime, on a platform with a CUDA build', () => {
    assert.equal(gpuOffered(h200), true);
    assert.equal(gpuOffered({ ...h200, gpus: [] }), false);
    assert.equal(gpuOffered({ ...h200, gpus: [], installed: true }), true);
    assert.equal(gpuOffered({ ...h200, supported: false }), false);
  });

  it('asks before installing without an NVIDIA GPU', () => {
    assert.equal(enableStep({ ...h200, gpus: [] }), 'noGpu');
  });

  it('offers a restart when installed but the sidecar still runs the CPU build, and nothing when it runs the GPU build', () => {
    assert.equal(enableStep({ ...h200, installed: true, problem: undefined }), 'restartNeeded');
    assert.equal(enableStep({ ...h200, installed: true, active: true, problem: undefined }), 'inUse');
  });

  it('refuses on platforms without a CUDA build of ONNX Runtime', () => {
    assert.equal(enableStep({ ...h200, supported: false, gpus: [] }), 'unsupported');
  });

  it('moves the bar by what was downloaded since the last report and never backwards', () => {
    const total = 244_332_111;
    const first = enableProgress({ enableId: 'g', bytesDone: total / 4, bytesTotal: total }, 0);
    assert.equal(first.percent, 25);
    assert.equal(first.increment, 25);
    assert.equal(first.message, '58.3 MB / 233 MB');
    const repeated = enableProgress({ enableId: 'g', bytesDone: total / 4, bytesTotal: total }, first.percent);
    assert.equal(repeated.increment, 0);
    const done = enableProgress({ enableId: 'g', bytesDone: total, bytesTotal: total }, first.percent);
    assert.equal(done.increment, 75);
    assert.equal(enableProgress({ enableId: 'g', bytesDone: 5, bytesTotal: 0 }, 40).increment, 0);
  });

  it('names the GPUs with their memory', () => {
    assert.equal(describeGpus(h200), 'NVIDIA H200 (140.4 GiB)');
    assert.equal(describeGpus({ ...h200, gpus: [{ name: 'NVIDIA L4' }, { name: 'NVIDIA A10', totalMemoryBytes: 24 * 2 ** 30 }] }), 'NVIDIA L4, NVIDIA A10 (24.0 GiB)');
  });
});
