using System.Text.Json.Serialization;

namespace ModelIde.Core.Jobs;

// The job's wire vocabulary (JobSpec, JobTunerKind, JobStateKind, TrainingProgress, TrainingPoint, JobSpecError,
// JobPreset) is ModelIde.Protocol's; this file holds what only Core knows about jobs.

/// <summary>Core's reading of a spec from a form or the wire.</summary>
public static class JobSpecInput
{
    /// <summary>
    /// An empty form field ("" dtype) or a JSON null means unset, as if the member were left out; a null inside a list
    /// (a JSON <c>[null]</c>) is no item. Validation then says what is missing.
    /// </summary>
    public static JobSpec Normalize(JobSpec spec) => spec with
    {
        Backend = spec.Backend ?? "",
        Model = spec.Model ?? "",
        Dataset = spec.Dataset?.Where(d => d is not null).ToArray() ?? [],
        ExtraArgs = spec.ExtraArgs?.Where(a => a is not null).ToArray() ?? [],
        BnbComputeDtype = string.IsNullOrWhiteSpace(spec.BnbComputeDtype) ? null : spec.BnbComputeDtype,
    };
}

/// <summary>What Core asks of a chart point beyond its wire members.</summary>
public static class TrainingPointExtensions
{
    extension(TrainingPoint point)
    {
        /// <summary>An eval row: it has an eval loss, or swift logged its eval loss as NaN/Infinity.</summary>
        public bool IsEval => point.EvalLoss is not null || (point.NonFinite?.Contains("eval_loss", StringComparison.Ordinal) ?? false);
    }
}

/// <summary>The first row where the loss (or the gradient norm) stopped being a finite number.</summary>
public sealed record TrainingDivergence(int Step, string Values)
{
    public string Message => $"Training diverged at step {Step} ({Values}): the loss is no longer a finite number, so the model stopped learning. Lower the learning rate, use bfloat16 instead of float16, or clip gradients (--max_grad_norm), then start again from a checkpoint saved before step {Step}.";
}

/// <summary>A job as the store keeps it: the members the wire shares (<see cref="JobRecord"/>) and what only Core needs.</summary>
public sealed record JobInfo : JobRecord
{
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

    /// <summary>The remote logging.jsonl once swift announced it.</summary>
    public string? LoggingFile { get; init; }

    public string? ResumeCheckpoint { get; init; }

    [JsonIgnore]
    public bool IsFinished => State is JobStateKind.Completed or JobStateKind.Failed or JobStateKind.Cancelled;
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
