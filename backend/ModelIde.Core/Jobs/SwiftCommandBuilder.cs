using System.Globalization;

namespace ModelIde.Core.Jobs;

/// <summary>
/// Builds the <c>swift sft</c> argv for a job. ms-swift 4 names the tuner flag <c>--tuner_type</c>, 3.x
/// <c>--train_type</c>; an unknown flag makes swift fail with <c>remaining_argv</c>, so the version decides.
/// QLoRA is LoRA on a bitsandbytes 4-bit base (there is no "qlora" tuner type).
/// </summary>
public static class SwiftCommandBuilder
{
    public const int DefaultSwiftMajorVersion = 4;

    /// <summary>Flags we set ourselves; extraArgs may not repeat them (swift would take the last one silently).</summary>
    private static readonly string[] s_ownedFlags =
    [
        "--model", "--dataset", "--tuner_type", "--train_type", "--output_dir", "--num_train_epochs", "--max_steps",
        "--learning_rate", "--lora_rank", "--lora_alpha", "--per_device_train_batch_size", "--max_length",
        "--quant_method", "--quant_bits", "--resume_from_checkpoint", "--hub_token",
    ];

    /// <summary>Everything wrong with a spec, each tagged with the field it is about (the one validator: CLI, sidecar, form).</summary>
    public static IReadOnlyList<JobSpecError> Validate(JobSpec spec)
    {
        var errors = new List<JobSpecError>();
        if (!JobBackendAddress.TryParse(spec.Backend, out var address, out var backendError))
        {
            errors.Add(new("backend", backendError!));
        }

        if (string.IsNullOrWhiteSpace(spec.Model))
        {
            errors.Add(new("model", "model is required (a ModelScope model id such as Qwen/Qwen2.5-0.5B-Instruct, or a path on the remote)."));
        }

        if ((spec.Dataset.Count == 0 || spec.Dataset.All(string.IsNullOrWhiteSpace)) && string.IsNullOrWhiteSpace(spec.UploadDataset))
        {
            errors.Add(new("dataset", "dataset is required (a ModelScope dataset id or a path on the remote)."));
        }

        if (spec.Dataset.Any(d => d.Contains('\n') || d.Contains('\0')))
        {
            errors.Add(new("dataset", "dataset entries must be single lines."));
        }

        if (spec.NumTrainEpochs is { } e && (e <= 0 || e > 1000))
        {
            errors.Add(new("numTrainEpochs", "numTrainEpochs must be greater than 0 and at most 1000."));
        }

        if (spec.MaxSteps is { } ms && ms is < 1 and not -1)
        {
            errors.Add(new("maxSteps", "maxSteps must be at least 1."));
        }

        if (spec.LearningRate is { } lr && (lr <= 0 || lr >= 1))
        {
            errors.Add(new("learningRate", "learningRate must be between 0 and 1 (e.g. 1e-4)."));
        }

        if (spec.Tuner == JobTuner.Full && (spec.LoraRank is not null || spec.LoraAlpha is not null))
        {
            errors.Add(new("loraRank", "loraRank and loraAlpha apply to LoRA and QLoRA, not to a full fine-tune."));
        }

        Positive(spec.LoraRank, "loraRank", 1024, errors);
        Positive(spec.LoraAlpha, "loraAlpha", 4096, errors);
        Positive(spec.BatchSize, "batchSize", 4096, errors);
        Positive(spec.MaxLength, "maxLength", 1 << 20, errors);
        Positive(spec.Nodes, "nodes", 1024, errors);
        Positive(spec.TimeLimitMinutes, "timeLimitMinutes", 366 * 24 * 60, errors);
        if (spec.GpusPerNode is { } g && (g < 0 || g > 64))
        {
            errors.Add(new("gpusPerNode", "gpusPerNode must be from 0 to 64."));
        }

        if (address?.Kind == JobBackendKind.Ssh && spec.Nodes is > 1)
        {
            errors.Add(new("nodes", "several nodes need the Slurm backend (slurm://user@login-node)."));
        }

        if (address?.Kind == JobBackendKind.Ssh && spec.TimeLimitMinutes is not null)
        {
            errors.Add(new("timeLimitMinutes", "timeLimitMinutes applies to the Slurm backend only."));
        }

        if (spec.OutputDir is { } o && (o.Contains('\n') || o.Contains('\0') || o.Trim().Length == 0))
        {
            errors.Add(new("outputDir", "outputDir must be a folder path."));
        }

        if (spec.SwiftMajorVersion is { } v && v is not (3 or 4))
        {
            errors.Add(new("swiftMajorVersion", "swiftMajorVersion must be 3 or 4."));
        }

        foreach (var flag in spec.ExtraArgs.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
        {
            var name = flag.Split('=')[0];
            if (s_ownedFlags.Contains(name, StringComparer.Ordinal))
            {
                errors.Add(new("extraArgs", $"extraArgs may not set {name}; use the matching field of the job instead."));
            }
        }

        if (spec.ExtraArgs.Any(a => a.Contains('\n') || a.Contains('\0')))
        {
            errors.Add(new("extraArgs", "extraArgs entries must be single lines."));
        }

        if (spec.UploadDataset is { } up && !File.Exists(up))
        {
            errors.Add(new("uploadDataset", $"uploadDataset '{up}' does not exist."));
        }

        return errors;
    }

    public static void EnsureValid(JobSpec spec)
    {
        var errors = Validate(spec);
        if (errors.Count > 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "Invalid job: " + string.Join(" ", errors));
        }
    }

    /// <summary>The argv, starting with <c>swift sft</c>. <paramref name="datasets"/> replaces the spec's list when given.</summary>
    public static IReadOnlyList<string> Build(JobSpec spec, int swiftMajorVersion, string outputDir, string? resumeFromCheckpoint = null, IReadOnlyList<string>? datasets = null)
    {
        var a = new List<string> { "swift", "sft", "--model", spec.Model.Trim() };
        a.Add("--dataset");
        a.AddRange((datasets ?? spec.Dataset).Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim()));
        a.Add(swiftMajorVersion >= 4 ? "--tuner_type" : "--train_type");
        a.Add(spec.Tuner == JobTuner.Full ? "full" : "lora");
        if (spec.Tuner == JobTuner.Qlora)
        {
            a.AddRange([
                "--quant_method", "bnb", "--quant_bits", "4",
                "--bnb_4bit_compute_dtype", "bfloat16", "--bnb_4bit_quant_type", "nf4", "--bnb_4bit_use_double_quant", "true",
            ]);
        }

        Add(a, "--num_train_epochs", spec.NumTrainEpochs);
        Add(a, "--max_steps", spec.MaxSteps);
        Add(a, "--learning_rate", spec.LearningRate);
        if (spec.Tuner != JobTuner.Full)
        {
            Add(a, "--lora_rank", spec.LoraRank);
            Add(a, "--lora_alpha", spec.LoraAlpha);
        }

        Add(a, "--per_device_train_batch_size", spec.BatchSize);
        Add(a, "--max_length", spec.MaxLength);
        a.AddRange(["--output_dir", outputDir]);
        if (resumeFromCheckpoint is not null)
        {
            a.AddRange(["--resume_from_checkpoint", resumeFromCheckpoint]);
        }

        a.AddRange(spec.ExtraArgs);
        return a;
    }

    public static string ToCommandLine(IReadOnlyList<string> argv) => PosixShell.Join(argv);

    /// <summary>"4.0.1" → 4; null when the text is not a version.</summary>
    public static int? ParseMajorVersion(string? text)
    {
        var line = text?.Trim().Split('\n').LastOrDefault()?.Trim();
        if (string.IsNullOrEmpty(line))
        {
            return null;
        }

        var digits = new string(line.TakeWhile(char.IsAsciiDigit).ToArray());
        return digits.Length > 0 && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : null;
    }

    private static void Positive(int? value, string name, int max, List<JobSpecError> errors)
    {
        if (value is { } v && (v < 1 || v > max))
        {
            errors.Add(new(name, $"{name} must be from 1 to {max}."));
        }
    }

    private static void Add(List<string> a, string flag, double? value)
    {
        if (value is { } v)
        {
            a.Add(flag);
            a.Add(v.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static void Add(List<string> a, string flag, int? value)
    {
        if (value is { } v)
        {
            a.Add(flag);
            a.Add(v.ToString(CultureInfo.InvariantCulture));
        }
    }
}
