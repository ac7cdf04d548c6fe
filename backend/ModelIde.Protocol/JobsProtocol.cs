namespace ModelIde.Protocol;

/// <summary>Remote fine-tune jobs (ms-swift over SSH or Slurm). See docs/protocol.md, section jobs/.</summary>
public static class JobsMethods
{
    /// <summary>
    /// Validation and the exact swift line, without connecting: the ms-swift version is the spec's or 4, and the job
    /// folder is shown as <c>~/.modelide/jobs/JOB_ID</c>. Also the exact argv (extra args and datasets typed on a line
    /// are split with shell quoting), the environment the wrapper exports (CUDA_VISIBLE_DEVICES, NPROC_PER_NODE,
    /// MASTER_PORT) and the script with the host's saved environment activated. The fine-tune form shows its errors.
    /// </summary>
    [RpcRequest(typeof(JobSpec), typeof(JobPreviewResult))]
    public const string Preview = "jobs/preview";

    /// <summary>Detects ms-swift's version on the remote first (the job's <c>command</c> is then exact), uploads, starts.</summary>
    [RpcRequest(typeof(JobSpec), typeof(JobInfoDto), IsLong = true)]
    public const string Submit = "jobs/submit";

    /// <summary>Newest first; kept in <c>$MODELIDE_JOBS_STATE_DIR</c> or <c>~/.local/state/modelide/jobs.json</c>.</summary>
    [RpcRequest(typeof(JobListParams), typeof(JobListResult))]
    public const string List = "jobs/list";

    /// <summary>Refreshed from the remote unless finished.</summary>
    [RpcRequest(typeof(JobIdParams), typeof(JobInfoDto))]
    public const string Get = "jobs/get";

    /// <summary>SSH: SIGTERM to the process group, SIGKILL after 10 s; Slurm: scancel.</summary>
    [RpcRequest(typeof(JobIdParams), typeof(JobInfoDto))]
    public const string Cancel = "jobs/cancel";

    /// <summary>
    /// A new job started with <c>--resume_from_checkpoint</c> of the newest complete checkpoint (trainer_state.json
    /// written), else the checkpoint the job itself resumed from; <c>--resume_only_model true</c> when it saved weights
    /// only. Its <c>resumedFrom</c> is the old id.
    /// </summary>
    [RpcRequest(typeof(JobIdParams), typeof(JobInfoDto))]
    public const string Resume = "jobs/resume";

    /// <summary>
    /// SFTP download of the adapter files of a complete <c>checkpoint-N</c> (default the newest) into
    /// <c>targetDir/checkpoint-N</c>; optimizer, scheduler, RNG, trainer state and <c>global_step*/</c> stay on the host.
    /// Progress in bytes comes as <see cref="FetchProgress"/>.
    /// </summary>
    [RpcRequest(typeof(FetchAdapterParams), typeof(FetchAdapterResult), IsLong = true)]
    public const string FetchAdapter = "jobs/fetchAdapter";

    /// <summary>The tail of the job's output.log, redacted.</summary>
    [RpcRequest(typeof(JobLogsParams), typeof(JobLogsResult))]
    public const string Logs = "jobs/logs";

    /// <summary>Polls the job (default every 2 s) and sends <see cref="Update"/> until it finishes or <see cref="Unwatch"/>.</summary>
    [RpcRequest(typeof(JobWatchParams), typeof(EmptyResult))]
    public const string Watch = "jobs/watch";

    /// <summary>Stops the updates of <see cref="Watch"/>.</summary>
    [RpcRequest(typeof(JobIdParams), typeof(EmptyResult))]
    public const string Unwatch = "jobs/unwatch";

    /// <summary>New log lines and loss points since the last update; the last update has a finished state.</summary>
    [RpcNotification(typeof(JobUpdateParams))]
    public const string Update = "jobs/update";

    /// <summary>Ready-made specs for common cases.</summary>
    [RpcRequest(typeof(JobListParams), typeof(JobPresetsResult))]
    public const string Presets = "jobs/presets";

    /// <summary>Records the host key fingerprint the user confirmed in ModelIde's own known_hosts (state folder).</summary>
    [RpcRequest(typeof(TrustHostParams), typeof(EmptyResult))]
    public const string TrustHost = "jobs/trustHost";

    /// <summary>
    /// Submit, poll and cancel slurm:// jobs through slurmrestd (JWT kept in memory only; a null <c>baseUrl</c> turns it
    /// off). Logs and checkpoints still go over SSH.
    /// </summary>
    [RpcRequest(typeof(ConfigureSlurmRestParams), typeof(EmptyResult))]
    public const string ConfigureSlurmRest = "jobs/configureSlurmRest";

    /// <summary>ms-swift through the host's saved environment, nvidia-smi's GPUs and their use, and warnings (bitsandbytes, busy GPUs).</summary>
    [RpcRequest(typeof(JobSpec), typeof(JobHostReportResult))]
    public const string InspectHost = "jobs/inspectHost";

    /// <summary>Saves the environment to activate on a host (conda env, venv, setup command) in hosts.json beside jobs.json.</summary>
    [RpcRequest(typeof(SetHostEnvironmentParams), typeof(EmptyResult))]
    public const string SetHostEnvironment = "jobs/setHostEnvironment";

    /// <summary>Bytes of a running <see cref="FetchAdapter"/> (at most ~5 a second, always the last).</summary>
    [RpcNotification(typeof(FetchProgressParams))]
    public const string FetchProgress = "jobs/fetchProgress";
}

/// <summary>How the model is trained: LoRA, QLoRA (LoRA on a 4-bit bitsandbytes base) or all weights.</summary>
public enum JobTunerKind
{
    Lora,
    Qlora,
    Full,
}

public enum JobStateKind
{
    Unknown,
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>What the user asked for: where to run, which model and data, and the training knobs.</summary>
public sealed record JobSpec
{
    /// <summary><c>ssh://user@host[:port]</c> or <c>slurm://user@host[:port]</c> (the Slurm login node).</summary>
    public string Backend { get; init; } = "";

    /// <summary>Private key for SSH key authentication; default: ~/.ssh/id_ed25519, then id_rsa.</summary>
    public string? IdentityFile { get; init; }

    public string Model { get; init; } = "";

    public IReadOnlyList<string> Dataset { get; init; } = [];

    public JobTunerKind Tuner { get; init; } = JobTunerKind.Lora;

    public double? NumTrainEpochs { get; init; }

    public int? MaxSteps { get; init; }

    public double? LearningRate { get; init; }

    public int? LoraRank { get; init; }

    public int? LoraAlpha { get; init; }

    public int? BatchSize { get; init; }

    public int? MaxLength { get; init; }

    /// <summary>
    /// GPUs per node. SSH: how many of the host's GPUs the job gets (the least busy ones, picked at submit, unless
    /// <see cref="GpuIndices"/> names them); 0 = none. Slurm: the GPUs requested per node.
    /// </summary>
    public int? GpusPerNode { get; init; }

    public int? Nodes { get; init; }

    /// <summary>Remote output folder; relative paths are under the job's folder. Default: the job's folder/output.</summary>
    public string? OutputDir { get; init; }

    public int? TimeLimitMinutes { get; init; }

    /// <summary>More <c>swift sft</c> arguments, passed through as given (each element one argv item).</summary>
    public IReadOnlyList<string>? ExtraArgs { get; init; } = [];

    /// <summary>A local dataset file to upload into the job's folder and train on.</summary>
    public string? UploadDataset { get; init; }

    /// <summary>ms-swift major version for a preview without a connection; submission always detects it.</summary>
    public int? SwiftMajorVersion { get; init; }

    /// <summary>SSH only: exactly these GPUs (nvidia-smi indices); becomes CUDA_VISIBLE_DEVICES.</summary>
    public IReadOnlyList<int>? GpuIndices { get; init; }

    /// <summary>Slurm only: CPU cores per task (the task runs all of a node's GPU processes).</summary>
    public int? CpusPerTask { get; init; }

    /// <summary>Save a checkpoint every N steps (ms-swift's default, 500, leaves short runs nothing to resume).</summary>
    public int? SaveSteps { get; init; }

    /// <summary>Keep at most N checkpoints (ms-swift's default keeps all and fills the disk on long runs).</summary>
    public int? SaveTotalLimit { get; init; }

    /// <summary>Save weights only (no optimizer, scheduler, RNG state): smaller, but a resume restarts the optimizer.</summary>
    public bool? SaveOnlyModel { get; init; }

    /// <summary>QLoRA compute dtype (float16, bfloat16, float32); null leaves ms-swift's default, the model's dtype.</summary>
    public string? BnbComputeDtype { get; init; }

    /// <summary>More arguments as typed on one line, split with shell quoting by the sidecar, after <see cref="ExtraArgs"/>.</summary>
    public string? ExtraArgsText { get; init; }

    /// <summary>More datasets as typed on one line, split with shell quoting by the sidecar, after <see cref="Dataset"/>.</summary>
    public string? DatasetText { get; init; }
}

/// <summary>One progress row of logging.jsonl.</summary>
public sealed record TrainingProgress(
    int GlobalStep,
    int MaxSteps,
    double Percent,
    string? Elapsed = null,
    string? Remaining = null,
    double? Loss = null,
    double? LearningRate = null,
    double? MemoryGiB = null);

/// <summary>A train point (loss) or an eval point (evalLoss); <c>nonFinite</c> names values swift logged as NaN/Infinity (then null here).</summary>
public sealed record TrainingPoint(int Step, double? Loss, double? LearningRate, double? EvalLoss = null, double? GradNorm = null, string? NonFinite = null);

/// <summary>
/// A job's members that the extension gets and Core's job store (jobs.json) keeps alike. Each adds its own: the wire
/// the divergence as a message, the store the host environment, the logging file and the divergence as found.
/// </summary>
public record JobRecord
{
    public string JobId { get; init; } = "";

    public string Backend { get; init; } = "";

    public JobStateKind State { get; init; }

    public string? Reason { get; init; }

    /// <summary>
    /// Set while the last look at the job could not reach its host or its scheduler (what failed, and that monitoring
    /// retries); <see cref="State"/> is then the last state seen, not a verdict. Null once a look succeeds again.
    /// </summary>
    public string? Unreachable { get; init; }

    /// <summary>Absolute job folder on the remote (wrapper, state files, output.log, output/).</summary>
    public string RemoteDir { get; init; } = "";

    /// <summary>The exact <c>swift sft</c> command line that runs.</summary>
    public string Command { get; init; } = "";

    public DateTimeOffset SubmittedAt { get; init; }

    public TrainingProgress? Progress { get; init; }

    public IReadOnlyList<string>? LastErrorLines { get; init; }

    /// <summary>Absolute remote checkpoint folders that are complete (trainer_state.json written), oldest step first.</summary>
    public IReadOnlyList<string> Checkpoints { get; init; } = [];

    /// <summary>Slurm's job id (Slurm backend only).</summary>
    public string? SchedulerJobId { get; init; }

    /// <summary>The job this one resumes, if any.</summary>
    public string? ResumedFrom { get; init; }

    public int SwiftMajorVersion { get; init; }

    public JobSpec Spec { get; init; } = new();

    /// <summary>The full ms-swift version found on the host (e.g. 4.0.4).</summary>
    public string? SwiftVersion { get; init; }

    /// <summary>SSH: the GPUs the job runs on (CUDA_VISIBLE_DEVICES); empty = no GPU; null = not chosen (old jobs, Slurm).</summary>
    public IReadOnlyList<int>? GpuIndices { get; init; }
}

/// <summary>A job as the extension shows it.</summary>
public sealed record JobInfoDto : JobRecord
{
    /// <summary>A job's shared members, as Core keeps them.</summary>
    public JobInfoDto(JobRecord job)
        : base(job)
    {
    }

    [System.Text.Json.Serialization.JsonConstructor]
    public JobInfoDto()
    {
    }

    /// <summary>Set once the loss or gradient norm became NaN/infinite: the first such step and what to do.</summary>
    public int? DivergedAtStep { get; init; }

    public string? Divergence { get; init; }

    public IReadOnlyList<string>? PartialCheckpoints { get; init; }

    public IReadOnlyList<string>? Warnings { get; init; }
}

/// <param name="Errors">Everything wrong with the spec; empty when it can be submitted.</param>
public sealed record JobPreviewResult(string Command, string? Script, IReadOnlyList<JobSpecError> Errors, int SwiftMajorVersion)
{
    /// <summary>The exact argv swift gets, one argument per item.</summary>
    public IReadOnlyList<string> Argv { get; init; } = [];

    /// <summary>What the wrapper exports (CUDA_VISIBLE_DEVICES, NPROC_PER_NODE, MASTER_PORT, ...).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <param name="Field">The <c>JobSpec</c> member it is about (camelCase), so a form can show it beside that field.</param>
public sealed record JobSpecError(string Field, string Message)
{
    public override string ToString() => Message;
}

public sealed record GpuInfoDto(int Index, string Name, int MemoryTotalMiB, int MemoryUsedMiB, int UtilizationPercent, bool Busy);

public sealed record JobHostReportResult(string Host, string Environment, string SwiftVersion, string Python, bool HasBitsAndBytes, IReadOnlyList<GpuInfoDto> Gpus, IReadOnlyList<string> Warnings);

/// <summary>Kind: none, conda, venv or command; value: the env name, venv folder or shell commands.</summary>
public sealed record SetHostEnvironmentParams(string Backend, string Kind, string? Value = null);

public sealed record JobIdParams(string JobId);

public sealed record JobListParams;

public sealed record JobListResult(IReadOnlyList<JobInfoDto> Jobs);

public sealed record FetchAdapterParams(string JobId, string TargetDir, string? Checkpoint = null);

public sealed record FetchAdapterResult(string Path)
{
    public IReadOnlyList<string> Files { get; init; } = [];

    public long Bytes { get; init; }

    /// <summary>What stayed on the host (optimizer, scheduler, RNG, trainer state, DeepSpeed shards).</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    public long SkippedBytes { get; init; }
}

public sealed record FetchProgressParams(string JobId, string File, long BytesDone, long BytesTotal, int FilesDone, int FilesTotal);

public sealed record JobLogsParams(string JobId, int? TailLines = null);

public sealed record JobLogsResult(IReadOnlyList<string> Lines);

public sealed record JobWatchParams(string JobId, int? IntervalMilliseconds = null);

public sealed record EmptyResult;

public sealed record JobUpdateParams(JobInfoDto Job, IReadOnlyList<string> NewLogLines, IReadOnlyList<TrainingPoint> NewPoints);

public sealed record JobPreset(string Id, string Label, string Description, JobSpec Spec);

public sealed record JobPresetsResult(IReadOnlyList<JobPreset> Presets);

public sealed record TrustHostParams(string Host, int Port, string Fingerprint);

/// <summary>slurmrestd base URL (e.g. http://127.0.0.1:6820), the Slurm user and its JWT; a null baseUrl turns REST off.</summary>
public sealed record ConfigureSlurmRestParams(string? BaseUrl, string? UserName = null, string? Token = null, string? ApiVersion = null);
