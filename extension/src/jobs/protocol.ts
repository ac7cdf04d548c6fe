// jobs/ methods of the sidecar (docs/protocol.md).

export const JobMethods = {
  preview: 'jobs/preview',
  submit: 'jobs/submit',
  list: 'jobs/list',
  get: 'jobs/get',
  cancel: 'jobs/cancel',
  resume: 'jobs/resume',
  fetchAdapter: 'jobs/fetchAdapter',
  logs: 'jobs/logs',
  watch: 'jobs/watch',
  unwatch: 'jobs/unwatch',
  update: 'jobs/update',
  presets: 'jobs/presets',
  trustHost: 'jobs/trustHost',
  configureSlurmRest: 'jobs/configureSlurmRest',
  inspectHost: 'jobs/inspectHost',
  setHostEnvironment: 'jobs/setHostEnvironment',
  fetchProgress: 'jobs/fetchProgress',
} as const;

/** Submit slurm:// jobs through slurmrestd (JWT kept in the sidecar's memory); `baseUrl: null` turns it off. */
export interface ConfigureSlurmRestParams {
  baseUrl?: string | null;
  userName?: string;
  token?: string;
  apiVersion?: string;
}

export type Tuner = 'lora' | 'qlora' | 'full';

export interface JobSpec {
  backend: string;
  identityFile?: string;
  model: string;
  dataset: string[];
  tuner: Tuner;
  numTrainEpochs?: number;
  maxSteps?: number;
  learningRate?: number;
  loraRank?: number;
  loraAlpha?: number;
  batchSize?: number;
  maxLength?: number;
  gpusPerNode?: number;
  nodes?: number;
  outputDir?: string;
  timeLimitMinutes?: number;
  extraArgs?: string[];
  uploadDataset?: string;
  /** Preview only: which ms-swift flags to show (the sidecar detects the version when submitting). */
  swiftMajorVersion?: 3 | 4;
  /** SSH only: exactly these GPUs (nvidia-smi indices). */
  gpuIndices?: number[];
  cpusPerTask?: number;
  saveSteps?: number;
  saveTotalLimit?: number;
  saveOnlyModel?: boolean;
  bnbComputeDtype?: 'float16' | 'bfloat16' | 'float32';
  /** Extra arguments as typed, split by the sidecar with shell quoting. */
  extraArgsText?: string;
  /** Datasets as typed, split by the sidecar with shell quoting. */
  datasetText?: string;
}

export type JobState = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'unknown';

export interface TrainingProgress {
  globalStep: number;
  maxSteps: number;
  percent: number;
  elapsed?: string;
  remaining?: string;
  loss?: number;
  learningRate?: number;
  memoryGiB?: number;
}

export interface TrainingPoint {
  step: number;
  loss?: number;
  learningRate?: number;
  /** Eval rows: a second series. */
  evalLoss?: number;
  gradNorm?: number;
  /** Values swift logged as NaN / Infinity (null above), e.g. "loss=NaN, grad_norm=NaN". */
  nonFinite?: string;
}

export interface JobInfo {
  jobId: string;
  backend: string;
  state: JobState;
  reason?: string;
  /** Set while the job's host or Slurm controller cannot be reached; `state` is then the last one seen, and the sidecar retries. */
  unreachable?: string;
  remoteDir: string;
  command: string;
  submittedAt: string;
  progress?: TrainingProgress;
  lastErrorLines?: string[];
  checkpoints: string[];
  /** Present when the sidecar sends the submitted spec along (not in docs/protocol.md; optional). */
  spec?: Partial<JobSpec>;
  swiftVersion?: string;
  gpuIndices?: number[];
  /** The first step whose loss or gradient norm was NaN/infinite, and what to do about it. */
  divergedAtStep?: number;
  divergence?: string;
  partialCheckpoints?: string[];
  warnings?: string[];
}

export interface PreviewResult {
  command: string;
  /** The exact argv swift gets. */
  argv?: string[];
  /** What the wrapper exports (CUDA_VISIBLE_DEVICES, NPROC_PER_NODE, MASTER_PORT, ...). */
  environment?: Record<string, string>;
  script?: string;
  errors: string[];
  warnings?: string[];
}

export interface GpuInfo {
  index: number;
  name: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  utilizationPercent: number;
  busy: boolean;
}

export interface HostReport {
  host: string;
  environment: string;
  swiftVersion: string;
  python: string;
  hasBitsAndBytes: boolean;
  gpus: GpuInfo[];
  warnings: string[];
}

export interface JobUpdate {
  job: JobInfo;
  newLogLines: string[];
  newPoints: TrainingPoint[];
}

export interface JobPreset {
  id: string;
  label: string;
  spec: Partial<JobSpec>;
}

export interface TrustHostParams {
  host: string;
  port: number;
  fingerprint: string;
}

export interface FetchResult {
  path: string;
  files?: string[];
  bytes?: number;
  skipped?: string[];
  skippedBytes?: number;
}

export interface FetchProgress {
  jobId: string;
  file: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}
