using System.Globalization;

namespace ModelIde.Core.Jobs;

/// <summary>
/// Builds the <c>swift sft</c> argv for a job. ms-swift 4 names the tuner flag <c>--tuner_type</c>, 3.x
/// <c>--train_type</c>; an unknown flag makes swift fail with <c>remaining_argv</c>, so the version decides.
/// QLoRA is LoRA on a bitsandbytes 4-bit base (there is no "qlora" tuner type); its compute dtype is left to
/// ms-swift (the model's dtype) unless chosen, since bfloat16 fails or crawls on GPUs without it (V100, T4).
/// </summary>
public static class SwiftCommandBuilder
{
    public const int DefaultSwiftMajorVersion = 4;

    /// <summary>Flags we always own; extraArgs may not repeat them (swift would take the last one silently).</summary>
    private static readonly string[] s_ownedFlags =
    [
        "--model", "--dataset", "--tuner_type", "--train_type", "--output_dir", "--quant_method", "--quant_bits",
        "--resume_from_checkpoint", "--resume_only_model", "--hub_token",
    ];

    public static readonly string[] ComputeDtypes = ["float16", "bfloat16", "float32"];

    /// <summary>The extra arguments: <see cref="JobSpec.ExtraArgs"/> then <see cref="JobSpec.ExtraArgsText"/> split with shell quoting.</summary>
    public static IReadOnlyList<string> ExtraArgsOf(JobSpec spec) =>
        [.. spec.ExtraArgs ?? [], .. ShellWords.TrySplit(spec.ExtraArgsText, out var words, out _) ? words : []];

    /// <summary>
    /// The datasets: <see cref="JobSpec.Dataset"/> then <see cref="JobSpec.DatasetText"/> split with shell quoting (a
    /// comma ending a word separates too, as the form used to ask for "a, b").
    /// </summary>
    public static IReadOnlyList<string> DatasetsOf(JobSpec spec) =>
        [
            .. spec.Dataset.Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim()),
            .. (ShellWords.TrySplit(spec.DatasetText, out var words, out _) ? words : []).Select(w => w.TrimEnd(',')).Where(w => w.Length > 0),
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

        if (!ShellWords.TrySplit(spec.ExtraArgsText, out _, out var extraError))
        {
            errors.Add(new("extraArgs", $"extraArgs: {extraError} (quote values with spaces as a shell would: --system 'You are ...')."));
        }

        if (!ShellWords.TrySplit(spec.DatasetText, out _, out var datasetError))
        {
            errors.Add(new("dataset", $"dataset: {datasetError}."));
        }

        if (DatasetsOf(spec).Count == 0 && string.IsNullOrWhiteSpace(spec.UploadDataset))
        {
            errors.Add(new("dataset", "dataset is required (a ModelScope dataset id or a path on the remote)."));
        }

        if (DatasetsOf(spec).Any(d => d.Contains('\n') || d.Contains('\0')))
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

        if (spec.Tuner == JobTunerKind.Full && (spec.LoraRank is not null || spec.LoraAlpha is not null))
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

        if (spec.GpuIndices is { } indices)
        {
            if (address?.Kind == JobBackendKind.Slurm)
            {
                errors.Add(new("gpuIndices", "gpuIndices apply to the SSH backend only (Slurm chooses a job's GPUs; ask for a count with gpusPerNode)."));
            }

            if (indices.Any(i => i is < 0 or > 63) || indices.Distinct().Count() != indices.Count)
            {
                errors.Add(new("gpuIndices", "gpuIndices must be distinct GPU numbers from 0 to 63, as nvidia-smi lists them."));
            }

            if (spec.GpusPerNode is { } count && count != indices.Count)
            {
                errors.Add(new("gpuIndices", $"gpusPerNode ({count}) and gpuIndices ({indices.Count} GPUs) disagree; give one of them."));
            }
        }

        Positive(spec.CpusPerTask, "cpusPerTask", 1024, errors);
        if (address?.Kind == JobBackendKind.Ssh && spec.CpusPerTask is not null)
        {
            errors.Add(new("cpusPerTask", "cpusPerTask applies to the Slurm backend only."));
        }

        Positive(spec.SaveSteps, "saveSteps", 1_000_000, errors);
        Positive(spec.SaveTotalLimit, "saveTotalLimit", 10_000, errors);
        if (spec.BnbComputeDtype is { } dtype && !ComputeDtypes.Contains(dtype, StringComparer.Ordinal))
        {
            errors.Add(new("bnbComputeDtype", $"bnbComputeDtype must be one of {string.Join(", ", ComputeDtypes)}, or empty for the model's own dtype."));
        }

        if (spec.BnbComputeDtype is not null && spec.Tuner != JobTunerKind.Qlora)
        {
            errors.Add(new("bnbComputeDtype", "bnbComputeDtype applies to QLoRA only."));
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

        // Flags the job's own fields produce (e.g. --save_steps once saveSteps is set) are owned too.
        var owned = Build(spec with { ExtraArgs = [], ExtraArgsText = null }, DefaultSwiftMajorVersion, "/out")
            .Where(a => a.StartsWith("--", StringComparison.Ordinal)).Concat(s_ownedFlags).ToHashSet(StringComparer.Ordinal);
        foreach (var flag in ExtraArgsOf(spec).Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=')[0]).Distinct())
        {
            if (owned.Contains(flag))
            {
                errors.Add(new("extraArgs", $"extraArgs may not set {flag}; use the matching field of the job instead."));
            }
        }

        if (ExtraArgsOf(spec).Any(a => a.Contains('\0')))
        {
            errors.Add(new("extraArgs", "extraArgs may not contain NUL characters."));
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
        a.AddRange((datasets ?? DatasetsOf(spec)).Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim()));
        a.Add(swiftMajorVersion >= 4 ? "--tuner_type" : "--train_type");
        a.Add(spec.Tuner == JobTunerKind.Full ? "full" : "lora");
        if (spec.Tuner == JobTunerKind.Qlora)
        {
            a.AddRange(["--quant_method", "bnb", "--quant_bits", "4"]);
            if (spec.BnbComputeDtype is { } dtype)
            {
                a.AddRange(["--bnb_4bit_compute_dtype", dtype]);
            }

            a.AddRange(["--bnb_4bit_quant_type", "nf4", "--bnb_4bit_use_double_quant", "true"]);
        }

        Add(a, "--num_train_epochs", spec.NumTrainEpochs);
        Add(a, "--max_steps", spec.MaxSteps);
        Add(a, "--learning_rate", spec.LearningRate);
        if (spec.Tuner != JobTunerKind.Full)
        {
            Add(a, "--lora_rank", spec.LoraRank);
            Add(a, "--lora_alpha", spec.LoraAlpha);
        }

        Add(a, "--per_device_train_batch_size", spec.BatchSize);
        Add(a, "--max_length", spec.MaxLength);
        Add(a, "--save_steps", spec.SaveSteps);
        Add(a, "--save_total_limit", spec.SaveTotalLimit);
        if (spec.SaveOnlyModel is { } only)
        {
            a.AddRange(["--save_only_model", only ? "true" : "false"]);
        }

        a.AddRange(["--output_dir", outputDir]);
        if (resumeFromCheckpoint is not null)
        {
            a.AddRange(["--resume_from_checkpoint", resumeFromCheckpoint]);
            if (spec.SaveOnlyModel == true)
            {
                // The checkpoint has no optimizer, scheduler or RNG state: load the weights, skip the trained data.
                a.AddRange(["--resume_only_model", "true"]);
            }
        }

        a.AddRange(ExtraArgsOf(spec));
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
