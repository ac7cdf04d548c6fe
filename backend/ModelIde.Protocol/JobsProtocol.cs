namespace ModelIde.Protocol;

/// <summary>Remote fine-tune jobs (ms-swift over SSH or Slurm). See docs/protocol.md, section jobs/.</summary>
public static class JobsMethods
{
    /// <summary>Request <see cref="JobSpecDto"/> → <see cref="JobPreviewResult"/>: validation and the exact swift line, no connection.</summary>
    public const string Preview = "jobs/preview";

    /// <summary>Request <see cref="JobSpecDto"/> → <see cref="JobInfoDto"/>.</summary>
    public const string Submit = "jobs/submit";

    public const string List = "jobs/list";

    public const string Get = "jobs/get";

    public const string Cancel = "jobs/cancel";

    /// <summary>Request <see cref="JobIdParams"/> → the new job, started with --resume_from_checkpoint of the newest checkpoint.</summary>
    public const string Resume = "jobs/resume";

    public const string FetchAdapter = "jobs/fetchAdapter";

    public const string Logs = "jobs/logs";

    /// <summary>Request: start sending <see cref="Update"/> notifications for a job until it finishes or unwatch.</summary>
    public const string Watch = "jobs/watch";

    public const string Unwatch = "jobs/unwatch";

    /// <summary>Notification, sidecar → client: <see cref="JobUpdateParams"/>.</summary>
    public const string Update = "jobs/update";

    public const string Presets = "jobs/presets";

    /// <summary>Request <see cref="TrustHostParams"/>: records the host key fingerprint the user confirmed.</summary>
    public const string TrustHost = "jobs/trustHost";

    /// <summary>Request <see cref="ConfigureSlurmRestParams"/>: use slurmrestd for slurm:// jobs (token kept in memory only).</summary>
    public const string ConfigureSlurmRest = "jobs/configureSlurmRest";
}

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

public sealed record JobSpecDto
{
    public string Backend { get; init; } = "";

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

    public int? GpusPerNode { get; init; }

    public int? Nodes { get; init; }

    public string? OutputDir { get; init; }

    public int? TimeLimitMinutes { get; init; }

    public IReadOnlyList<string>? ExtraArgs { get; init; }

    public string? UploadDataset { get; init; }

    public int? SwiftMajorVersion { get; init; }
}

public sealed record TrainingProgressDto(int GlobalStep, int MaxSteps, double Percent, string? Elapsed, string? Remaining, double? Loss, double? LearningRate, double? MemoryGiB);

public sealed record TrainingPointDto(int Step, double? Loss, double? LearningRate);

public sealed record JobInfoDto
{
    public string JobId { get; init; } = "";

    public string Backend { get; init; } = "";

    public JobStateKind State { get; init; }

    public string? Reason { get; init; }

    /// <summary>Set while the job's host or Slurm controller cannot be reached: what failed; monitoring retries and <see cref="State"/> is the last one seen.</summary>
    public string? Unreachable { get; init; }

    public string RemoteDir { get; init; } = "";

    public string Command { get; init; } = "";

    public DateTimeOffset SubmittedAt { get; init; }

    public TrainingProgressDto? Progress { get; init; }

    public IReadOnlyList<string>? LastErrorLines { get; init; }

    public IReadOnlyList<string> Checkpoints { get; init; } = [];

    public string? SchedulerJobId { get; init; }

    public string? ResumedFrom { get; init; }

    public int SwiftMajorVersion { get; init; }

    public JobSpecDto Spec { get; init; } = new();
}

public sealed record JobPreviewResult(string Command, string? Script, IReadOnlyList<string> Errors, int SwiftMajorVersion);

public sealed record JobIdParams(string JobId);

public sealed record JobListParams;

public sealed record JobListResult(IReadOnlyList<JobInfoDto> Jobs);

public sealed record FetchAdapterParams(string JobId, string TargetDir, string? Checkpoint = null);

public sealed record FetchAdapterResult(string Path);

public sealed record JobLogsParams(string JobId, int? TailLines = null);

public sealed record JobLogsResult(IReadOnlyList<string> Lines);

public sealed record JobWatchParams(string JobId, int? IntervalMilliseconds = null);

public sealed record EmptyResult;

public sealed record JobUpdateParams(JobInfoDto Job, IReadOnlyList<string> NewLogLines, IReadOnlyList<TrainingPointDto> NewPoints);

public sealed record JobPresetDto(string Id, string Label, string Description, JobSpecDto Spec);

public sealed record JobPresetsResult(IReadOnlyList<JobPresetDto> Presets);

public sealed record TrustHostParams(string Host, int Port, string Fingerprint);

/// <summary>slurmrestd base URL (e.g. http://127.0.0.1:6820), the Slurm user and its JWT; a null baseUrl turns REST off.</summary>
public sealed record ConfigureSlurmRestParams(string? BaseUrl, string? UserName = null, string? Token = null, string? ApiVersion = null);
