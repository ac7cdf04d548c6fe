using System.Text.Json.Serialization;

namespace ModelIde.Core.Jobs;

/// <summary>How the model is trained: LoRA, QLoRA (LoRA on a 4-bit bitsandbytes base) or all weights.</summary>
public enum JobTuner
{
    Lora,
    Qlora,
    Full,
}

public enum JobState
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

    public JobTuner Tuner { get; init; } = JobTuner.Lora;

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

    public int? Nodes { get; init; }

    /// <summary>Remote output folder; relative paths are under the job's folder. Default: the job's folder/output.</summary>
    public string? OutputDir { get; init; }

    public int? TimeLimitMinutes { get; init; }

    /// <summary>More <c>swift sft</c> arguments, passed through as given (each element one argv item).</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>More arguments as typed on one line, split with shell quoting (<see cref="ShellWords"/>), after <see cref="ExtraArgs"/>.</summary>
    public string? ExtraArgsText { get; init; }

    /// <summary>More datasets as typed on one line, split with shell quoting, after <see cref="Dataset"/>.</summary>
    public string? DatasetText { get; init; }

    /// <summary>A local dataset file to upload into the job's folder and train on.</summary>
    public string? UploadDataset { get; init; }

    /// <summary>ms-swift major version for a preview without a connection; submission always detects it.</summary>
    public int? SwiftMajorVersion { get; init; }
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

/// <summary>
/// One chart point: a train row (loss, learning rate, grad norm) or an eval row (<see cref="EvalLoss"/>). A value
/// swift logged as NaN or ±Infinity is null here and named in <see cref="NonFinite"/> (e.g. "loss=NaN, grad_norm=Infinity").
/// </summary>
public sealed record TrainingPoint(int Step, double? Loss, double? LearningRate, double? EvalLoss = null, double? GradNorm = null, string? NonFinite = null)
{
    [JsonIgnore]
    public bool IsEval => EvalLoss is not null || (NonFinite?.Contains("eval_loss", StringComparison.Ordinal) ?? false);
}

/// <summary>The first row where the loss (or the gradient norm) stopped being a finite number.</summary>
public sealed record TrainingDivergence(int Step, string Values)
{
    public string Message => $"Training diverged at step {Step} ({Values}): the loss is no longer a finite number, so the model stopped learning. Lower the learning rate, use bfloat16 instead of float16, or clip gradients (--max_grad_norm), then start again from a checkpoint saved before step {Step}.";
}

/// <summary>A job as the store keeps it and the UI shows it.</summary>
public sealed record JobInfo
{
    public string JobId { get; init; } = "";

    public string Backend { get; init; } = "";

    public JobState State { get; init; } = JobState.Unknown;

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

    public JobSpec Spec { get; init; } = new();

    public int SwiftMajorVersion { get; init; }

    /// <summary>The full ms-swift version found on the host (e.g. 4.0.4).</summary>
    public string? SwiftVersion { get; init; }

    /// <summary>SSH: the GPUs the job runs on (CUDA_VISIBLE_DEVICES); empty = no GPU; null = not chosen (old jobs, Slurm).</summary>
    public IReadOnlyList<int>? GpuIndices { get; init; }

    /// <summary>The host environment activated before swift (conda, venv, setup command); null = the login shell.</summary>
    public JobHostEnvironment? HostEnvironment { get; init; }

    /// <summary>The environment the wrapper exports for swift (CUDA_VISIBLE_DEVICES, NPROC_PER_NODE, ...).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Set once logging.jsonl holds a NaN or infinite loss or gradient norm.</summary>
    public TrainingDivergence? Divergence { get; init; }

    /// <summary>Checkpoint folders without trainer_state.json (being written, or cut by a kill): never resumed from.</summary>
    public IReadOnlyList<string> PartialCheckpoints { get; init; } = [];

    /// <summary>What was found at submit that may make the job fail or crawl (e.g. bitsandbytes missing for QLoRA).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Slurm's job id (Slurm backend only).</summary>
    public string? SchedulerJobId { get; init; }

    /// <summary>The remote logging.jsonl once swift announced it.</summary>
    public string? LoggingFile { get; init; }

    /// <summary>The job this one resumes, if any.</summary>
    public string? ResumedFrom { get; init; }

    public string? ResumeCheckpoint { get; init; }

    [JsonIgnore]
    public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Cancelled;
}

public sealed record JobPreset(string Id, string Label, string Description, JobSpec Spec);

/// <summary>One thing wrong with a <see cref="JobSpec"/>: <paramref name="Field"/> is the spec member's camelCase name.</summary>
public sealed record JobSpecError(string Field, string Message)
{
    public override string ToString() => Message;
}

/// <summary>New lines and points since the caller's last look (for watch).</summary>
public sealed record JobUpdate(JobInfo Job, IReadOnlyList<string> NewLogLines, IReadOnlyList<TrainingPoint> NewPoints);

/// <summary>Where a watcher stands in the job's remote files.</summary>
public sealed class JobWatchCursor
{
    public long OutputOffset { get; set; }

    public long LoggingOffset { get; set; }

    public string? LoggingFile { get; set; }
}
