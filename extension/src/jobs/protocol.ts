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
}

export interface PreviewResult {
  command: string;
  script?: string;
  errors: string[];
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
