using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ModelIde.Core;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.Jobs;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide finetune</c>: submit an ms-swift fine-tune job over SSH or Slurm, list presets.</summary>
public sealed class FinetuneCommand() : CliCommand("finetune", "Fine-tune a model remotely with ms-swift (SSH host or Slurm cluster).")
{
    private readonly SubmitCommand _submit = new();
    private readonly PresetsCommand _presets = new();

    internal static void PrintJob(CliConsole console, JobInfo job)
    {
        console.Out.WriteLine($"job       {job.JobId}");
        console.Out.WriteLine($"backend   {job.Backend}{(job.SchedulerJobId is null ? "" : " (Slurm job " + job.SchedulerJobId + ")")}");
        console.Out.WriteLine($"state     {job.State.ToString().ToLowerInvariant()}{(job.Reason is null ? "" : " - " + TerminalText.Escape(job.Reason))}");
        if (job.Unreachable is not null)
        {
            console.Out.WriteLine($"warning   {TerminalText.Escape(job.Unreachable)}");
        }
        if (job.Progress is { } p)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"progress  {p.GlobalStep}/{p.MaxSteps} ({p.Percent:0.##}%){(p.Loss is { } l ? $", loss {l:0.####}" : "")}{(p.Elapsed is null ? "" : ", elapsed " + p.Elapsed)}{(p.Remaining is null ? "" : ", remaining " + p.Remaining)}"));
        }

        console.Out.WriteLine($"folder    {TerminalText.Escape(job.RemoteDir)}");
        console.Out.WriteLine($"command   {job.Command}");
        if (job.ResumedFrom is not null)
        {
            console.Out.WriteLine($"resumes   {job.ResumedFrom} from {job.ResumeCheckpoint}");
        }

        foreach (var c in job.Checkpoints)
        {
            console.Out.WriteLine($"checkpoint {TerminalText.Escape(c)}");
        }

        foreach (var e in job.LastErrorLines ?? [])
        {
            console.Out.WriteLine($"  | {TerminalText.Escape(e)}");
        }
    }

    private sealed class PresetsCommand() : CliCommand("presets", "List the job presets ('finetune submit --preset ID').")
    {
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print the presets as JSON");

        public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(JobPresets.All, JobStore.JsonOptions));
                return Task.FromResult(ExitCodes.Success);
            }

            foreach (var p in JobPresets.All)
            {
                console.Out.WriteLine($"{p.Id,-18} {p.Label}");
                console.Out.WriteLine($"{"",-18} {p.Description}");
                console.Out.WriteLine($"{"",-18} model {p.Spec.Model}, {p.Spec.Tuner.ToString().ToLowerInvariant()}");
            }

            return Task.FromResult(ExitCodes.Success);
        }
    }

    private sealed class SubmitCommand() : CliCommand("submit", "Submit a fine-tune job (or print it with --dry-run).")
    {
        private readonly Option<string?> _backend = CliOptions.Text("--backend", "URL", "ssh://user@host[:port] or slurm://user@host[:port] (the Slurm login node)");
        private readonly Option<string?> _model = CliOptions.Text("--model", "M", "model id on ModelScope (or a path on the remote)");
        private readonly Option<string[]> _dataset = CliOptions.Repeatable("--dataset", "D", "dataset id or remote path (repeatable)");
        private readonly Option<string?> _preset = CliOptions.Text("--preset", "ID", "start from a preset (see 'finetune presets'); other options override it");
        private readonly Option<string?> _tuner = CliOptions.Text("--tuner", "T", "lora (default), qlora (LoRA on a 4-bit bitsandbytes base) or full").Suggest("lora", "qlora", "full");
        private readonly Option<string?> _identity = CliOptions.Text("--identity", "FILE", "SSH private key (default ~/.ssh/id_ed25519, id_ecdsa, id_rsa)");
        private readonly Option<int?> _maxSteps = CliOptions.Int("--max-steps", "N", "training steps", min: 1);
        private readonly Option<double?> _epochs = CliOptions.Number("--epochs", "N", "training epochs");
        private readonly Option<double?> _learningRate = CliOptions.Number("--learning-rate", "X", "learning rate");
        private readonly Option<int?> _loraRank = CliOptions.Int("--lora-rank", "N", "LoRA rank", min: 1);
        private readonly Option<int?> _loraAlpha = CliOptions.Int("--lora-alpha", "N", "LoRA alpha", min: 1);
        private readonly Option<int?> _batchSize = CliOptions.Int("--batch-size", "N", "per-device batch size", min: 1);
        private readonly Option<int?> _maxLength = CliOptions.Int("--max-length", "N", "maximum sequence length", min: 1);
        private readonly Option<int?> _gpus = CliOptions.Int("--gpus", "N", "GPUs per node", min: 0);
        private readonly Option<string?> _gpuIds = CliOptions.Text("--gpu-ids", "LIST", "SSH: which GPUs, as nvidia-smi numbers them (e.g. 0,3); default: the least busy");
        private readonly Option<int?> _cpusPerTask = CliOptions.Int("--cpus-per-task", "N", "CPUs per task (Slurm)", min: 1);
        private readonly Option<int?> _saveSteps = CliOptions.Int("--save-steps", "N", "save a checkpoint every N steps", min: 1);
        private readonly Option<int?> _saveTotalLimit = CliOptions.Int("--save-total-limit", "N", "checkpoints to keep (older ones are deleted)", min: 1);
        private readonly Option<bool> _saveOnlyModel = CliOptions.Flag("--save-only-model", "save weights only (smaller checkpoints; the job cannot be resumed)");
        private readonly Option<string?> _bnbComputeDtype = CliOptions.Text("--bnb-compute-dtype", "DTYPE", "QLoRA compute dtype (default: the model's; float16 on GPUs without bf16 such as V100, T4)")
            .Suggest("bfloat16", "float16", "float32");
        private readonly Option<int?> _nodes = CliOptions.Int("--nodes", "N", "nodes (Slurm)", min: 1);
        private readonly Option<int?> _time = CliOptions.Int("--time", "MINUTES", "time limit (Slurm)", min: 1);
        private readonly Option<string?> _outputDir = CliOptions.Text("--output-dir", "DIR", "remote output folder (default: the job's folder/output)");
        private readonly Option<string?> _upload = CliOptions.Text("--upload", "FILE", "upload a local dataset file into the job's folder and train on it");
        private readonly Option<string[]> _swiftArg = CliOptions.Repeatable("--swift-arg", "ARG", "one more 'swift sft' argument, repeatable (--swift-arg=--save_steps --swift-arg=50)");
        private readonly Option<bool> _dryRun = CliOptions.Flag("--dry-run", "print the exact swift command and the wrapper/batch script; connect to nothing");
        private readonly Option<int?> _swiftVersion = CliOptions.Int("--swift-version", "3|4", "ms-swift version assumed by --dry-run (submit detects it on the remote)", min: 3, max: 4);
        private readonly Option<bool> _json = CliOptions.Flag("--json", "print the job (or the dry run) as JSON");
        private readonly JobStateOptions _state = new();

        public override string Notes => """
            The ModelScope token is taken from MODELSCOPE_API_TOKEN and reaches the remote job's environment only.
            A first connection to an unknown host fails with its fingerprint; trust it with 'modelide jobs trust-host'.
            """;

        public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
        {
            var spec = new JobSpec();
            if (parse.GetValue(_preset) is { } presetId)
            {
                spec = (JobPresets.Find(presetId) ?? throw new CliUsageException($"Unknown preset '{presetId}'. Run 'modelide finetune presets'.")).Spec;
            }

            var tuner = parse.GetValue(_tuner);
            var datasets = parse.GetValue(_dataset) ?? [];
            var swiftArgs = parse.GetValue(_swiftArg) ?? [];
            spec = spec with
            {
                Backend = parse.GetValue(_backend) ?? spec.Backend,
                IdentityFile = parse.GetValue(_identity) ?? spec.IdentityFile,
                Model = parse.GetValue(_model) ?? spec.Model,
                Dataset = datasets.Length > 0 ? datasets : spec.Dataset,
                Tuner = tuner is null ? spec.Tuner : tuner.ToLowerInvariant() switch
                {
                    "lora" => JobTunerKind.Lora,
                    "qlora" => JobTunerKind.Qlora,
                    "full" => JobTunerKind.Full,
                    _ => throw new CliUsageException($"--tuner must be lora, qlora or full, not '{tuner}'."),
                },
                MaxSteps = parse.GetValue(_maxSteps) ?? spec.MaxSteps,
                NumTrainEpochs = parse.GetValue(_epochs) ?? spec.NumTrainEpochs,
                LearningRate = parse.GetValue(_learningRate) ?? spec.LearningRate,
                LoraRank = parse.GetValue(_loraRank) ?? spec.LoraRank,
                LoraAlpha = parse.GetValue(_loraAlpha) ?? spec.LoraAlpha,
                BatchSize = parse.GetValue(_batchSize) ?? spec.BatchSize,
                MaxLength = parse.GetValue(_maxLength) ?? spec.MaxLength,
                GpusPerNode = parse.GetValue(_gpus) ?? spec.GpusPerNode,
                Nodes = parse.GetValue(_nodes) ?? spec.Nodes,
                TimeLimitMinutes = parse.GetValue(_time) ?? spec.TimeLimitMinutes,
                OutputDir = parse.GetValue(_outputDir) ?? spec.OutputDir,
                UploadDataset = parse.GetValue(_upload) ?? spec.UploadDataset,
                ExtraArgs = swiftArgs.Length > 0 ? swiftArgs : spec.ExtraArgs,
                SwiftMajorVersion = parse.GetValue(_swiftVersion) ?? spec.SwiftMajorVersion,
                GpuIndices = parse.GetValue(_gpuIds) is { } ids ? ParseGpuIds(ids) : spec.GpuIndices,
                CpusPerTask = parse.GetValue(_cpusPerTask) ?? spec.CpusPerTask,
                SaveSteps = parse.GetValue(_saveSteps) ?? spec.SaveSteps,
                SaveTotalLimit = parse.GetValue(_saveTotalLimit) ?? spec.SaveTotalLimit,
                SaveOnlyModel = parse.GetValue(_saveOnlyModel) ? true : spec.SaveOnlyModel,
                BnbComputeDtype = parse.GetValue(_bnbComputeDtype) ?? spec.BnbComputeDtype,
            };
            var dryRun = parse.GetValue(_dryRun);
            var json = parse.GetValue(_json);
            using var service = _state.CreateService(parse);

            if (dryRun)
            {
                var preview = JobService.Preview(spec, service.HostEnvironmentFor(spec.Backend));
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(preview, JobStore.JsonOptions));
                }
                else
                {
                    console.Out.WriteLine(preview.Command);
                    console.Error.WriteLine($"(ms-swift {preview.SwiftMajorVersion}.x assumed; submit detects the remote version)");
                    if (preview.Script is not null)
                    {
                        console.Out.WriteLine();
                        console.Out.WriteLine(preview.Script);
                    }
                }

                foreach (var e in preview.Errors)
                {
                    console.Error.WriteLine("error: " + e);
                }

                return preview.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.Usage;
            }

            var errors = SwiftCommandBuilder.Validate(spec);
            if (errors.Count > 0)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, string.Join(" ", errors));
            }

            var job = await service.SubmitAsync(spec, cancellationToken).ConfigureAwait(false);
            if (json)
            {
                console.Out.WriteLine(JsonSerializer.Serialize(job, JobStore.JsonOptions));
            }
            else
            {
                PrintJob(console, job);
                console.Error.WriteLine($"Follow it with: modelide jobs logs {job.JobId} -f");
            }

            return ExitCodes.Success;
        }

        /// <summary>"0,3" as nvidia-smi numbers GPUs; Core's validator refuses duplicates.</summary>
        private static int[] ParseGpuIds(string text)
        {
            var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var ids = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
                {
                    throw new CliUsageException($"--gpu-ids takes GPU numbers as nvidia-smi lists them, e.g. 0,3; not '{text}'.");
                }
            }

            return ids.Length > 0 ? ids : throw new CliUsageException("--gpu-ids needs at least one GPU number, e.g. 0,3.");
        }
    }
}
