// Generated from backend/ModelIde.Protocol by tools/ModelIde.ProtocolGen: do not edit. Change the C# records and
// method constants, then run `bash scripts/protocol.sh` (the build fails while this file is stale).
// C# `FooDto` is `Foo` here; enums are their camelCase member names; a nullable or defaulted member is optional.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/node';

// --- sidecar/

export interface InitializeParams {
  endpoint: string;
  /** The sidecar's log level from now on (as `sidecar/setLogLevel`). */
  logLevel?: SidecarLogLevel;
  /** The client's UI language (`vscode.env.language`): the sidecar's UI culture. */
  locale?: string;
}

/** How much the sidecar logs to stderr (the extension's output channel level). */
export type SidecarLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface InitializeResult {
  version: string;
  processId: number;
  endpoint: string;
}

export interface PingResult {
  processId: number;
  uptimeMilliseconds: number;
}

export interface EchoParams {
  items: string[];
}

export interface SetLogLevelParams {
  level: SidecarLogLevel;
}

/** What the extension can act on: sign in again, retry after N seconds, show the request id, trust a host key. */
export interface RpcErrorData {
  kind: ModelIdeErrorKind;
  /** The server's own code (ModelScope's business code, HTTP status, `UnknownHostKey`, ...). */
  serverCode?: string;
  requestId?: string;
  retryAfterSeconds?: number;
  /** With `UnknownHostKey` and `HostKeyMismatch`: the SSH host whose key was refused. */
  host?: string;
  port?: number;
  /** With `UnknownHostKey` and `HostKeyMismatch`: the refused key's `SHA256:...` fingerprint. */
  fingerprint?: string;
}

/** What kind of failure an operation hit: Core throws it (ModelIdeException), the sidecar sends it in `RpcErrorData`, one application error code per kind. */
export type ModelIdeErrorKind = 'unknown' | 'invalidInput' | 'authenticationRequired' | 'permissionDenied' | 'notFound' | 'rateLimited' | 'serverError' | 'network' | 'integrityFailure' | 'unsafeInput' | 'conflict' | 'remoteFailure' | 'diskFull';

export const SidecarMethods = {
  /** Request. First call after start: the hub endpoint and the client's settings; answers with the sidecar's version. */
  initialize: new RequestType<InitializeParams, InitializeResult, RpcErrorData>('sidecar/initialize'),
  /** Request. Cheap liveness check; answers with the process id. */
  ping: new RequestType0<PingResult, RpcErrorData>('sidecar/ping'),
  /** Request. Echoes the given items; used to measure round trips of large payloads. */
  echo: new RequestType<EchoParams, EchoParams, RpcErrorData>('sidecar/echo'),
  /** Notification, client → sidecar. The client's log level changed (the output channel's "Set Log Level..."): the sidecar follows it at once. */
  setLogLevel: new NotificationType<SetLogLevelParams>('sidecar/setLogLevel'),
} as const;

// --- auth/

export interface ValidateTokenParams {
  endpoint: string;
  accessToken: string;
}

/** A signed-in account. The extension stores it in SecretStorage; it never reaches a log or a setting. */
export interface AuthSession {
  id: string;
  endpoint: string;
  userName: string;
  accessToken: string;
  kind: AuthSessionKind;
  scopes: string[];
  email?: string;
  refreshToken?: string;
  gitToken?: string;
  /** ISO 8601; OAuth sessions only. */
  expiresAt?: string;
  /** OAuth: the client the tokens belong to. */
  clientId?: string;
}

/** How a session was signed in: a pasted or found access token, or the OAuth browser flow. */
export type AuthSessionKind = 'accessToken' | 'oauth';

export interface SignInWithBrowserParams {
  endpoint: string;
  clientId?: string;
  scopes?: string[];
  timeoutSeconds?: number;
}

export interface OpenBrowserParams {
  url: string;
}

export interface RefreshParams {
  endpoint: string;
  clientId?: string;
  refreshToken: string;
}

export interface ActivateParams {
  endpoint: string;
  accessToken: string;
  /** Without it the sidecar validates the token first (users/me). */
  userName?: string;
  gitToken?: string;
  kind?: AuthSessionKind;
  id?: string;
}

export interface ActivateResult {
  userName: string;
}

export interface SignOutParams {
  endpoint?: string;
  accessToken?: string;
  refreshToken?: string;
  clientId?: string;
}

export interface SignOutResult {
  revoked: boolean;
}

export type DiscoverLocalCredentialsParams = Record<string, never>;

export interface DiscoverLocalCredentialsResult {
  /** Where the token was found; absent when none was. */
  source?: LocalCredentialSource;
  accessToken?: string;
  userName?: string;
}

export type LocalCredentialSource = 'env' | 'sdk';

export interface SessionExpiredParams {
  endpoint: string;
  userName?: string;
  /** What the hub answered, redacted (e.g. "The access token has expired"). */
  reason: string;
}

export const AuthMethods = {
  /** Request. Validates an access token with users/me, then login for the git token; does not activate it. */
  validateToken: new RequestType<ValidateTokenParams, AuthSession, RpcErrorData>('auth/validateToken'),
  /** Request (long; cancel with $/cancelRequest). OIDC code + PKCE in the browser: the sidecar listens on 127.0.0.1 (random port) and sends `auth/openBrowser`. `clientId` defaults to `modelide`, `scopes` to `openid profile offline_access`. */
  signInWithBrowser: new RequestType<SignInWithBrowserParams, AuthSession, RpcErrorData>('auth/signInWithBrowser'),
  /** Notification, sidecar → client. Open this URL in the user's browser (the extension uses `env.openExternal(await env.asExternalUri(url))`, http(s) only). */
  openBrowser: new NotificationType<OpenBrowserParams>('auth/openBrowser'),
  /** Request. Exchanges a refresh token for a new session. */
  refresh: new RequestType<RefreshParams, AuthSession, RpcErrorData>('auth/refresh'),
  /** Request. Makes the given session the sidecar's current one (an `AuthSession` may be passed as is). */
  activate: new RequestType<ActivateParams, ActivateResult, RpcErrorData>('auth/activate'),
  /** Request. Revokes where the server supports it and clears the in-memory session; works offline. */
  signOut: new RequestType<SignOutParams, SignOutResult, RpcErrorData>('auth/signOut'),
  /** Request. Looks for MODELSCOPE_API_TOKEN and the ModelScope SDK's credentials folder. */
  discoverLocalCredentials: new RequestType<DiscoverLocalCredentialsParams, DiscoverLocalCredentialsResult, RpcErrorData>('auth/discoverLocalCredentials'),
  /** Notification, sidecar → client. The hub refused the active session's token (revoked or expired mid-session): sent once per activated session, however many calls fail; each failed call still answers authenticationRequired. Not sent for a token being validated. */
  sessionExpired: new NotificationType<SessionExpiredParams>('auth/sessionExpired'),
} as const;

// --- downloads/

export interface DownloadsStartParams {
  /** Chosen by the client; progress notifications carry it. */
  downloadId: string;
  modelId: string;
  revision?: string;
  include?: string[];
  cacheDir?: string;
  /** Serve the cached snapshot without asking the hub (the `modelscope.offline` setting; `MODELSCOPE_OFFLINE=1` in the sidecar's environment does the same). */
  offline?: boolean;
}

export interface DownloadsStartResult {
  localPath: string;
  files: number;
  bytes: number;
  /** Set when the cache was used without the hub (offline, or the hub could not be reached): what was used and whether it is known to be complete. */
  notice?: string;
  /** Files the hub listed without a SHA-256: their sizes were checked, not their contents. */
  filesWithoutSha256?: number;
}

/** Progress of one model download. `bytesDone` counts cached and resumed bytes too. */
export interface DownloadProgress {
  file?: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  bytesPerSecond: number;
  etaSeconds?: number;
}

/** A download's progress, under the id the client started it with. */
export interface DownloadsProgressParams extends DownloadProgress {
  downloadId: string;
}

export interface CacheDirParams {
  cacheDir?: string;
}

export interface CachedModelsResult {
  models: CachedModel[];
}

export interface CachedModel {
  modelId: string;
  revision?: string;
  localPath: string;
  bytes: number;
}

export interface DeleteFromCacheParams {
  modelId: string;
  revision?: string;
  cacheDir?: string;
}

export interface DeleteFromCacheResult {
  deleted: string[];
}

export const DownloadsMethods = {
  /** Request (long; cancel with $/cancelRequest). Downloads a model (or the files matching `include` globs) into the cache; resumes what an earlier run left. */
  start: new RequestType<DownloadsStartParams, DownloadsStartResult, RpcErrorData>('downloads/start'),
  /** Notification, sidecar → client. About 5 per second per download. */
  progress: new NotificationType<DownloadsProgressParams>('downloads/progress'),
  /** Request. Models in the cache. */
  cachedModels: new RequestType<CacheDirParams, CachedModelsResult, RpcErrorData>('downloads/cachedModels'),
  /** Request. Removes a model (or one revision) from the cache. */
  deleteFromCache: new RequestType<DeleteFromCacheParams, DeleteFromCacheResult, RpcErrorData>('downloads/deleteFromCache'),
} as const;

// --- git/

export interface GitCloneParams {
  modelId: string;
  targetDir: string;
  revision?: string;
  /** Leave LFS files (weights) as pointers instead of downloading them. */
  skipLfs?: boolean;
}

export interface GitCloneResult {
  path: string;
}

export interface GitProgressParams {
  modelId: string;
  /** git's own name of the step ("Receiving objects"). */
  phase: string;
  percent: number;
  done?: number;
  total?: number;
}

export const GitMethods = {
  /** Request (long; cancel with $/cancelRequest). git clone with its LFS files; the session's git token goes only to the hub's own address (a credential helper; never in the URL, argv or `.git/config`). */
  clone: new RequestType<GitCloneParams, GitCloneResult, RpcErrorData>('git/clone'),
  /** Notification, sidecar → client. git's own `--progress` lines, at most about 5 per second per clone. */
  progress: new NotificationType<GitProgressParams>('git/progress'),
} as const;

// --- gpu/

export interface GpuStatusParams {
  /** The `modelscope.inference.cudaPath` setting: a folder searched first for the CUDA libraries. */
  cudaPath?: string;
  /** Also check every installed file's SHA-256 (slower: about 320 MB are read). */
  verify?: boolean;
}

export interface GpuStatusResult {
  /** False where ONNX Runtime has no CUDA build (only Linux and Windows on x64 have one). */
  supported: boolean;
  installed: boolean;
  /** Whether this sidecar process runs the GPU build (it was installed before the sidecar started). */
  active: boolean;
  folder?: string;
  package?: string;
  bytes: number;
  /** Why it is not installed or not usable, in words; null when installed and intact. */
  problem?: string;
  gpus: NvidiaGpu[];
  driver?: string;
  missingLibraries: string[];
  /** Where a model would run and why, in one sentence. */
  summary: string;
}

export interface NvidiaGpu {
  name: string;
  totalMemoryBytes?: number;
  freeMemoryBytes?: number;
  computeCapability?: string;
}

export interface GpuEnableParams {
  /** Chosen by the client; progress notifications carry it. */
  enableId: string;
  /** The `modelscope.gpu.packageSource` setting: a NuGet v3 feed URL, or a folder or .nupkg file; empty means MODELIDE_GPU_PACKAGE_SOURCE, else nuget.org. */
  source?: string;
  /** Install even when no NVIDIA GPU is found. */
  force?: boolean;
}

export interface GpuEnableResult {
  folder: string;
  alreadyInstalled: boolean;
  downloadedBytes: number;
  source: string;
}

export interface GpuProgressParams {
  enableId: string;
  bytesDone: number;
  bytesTotal: number;
}

export interface GpuRemoveResult {
  freedBytes: number;
}

export const GpuMethods = {
  /** Request. The GPU, driver and CUDA libraries found, whether the GPU runtime is installed, and where models would run. */
  status: new RequestType<GpuStatusParams, GpuStatusResult, RpcErrorData>('gpu/status'),
  /** Request (long; cancel with $/cancelRequest). Downloads the pinned GPU runtime package, verifies its SHA-256 and SHA-512, and installs it (a no-op when it is already there and intact). The sidecar keeps the ONNX Runtime it started with: restart it to use the GPU build. */
  enable: new RequestType<GpuEnableParams, GpuEnableResult, RpcErrorData>('gpu/enable'),
  /** Notification, sidecar → client. Download progress of `gpu/enable`, about one per 10 MiB. */
  progress: new NotificationType<GpuProgressParams>('gpu/progress'),
  /** Request. Deletes the GPU runtime; models run on the CPU build again after the sidecar restarts. */
  remove: new RequestType0<GpuRemoveResult, RpcErrorData>('gpu/remove'),
} as const;

// --- inference/

export interface InferenceDevicesParams {
  policy?: DevicePolicyKind;
  epLibraryPath?: string;
  /** The `modelscope.inference.cudaPath` setting: a folder searched first for the CUDA libraries. */
  cudaPath?: string;
}

/** Where a model should run (the `modelscope.inference.devicePolicy` setting). */
export type DevicePolicyKind = 'auto' | 'preferCpu' | 'preferGpu' | 'preferNpu' | 'maxEfficiency';

export interface InferenceDevicesResult {
  hardware: HardwareDevice[];
  executionProviders: ExecutionProvider[];
  summary: string;
}

export interface HardwareDevice {
  type: string;
  vendor: string;
  vendorId: number;
  deviceId: number;
}

export interface ExecutionProvider {
  name: string;
  vendor: string;
  deviceType: string;
}

export interface InferenceLoadParams {
  modelDir: string;
  policy?: DevicePolicyKind;
  epLibraryPath?: string;
  threads?: number;
  /** The `modelscope.inference.cudaPath` setting: a folder searched first for the CUDA libraries. */
  cudaPath?: string;
  /** Which ONNX file to run, relative to `modelDir` (the `modelscope.inference.modelFile` setting); null lets the sidecar choose by device and memory. */
  file?: string;
}

export interface InferenceLoadResult {
  sessionId: string;
  device: string;
  reason: string;
  contextLength: number;
  chatTemplate?: string;
  isChatModel: boolean;
  /** The ONNX file that runs, relative to the model folder, with forward slashes. */
  file: string;
  /** Why that file: the only one, chosen by the user, or the precision that suits the device (with the variants found). */
  fileReason: string;
  /** The model's own generation defaults, which the playground starts from. */
  defaults: GenerationDefaults;
}

/** genai_config.json's search section, else generation_config.json; each null when the model does not say. */
export interface GenerationDefaults {
  /** Prompt plus generated tokens at most. */
  maxLength?: number;
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
}

export interface InferenceGenerateParams {
  sessionId: string;
  generationId: string;
  prompt?: string;
  messages?: ChatMessage[];
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  stop?: string[];
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export type ChatRole = 'system' | 'user' | 'assistant';

export interface InferenceGenerateResult {
  text: string;
  tokenIds: number[];
  promptTokens: number;
  generatedTokens: number;
  tokensPerSecond: number;
  stopReason: StopReasonKind;
  /** Where the generation ended: "cpu" after a GPU failure mid-generation moved the model to the CPU. */
  device: string;
  /** Why it runs there (after a fallback: what failed on the GPU). */
  reason: string;
}

export type StopReasonKind = 'eos' | 'stop' | 'maxTokens' | 'cancelled';

export interface InferenceTokenParams {
  generationId: string;
  text: string;
  tokenId: number;
}

export interface InferenceDownloadPlanParams {
  modelId: string;
  revision?: string;
  /** The device policy the variant is chosen for, as for inference/load. */
  policy?: DevicePolicyKind;
}

export interface InferenceDownloadPlanResult {
  /** The variant the plan downloads; null when there is none to choose (no ONNX model, or none runs on this device): then `files` is every file. */
  chosen?: OnnxVariant;
  reason: string;
  variants: OnnxVariant[];
  /** Paths to pass as `include` to downloads/start. */
  files: string[];
  bytes: number;
  /** The whole repository, for comparison. */
  allBytes: number;
}

export interface OnnxVariant {
  /** The variant's ONNX file, relative to the repository root. */
  file: string;
  precision: string;
  gpuOnly: boolean;
  /** The file with its external data (or, for a GenAI builder folder, the whole folder). */
  bytes: number;
}

export interface InferenceUnloadParams {
  sessionId: string;
}

export type InferenceUnloadResult = Record<string, never>;

export const InferenceMethods = {
  /** Request. What hardware and execution providers ONNX Runtime sees, and where a model would run. */
  devices: new RequestType<InferenceDevicesParams, InferenceDevicesResult, RpcErrorData>('inference/devices'),
  /** Request. Loads a model folder into a session kept by id (until unloaded or the connection closes). */
  load: new RequestType<InferenceLoadParams, InferenceLoadResult, RpcErrorData>('inference/load'),
  /** Request (long; cancel with $/cancelRequest). Generates, streaming `inference/token` notifications. */
  generate: new RequestType<InferenceGenerateParams, InferenceGenerateResult, RpcErrorData>('inference/generate'),
  /** Notification, sidecar → client. One streamed chunk; their concatenation is the final `text`. */
  token: new NotificationType<InferenceTokenParams>('inference/token'),
  /** Request. Which files of a hub repository to download to run one of its ONNX variants: that variant's and the shared ones. */
  downloadPlan: new RequestType<InferenceDownloadPlanParams, InferenceDownloadPlanResult, RpcErrorData>('inference/downloadPlan'),
  /** Request. Disposes a session. */
  unload: new RequestType<InferenceUnloadParams, InferenceUnloadResult, RpcErrorData>('inference/unload'),
} as const;

// --- jobs/

/** What the user asked for: where to run, which model and data, and the training knobs. */
export interface JobSpec {
  /** `ssh://user@host[:port]` or `slurm://user@host[:port]` (the Slurm login node). */
  backend: string;
  /** Private key for SSH key authentication; default: ~/.ssh/id_ed25519, then id_rsa. */
  identityFile?: string;
  model: string;
  dataset: string[];
  tuner: JobTunerKind;
  numTrainEpochs?: number;
  maxSteps?: number;
  learningRate?: number;
  loraRank?: number;
  loraAlpha?: number;
  batchSize?: number;
  maxLength?: number;
  /** GPUs per node. SSH: how many of the host's GPUs the job gets (the least busy ones, picked at submit, unless `gpuIndices` names them); 0 = none. Slurm: the GPUs requested per node. */
  gpusPerNode?: number;
  nodes?: number;
  /** Remote output folder; relative paths are under the job's folder. Default: the job's folder/output. */
  outputDir?: string;
  timeLimitMinutes?: number;
  /** More `swift sft` arguments, passed through as given (each element one argv item). */
  extraArgs?: string[];
  /** A local dataset file to upload into the job's folder and train on. */
  uploadDataset?: string;
  /** ms-swift major version for a preview without a connection; submission always detects it. */
  swiftMajorVersion?: number;
  /** SSH only: exactly these GPUs (nvidia-smi indices); becomes CUDA_VISIBLE_DEVICES. */
  gpuIndices?: number[];
  /** Slurm only: CPU cores per task (the task runs all of a node's GPU processes). */
  cpusPerTask?: number;
  /** Save a checkpoint every N steps (ms-swift's default, 500, leaves short runs nothing to resume). */
  saveSteps?: number;
  /** Keep at most N checkpoints (ms-swift's default keeps all and fills the disk on long runs). */
  saveTotalLimit?: number;
  /** Save weights only (no optimizer, scheduler, RNG state): smaller, but a resume restarts the optimizer. */
  saveOnlyModel?: boolean;
  /** QLoRA compute dtype (float16, bfloat16, float32); null leaves ms-swift's default, the model's dtype. */
  bnbComputeDtype?: string;
  /** More arguments as typed on one line, split with shell quoting by the sidecar, after `extraArgs`. */
  extraArgsText?: string;
  /** More datasets as typed on one line, split with shell quoting by the sidecar, after `dataset`. */
  datasetText?: string;
}

/** How the model is trained: LoRA, QLoRA (LoRA on a 4-bit bitsandbytes base) or all weights. */
export type JobTunerKind = 'lora' | 'qlora' | 'full';

export interface JobPreviewResult {
  command: string;
  script?: string;
  /** Everything wrong with the spec; empty when it can be submitted. */
  errors: JobSpecError[];
  swiftMajorVersion: number;
  /** The exact argv swift gets, one argument per item. */
  argv: string[];
  /** What the wrapper exports (CUDA_VISIBLE_DEVICES, NPROC_PER_NODE, MASTER_PORT, ...). */
  environment: Record<string, string>;
  warnings: string[];
}

export interface JobSpecError {
  /** The `JobSpec` member it is about (camelCase), so a form can show it beside that field. */
  field: string;
  message: string;
}

/** A job's members that the extension gets and Core's job store (jobs.json) keeps alike. Each adds its own: the wire the divergence as a message, the store the host environment, the logging file and the divergence as found. */
export interface JobRecord {
  jobId: string;
  backend: string;
  state: JobStateKind;
  reason?: string;
  /** Set while the last look at the job could not reach its host or its scheduler (what failed, and that monitoring retries); `state` is then the last state seen, not a verdict. Null once a look succeeds again. */
  unreachable?: string;
  /** Absolute job folder on the remote (wrapper, state files, output.log, output/). */
  remoteDir: string;
  /** The exact `swift sft` command line that runs. */
  command: string;
  submittedAt: string;
  progress?: TrainingProgress;
  lastErrorLines?: string[];
  /** Absolute remote checkpoint folders that are complete (trainer_state.json written), oldest step first. */
  checkpoints: string[];
  /** Slurm's job id (Slurm backend only). */
  schedulerJobId?: string;
  /** The job this one resumes, if any. */
  resumedFrom?: string;
  swiftMajorVersion: number;
  spec: JobSpec;
  /** The full ms-swift version found on the host (e.g. 4.0.4). */
  swiftVersion?: string;
  /** SSH: the GPUs the job runs on (CUDA_VISIBLE_DEVICES); empty = no GPU; null = not chosen (old jobs, Slurm). */
  gpuIndices?: number[];
}

export type JobStateKind = 'unknown' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One progress row of logging.jsonl. */
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

/** A job as the extension shows it. */
export interface JobInfo extends JobRecord {
  /** Set once the loss or gradient norm became NaN/infinite: the first such step and what to do. */
  divergedAtStep?: number;
  divergence?: string;
  partialCheckpoints?: string[];
  warnings?: string[];
}

export type JobListParams = Record<string, never>;

export interface JobListResult {
  jobs: JobInfo[];
}

export interface JobIdParams {
  jobId: string;
}

export interface FetchAdapterParams {
  jobId: string;
  targetDir: string;
  checkpoint?: string;
}

export interface FetchAdapterResult {
  path: string;
  files: string[];
  bytes: number;
  /** What stayed on the host (optimizer, scheduler, RNG, trainer state, DeepSpeed shards). */
  skipped: string[];
  skippedBytes: number;
}

export interface JobLogsParams {
  jobId: string;
  tailLines?: number;
}

export interface JobLogsResult {
  lines: string[];
}

export interface JobWatchParams {
  jobId: string;
  intervalMilliseconds?: number;
}

export type EmptyResult = Record<string, never>;

export interface JobUpdateParams {
  job: JobInfo;
  newLogLines: string[];
  newPoints: TrainingPoint[];
}

/** A train point (loss) or an eval point (evalLoss); `nonFinite` names values swift logged as NaN/Infinity (then null here). */
export interface TrainingPoint {
  step: number;
  loss?: number;
  learningRate?: number;
  evalLoss?: number;
  gradNorm?: number;
  nonFinite?: string;
}

export interface JobPresetsResult {
  presets: JobPreset[];
}

export interface JobPreset {
  id: string;
  label: string;
  description: string;
  spec: JobSpec;
}

export interface TrustHostParams {
  host: string;
  port: number;
  fingerprint: string;
}

/** slurmrestd base URL (e.g. http://127.0.0.1:6820), the Slurm user and its JWT; a null baseUrl turns REST off. */
export interface ConfigureSlurmRestParams {
  baseUrl?: string;
  userName?: string;
  token?: string;
  apiVersion?: string;
}

export interface JobHostReportResult {
  host: string;
  environment: string;
  swiftVersion: string;
  python: string;
  hasBitsAndBytes: boolean;
  gpus: GpuInfo[];
  warnings: string[];
}

export interface GpuInfo {
  index: number;
  name: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  utilizationPercent: number;
  busy: boolean;
}

/** Kind: none, conda, venv or command; value: the env name, venv folder or shell commands. */
export interface SetHostEnvironmentParams {
  backend: string;
  kind: string;
  value?: string;
}

export interface FetchProgressParams {
  jobId: string;
  file: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export const JobsMethods = {
  /** Request. Validation and the exact swift line, without connecting: the ms-swift version is the spec's or 4, and the job folder is shown as `~/.modelide/jobs/JOB_ID`. Also the exact argv (extra args and datasets typed on a line are split with shell quoting), the environment the wrapper exports (CUDA_VISIBLE_DEVICES, NPROC_PER_NODE, MASTER_PORT) and the script with the host's saved environment activated. The fine-tune form shows its errors. */
  preview: new RequestType<JobSpec, JobPreviewResult, RpcErrorData>('jobs/preview'),
  /** Request (long; cancel with $/cancelRequest). Detects ms-swift's version on the remote first (the job's `command` is then exact), uploads, starts. */
  submit: new RequestType<JobSpec, JobInfo, RpcErrorData>('jobs/submit'),
  /** Request. Newest first; kept in `$MODELIDE_JOBS_STATE_DIR` or `~/.local/state/modelide/jobs.json`. */
  list: new RequestType<JobListParams, JobListResult, RpcErrorData>('jobs/list'),
  /** Request. Refreshed from the remote unless finished. */
  get: new RequestType<JobIdParams, JobInfo, RpcErrorData>('jobs/get'),
  /** Request. SSH: SIGTERM to the process group, SIGKILL after 10 s; Slurm: scancel. */
  cancel: new RequestType<JobIdParams, JobInfo, RpcErrorData>('jobs/cancel'),
  /** Request. A new job started with `--resume_from_checkpoint` of the newest complete checkpoint (trainer_state.json written), else the checkpoint the job itself resumed from; `--resume_only_model true` when it saved weights only. Its `resumedFrom` is the old id. */
  resume: new RequestType<JobIdParams, JobInfo, RpcErrorData>('jobs/resume'),
  /** Request (long; cancel with $/cancelRequest). SFTP download of the adapter files of a complete `checkpoint-N` (default the newest) into `targetDir/checkpoint-N`; optimizer, scheduler, RNG, trainer state and `global_step*\/` stay on the host. Progress in bytes comes as `jobs/fetchProgress`. */
  fetchAdapter: new RequestType<FetchAdapterParams, FetchAdapterResult, RpcErrorData>('jobs/fetchAdapter'),
  /** Request. The tail of the job's output.log, redacted. */
  logs: new RequestType<JobLogsParams, JobLogsResult, RpcErrorData>('jobs/logs'),
  /** Request. Polls the job (default every 2 s) and sends `jobs/update` until it finishes or `jobs/unwatch`. */
  watch: new RequestType<JobWatchParams, EmptyResult, RpcErrorData>('jobs/watch'),
  /** Request. Stops the updates of `jobs/watch`. */
  unwatch: new RequestType<JobIdParams, EmptyResult, RpcErrorData>('jobs/unwatch'),
  /** Notification, sidecar → client. New log lines and loss points since the last update; the last update has a finished state. */
  update: new NotificationType<JobUpdateParams>('jobs/update'),
  /** Request. Ready-made specs for common cases. */
  presets: new RequestType<JobListParams, JobPresetsResult, RpcErrorData>('jobs/presets'),
  /** Request. Records the host key fingerprint the user confirmed in ModelIde's own known_hosts (state folder). */
  trustHost: new RequestType<TrustHostParams, EmptyResult, RpcErrorData>('jobs/trustHost'),
  /** Request. Submit, poll and cancel slurm:// jobs through slurmrestd (JWT kept in memory only; a null `baseUrl` turns it off). Logs and checkpoints still go over SSH. */
  configureSlurmRest: new RequestType<ConfigureSlurmRestParams, EmptyResult, RpcErrorData>('jobs/configureSlurmRest'),
  /** Request. ms-swift through the host's saved environment, nvidia-smi's GPUs and their use, and warnings (bitsandbytes, busy GPUs). */
  inspectHost: new RequestType<JobSpec, JobHostReportResult, RpcErrorData>('jobs/inspectHost'),
  /** Request. Saves the environment to activate on a host (conda env, venv, setup command) in hosts.json beside jobs.json. */
  setHostEnvironment: new RequestType<SetHostEnvironmentParams, EmptyResult, RpcErrorData>('jobs/setHostEnvironment'),
  /** Notification, sidecar → client. Bytes of a running `jobs/fetchAdapter` (at most ~5 a second, always the last). */
  fetchProgress: new NotificationType<FetchProgressParams>('jobs/fetchProgress'),
} as const;

// --- models/

export interface ModelsSearchParams {
  query?: string;
  owner?: string;
  sort?: ModelSortKind;
  task?: string;
  license?: string;
  pageNumber?: number;
  pageSize?: number;
}

/** Sort orders the hub's model list knows (`sort=` value in brackets). */
export type ModelSortKind = 'default' | 'downloads' | 'likes' | 'lastModified';

export interface ModelsSearchResult {
  models: ModelSummary[];
  totalCount: number;
  pageNumber: number;
  pageSize: number;
}

export interface ModelSummary {
  id: string;
  displayName?: string;
  description?: string;
  downloads: number;
  likes: number;
  license?: string;
  tasks: string[];
  private: boolean;
  gated: boolean;
  fileSize?: number;
  lastModified?: string;
}

export interface ModelIdParams {
  modelId: string;
}

/** A model's card: its summary, with the README, the revision names and the tags. */
export interface ModelDetail extends ModelSummary {
  readme?: string;
  revisions: string[];
  tags: string[];
}

export interface ModelsFilesParams {
  modelId: string;
  revision?: string;
  path?: string;
  recursive?: boolean;
}

export interface ModelsFilesResult {
  files: RepoFile[];
}

export interface RepoFile {
  path: string;
  name: string;
  type: RepoFileKind;
  size: number;
  sha256?: string;
  revision?: string;
  isLfs: boolean;
}

export type RepoFileKind = 'file' | 'dir';

export interface ModelsRevisionsResult {
  revisions: Revision[];
}

export interface Revision {
  name: string;
  createdAt?: string;
}

export interface ModelsCardParams {
  modelId: string;
  revision?: string;
}

export interface ModelsCardResult {
  markdown: string;
  detail: ModelDetail;
}

export const ModelsMethods = {
  /** Request. One page of a model search. */
  search: new RequestType<ModelsSearchParams, ModelsSearchResult, RpcErrorData>('models/search'),
  /** Request. One model's detail. */
  get: new RequestType<ModelIdParams, ModelDetail, RpcErrorData>('models/get'),
  /** Request. A repository's files (recursive unless `recursive` is false). */
  files: new RequestType<ModelsFilesParams, ModelsFilesResult, RpcErrorData>('models/files'),
  /** Request. Branches and tags. */
  revisions: new RequestType<ModelIdParams, ModelsRevisionsResult, RpcErrorData>('models/revisions'),
  /** Request. The model card (README markdown) plus detail. */
  card: new RequestType<ModelsCardParams, ModelsCardResult, RpcErrorData>('models/card'),
} as const;

/** Application error codes carried in JSON-RPC error responses (JSON-RPC reserves -32768..-32000 for itself; these sit in the server-error range). The error's `data` is an `RpcErrorData`. */
export const RpcErrorCodes = {
  /** A message that could not be read: bad framing (skipped to the next Content-Length header) or not JSON-RPC 2.0; id null. */
  parseError: -32700,
  /** A request without a method, or under an id that is still in flight; carries the request's id. */
  invalidRequest: -32600,
  invalidParams: -32602,
  invalidInput: -32001,
  authenticationRequired: -32002,
  permissionDenied: -32003,
  notFound: -32004,
  rateLimited: -32005,
  serverError: -32006,
  network: -32007,
  integrityFailure: -32008,
  unsafeInput: -32009,
  conflict: -32010,
  remoteFailure: -32011,
  diskFull: -32012,
  unknown: -32099,
  /** JSON-RPC's own code for a cancelled request (the LSP convention StreamJsonRpc follows). */
  requestCancelled: -32800,
} as const;

/** The `serverCode` values the extension acts on. */
export const RpcServerCodes = {
  /** A first connection to an SSH host whose key is not trusted yet: show the fingerprint, trust, retry. */
  unknownHostKey: 'UnknownHostKey',
  /** The host's key differs from the trusted one: no one-click trust. */
  hostKeyMismatch: 'HostKeyMismatch',
} as const;

/** Every record's wire members (`T?` optional, `T[]` list, `Record<string, T>` map), for runtime checks in tests. */
export const protocolShapes: Record<string, Record<string, string>> = {
  InitializeParams: { endpoint: 'string', logLevel: 'SidecarLogLevel?', locale: 'string?' },
  InitializeResult: { version: 'string', processId: 'number', endpoint: 'string' },
  PingResult: { processId: 'number', uptimeMilliseconds: 'number' },
  EchoParams: { items: 'string[]' },
  SetLogLevelParams: { level: 'SidecarLogLevel' },
  ValidateTokenParams: { endpoint: 'string', accessToken: 'string' },
  AuthSession: { id: 'string', endpoint: 'string', userName: 'string', accessToken: 'string', kind: 'AuthSessionKind', scopes: 'string[]', email: 'string?', refreshToken: 'string?', gitToken: 'string?', expiresAt: 'string?', clientId: 'string?' },
  SignInWithBrowserParams: { endpoint: 'string', clientId: 'string?', scopes: 'string[]?', timeoutSeconds: 'number?' },
  OpenBrowserParams: { url: 'string' },
  RefreshParams: { endpoint: 'string', clientId: 'string?', refreshToken: 'string' },
  ActivateParams: { endpoint: 'string', accessToken: 'string', userName: 'string?', gitToken: 'string?', kind: 'AuthSessionKind?', id: 'string?' },
  ActivateResult: { userName: 'string' },
  SignOutParams: { endpoint: 'string?', accessToken: 'string?', refreshToken: 'string?', clientId: 'string?' },
  SignOutResult: { revoked: 'boolean' },
  DiscoverLocalCredentialsParams: {},
  DiscoverLocalCredentialsResult: { source: 'LocalCredentialSource?', accessToken: 'string?', userName: 'string?' },
  SessionExpiredParams: { endpoint: 'string', userName: 'string?', reason: 'string' },
  DownloadsStartParams: { downloadId: 'string', modelId: 'string', revision: 'string?', include: 'string[]?', cacheDir: 'string?', offline: 'boolean?' },
  DownloadsStartResult: { localPath: 'string', files: 'number', bytes: 'number', notice: 'string?', filesWithoutSha256: 'number?' },
  DownloadProgress: { file: 'string?', bytesDone: 'number', bytesTotal: 'number', filesDone: 'number', filesTotal: 'number', bytesPerSecond: 'number', etaSeconds: 'number?' },
  DownloadsProgressParams: { file: 'string?', bytesDone: 'number', bytesTotal: 'number', filesDone: 'number', filesTotal: 'number', bytesPerSecond: 'number', etaSeconds: 'number?', downloadId: 'string' },
  CacheDirParams: { cacheDir: 'string?' },
  CachedModelsResult: { models: 'CachedModel[]' },
  CachedModel: { modelId: 'string', revision: 'string?', localPath: 'string', bytes: 'number' },
  DeleteFromCacheParams: { modelId: 'string', revision: 'string?', cacheDir: 'string?' },
  DeleteFromCacheResult: { deleted: 'string[]' },
  GitCloneParams: { modelId: 'string', targetDir: 'string', revision: 'string?', skipLfs: 'boolean?' },
  GitCloneResult: { path: 'string' },
  GitProgressParams: { modelId: 'string', phase: 'string', percent: 'number', done: 'number?', total: 'number?' },
  GpuStatusParams: { cudaPath: 'string?', verify: 'boolean?' },
  GpuStatusResult: { supported: 'boolean', installed: 'boolean', active: 'boolean', folder: 'string?', package: 'string?', bytes: 'number', problem: 'string?', gpus: 'NvidiaGpu[]', driver: 'string?', missingLibraries: 'string[]', summary: 'string' },
  NvidiaGpu: { name: 'string', totalMemoryBytes: 'number?', freeMemoryBytes: 'number?', computeCapability: 'string?' },
  GpuEnableParams: { enableId: 'string', source: 'string?', force: 'boolean?' },
  GpuEnableResult: { folder: 'string', alreadyInstalled: 'boolean', downloadedBytes: 'number', source: 'string' },
  GpuProgressParams: { enableId: 'string', bytesDone: 'number', bytesTotal: 'number' },
  GpuRemoveResult: { freedBytes: 'number' },
  InferenceDevicesParams: { policy: 'DevicePolicyKind?', epLibraryPath: 'string?', cudaPath: 'string?' },
  InferenceDevicesResult: { hardware: 'HardwareDevice[]', executionProviders: 'ExecutionProvider[]', summary: 'string' },
  HardwareDevice: { type: 'string', vendor: 'string', vendorId: 'number', deviceId: 'number' },
  ExecutionProvider: { name: 'string', vendor: 'string', deviceType: 'string' },
  InferenceLoadParams: { modelDir: 'string', policy: 'DevicePolicyKind?', epLibraryPath: 'string?', threads: 'number?', cudaPath: 'string?', file: 'string?' },
  InferenceLoadResult: { sessionId: 'string', device: 'string', reason: 'string', contextLength: 'number', chatTemplate: 'string?', isChatModel: 'boolean', file: 'string', fileReason: 'string', defaults: 'GenerationDefaults' },
  GenerationDefaults: { maxLength: 'number?', doSample: 'boolean?', temperature: 'number?', topK: 'number?', topP: 'number?', repetitionPenalty: 'number?' },
  InferenceGenerateParams: { sessionId: 'string', generationId: 'string', prompt: 'string?', messages: 'ChatMessage[]?', maxNewTokens: 'number?', temperature: 'number?', topK: 'number?', topP: 'number?', repetitionPenalty: 'number?', seed: 'number?', stop: 'string[]?' },
  ChatMessage: { role: 'ChatRole', content: 'string' },
  InferenceGenerateResult: { text: 'string', tokenIds: 'number[]', promptTokens: 'number', generatedTokens: 'number', tokensPerSecond: 'number', stopReason: 'StopReasonKind', device: 'string', reason: 'string' },
  InferenceTokenParams: { generationId: 'string', text: 'string', tokenId: 'number' },
  InferenceDownloadPlanParams: { modelId: 'string', revision: 'string?', policy: 'DevicePolicyKind?' },
  InferenceDownloadPlanResult: { chosen: 'OnnxVariant?', reason: 'string', variants: 'OnnxVariant[]', files: 'string[]', bytes: 'number', allBytes: 'number' },
  OnnxVariant: { file: 'string', precision: 'string', gpuOnly: 'boolean', bytes: 'number' },
  InferenceUnloadParams: { sessionId: 'string' },
  InferenceUnloadResult: {},
  JobSpec: { backend: 'string', identityFile: 'string?', model: 'string', dataset: 'string[]', tuner: 'JobTunerKind', numTrainEpochs: 'number?', maxSteps: 'number?', learningRate: 'number?', loraRank: 'number?', loraAlpha: 'number?', batchSize: 'number?', maxLength: 'number?', gpusPerNode: 'number?', nodes: 'number?', outputDir: 'string?', timeLimitMinutes: 'number?', extraArgs: 'string[]?', uploadDataset: 'string?', swiftMajorVersion: 'number?', gpuIndices: 'number[]?', cpusPerTask: 'number?', saveSteps: 'number?', saveTotalLimit: 'number?', saveOnlyModel: 'boolean?', bnbComputeDtype: 'string?', extraArgsText: 'string?', datasetText: 'string?' },
  JobPreviewResult: { command: 'string', script: 'string?', errors: 'JobSpecError[]', swiftMajorVersion: 'number', argv: 'string[]', environment: 'Record<string, string>', warnings: 'string[]' },
  JobSpecError: { field: 'string', message: 'string' },
  JobRecord: { jobId: 'string', backend: 'string', state: 'JobStateKind', reason: 'string?', unreachable: 'string?', remoteDir: 'string', command: 'string', submittedAt: 'string', progress: 'TrainingProgress?', lastErrorLines: 'string[]?', checkpoints: 'string[]', schedulerJobId: 'string?', resumedFrom: 'string?', swiftMajorVersion: 'number', spec: 'JobSpec', swiftVersion: 'string?', gpuIndices: 'number[]?' },
  TrainingProgress: { globalStep: 'number', maxSteps: 'number', percent: 'number', elapsed: 'string?', remaining: 'string?', loss: 'number?', learningRate: 'number?', memoryGiB: 'number?' },
  JobInfo: { jobId: 'string', backend: 'string', state: 'JobStateKind', reason: 'string?', unreachable: 'string?', remoteDir: 'string', command: 'string', submittedAt: 'string', progress: 'TrainingProgress?', lastErrorLines: 'string[]?', checkpoints: 'string[]', schedulerJobId: 'string?', resumedFrom: 'string?', swiftMajorVersion: 'number', spec: 'JobSpec', swiftVersion: 'string?', gpuIndices: 'number[]?', divergedAtStep: 'number?', divergence: 'string?', partialCheckpoints: 'string[]?', warnings: 'string[]?' },
  JobListParams: {},
  JobListResult: { jobs: 'JobInfo[]' },
  JobIdParams: { jobId: 'string' },
  FetchAdapterParams: { jobId: 'string', targetDir: 'string', checkpoint: 'string?' },
  FetchAdapterResult: { path: 'string', files: 'string[]', bytes: 'number', skipped: 'string[]', skippedBytes: 'number' },
  JobLogsParams: { jobId: 'string', tailLines: 'number?' },
  JobLogsResult: { lines: 'string[]' },
  JobWatchParams: { jobId: 'string', intervalMilliseconds: 'number?' },
  EmptyResult: {},
  JobUpdateParams: { job: 'JobInfo', newLogLines: 'string[]', newPoints: 'TrainingPoint[]' },
  TrainingPoint: { step: 'number', loss: 'number?', learningRate: 'number?', evalLoss: 'number?', gradNorm: 'number?', nonFinite: 'string?' },
  JobPresetsResult: { presets: 'JobPreset[]' },
  JobPreset: { id: 'string', label: 'string', description: 'string', spec: 'JobSpec' },
  TrustHostParams: { host: 'string', port: 'number', fingerprint: 'string' },
  ConfigureSlurmRestParams: { baseUrl: 'string?', userName: 'string?', token: 'string?', apiVersion: 'string?' },
  JobHostReportResult: { host: 'string', environment: 'string', swiftVersion: 'string', python: 'string', hasBitsAndBytes: 'boolean', gpus: 'GpuInfo[]', warnings: 'string[]' },
  GpuInfo: { index: 'number', name: 'string', memoryTotalMiB: 'number', memoryUsedMiB: 'number', utilizationPercent: 'number', busy: 'boolean' },
  SetHostEnvironmentParams: { backend: 'string', kind: 'string', value: 'string?' },
  FetchProgressParams: { jobId: 'string', file: 'string', bytesDone: 'number', bytesTotal: 'number', filesDone: 'number', filesTotal: 'number' },
  ModelsSearchParams: { query: 'string?', owner: 'string?', sort: 'ModelSortKind?', task: 'string?', license: 'string?', pageNumber: 'number?', pageSize: 'number?' },
  ModelsSearchResult: { models: 'ModelSummary[]', totalCount: 'number', pageNumber: 'number', pageSize: 'number' },
  ModelSummary: { id: 'string', displayName: 'string?', description: 'string?', downloads: 'number', likes: 'number', license: 'string?', tasks: 'string[]', private: 'boolean', gated: 'boolean', fileSize: 'number?', lastModified: 'string?' },
  ModelIdParams: { modelId: 'string' },
  ModelDetail: { id: 'string', displayName: 'string?', description: 'string?', downloads: 'number', likes: 'number', license: 'string?', tasks: 'string[]', private: 'boolean', gated: 'boolean', fileSize: 'number?', lastModified: 'string?', readme: 'string?', revisions: 'string[]', tags: 'string[]' },
  ModelsFilesParams: { modelId: 'string', revision: 'string?', path: 'string?', recursive: 'boolean?' },
  ModelsFilesResult: { files: 'RepoFile[]' },
  RepoFile: { path: 'string', name: 'string', type: 'RepoFileKind', size: 'number', sha256: 'string?', revision: 'string?', isLfs: 'boolean' },
  ModelsRevisionsResult: { revisions: 'Revision[]' },
  Revision: { name: 'string', createdAt: 'string?' },
  ModelsCardParams: { modelId: 'string', revision: 'string?' },
  ModelsCardResult: { markdown: 'string', detail: 'ModelDetail' },
  RpcErrorData: { kind: 'ModelIdeErrorKind', serverCode: 'string?', requestId: 'string?', retryAfterSeconds: 'number?', host: 'string?', port: 'number?', fingerprint: 'string?' },
};

/** Every enum's wire values. */
export const protocolEnums: Record<string, readonly string[]> = {
  SidecarLogLevel: ['trace', 'debug', 'info', 'warn', 'error'],
  AuthSessionKind: ['accessToken', 'oauth'],
  LocalCredentialSource: ['env', 'sdk'],
  DevicePolicyKind: ['auto', 'preferCpu', 'preferGpu', 'preferNpu', 'maxEfficiency'],
  ChatRole: ['system', 'user', 'assistant'],
  StopReasonKind: ['eos', 'stop', 'maxTokens', 'cancelled'],
  JobTunerKind: ['lora', 'qlora', 'full'],
  JobStateKind: ['unknown', 'pending', 'running', 'completed', 'failed', 'cancelled'],
  ModelSortKind: ['default', 'downloads', 'likes', 'lastModified'],
  RepoFileKind: ['file', 'dir'],
  ModelIdeErrorKind: ['unknown', 'invalidInput', 'authenticationRequired', 'permissionDenied', 'notFound', 'rateLimited', 'serverError', 'network', 'integrityFailure', 'unsafeInput', 'conflict', 'remoteFailure', 'diskFull'],
};

/** Every record's whole-number members (C# integers), where it has any. */
export const protocolIntegers: Record<string, readonly string[]> = {
  InitializeResult: ['processId'],
  PingResult: ['processId', 'uptimeMilliseconds'],
  SignInWithBrowserParams: ['timeoutSeconds'],
  DownloadsStartResult: ['files', 'bytes', 'filesWithoutSha256'],
  DownloadProgress: ['bytesDone', 'bytesTotal', 'filesDone', 'filesTotal'],
  DownloadsProgressParams: ['bytesDone', 'bytesTotal', 'filesDone', 'filesTotal'],
  CachedModel: ['bytes'],
  GitProgressParams: ['percent', 'done', 'total'],
  GpuStatusResult: ['bytes'],
  NvidiaGpu: ['totalMemoryBytes', 'freeMemoryBytes'],
  GpuEnableResult: ['downloadedBytes'],
  GpuProgressParams: ['bytesDone', 'bytesTotal'],
  GpuRemoveResult: ['freedBytes'],
  HardwareDevice: ['vendorId', 'deviceId'],
  InferenceLoadParams: ['threads'],
  InferenceLoadResult: ['contextLength'],
  GenerationDefaults: ['maxLength', 'topK'],
  InferenceGenerateParams: ['maxNewTokens', 'topK', 'seed'],
  InferenceGenerateResult: ['promptTokens', 'generatedTokens'],
  InferenceTokenParams: ['tokenId'],
  InferenceDownloadPlanResult: ['bytes', 'allBytes'],
  OnnxVariant: ['bytes'],
  JobSpec: ['maxSteps', 'loraRank', 'loraAlpha', 'batchSize', 'maxLength', 'gpusPerNode', 'nodes', 'timeLimitMinutes', 'swiftMajorVersion', 'cpusPerTask', 'saveSteps', 'saveTotalLimit'],
  JobPreviewResult: ['swiftMajorVersion'],
  JobRecord: ['swiftMajorVersion'],
  TrainingProgress: ['globalStep', 'maxSteps'],
  JobInfo: ['swiftMajorVersion', 'divergedAtStep'],
  FetchAdapterResult: ['bytes', 'skippedBytes'],
  JobLogsParams: ['tailLines'],
  JobWatchParams: ['intervalMilliseconds'],
  TrainingPoint: ['step'],
  TrustHostParams: ['port'],
  GpuInfo: ['index', 'memoryTotalMiB', 'memoryUsedMiB', 'utilizationPercent'],
  FetchProgressParams: ['bytesDone', 'bytesTotal', 'filesDone', 'filesTotal'],
  ModelsSearchParams: ['pageNumber', 'pageSize'],
  ModelsSearchResult: ['totalCount', 'pageNumber', 'pageSize'],
  ModelSummary: ['downloads', 'likes', 'fileSize'],
  ModelDetail: ['downloads', 'likes', 'fileSize'],
  RepoFile: ['size'],
  RpcErrorData: ['port'],
};
