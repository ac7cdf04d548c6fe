using System.Globalization;
using System.Text.Json;
using ModelIde.Core;
using ModelIde.Core.Jobs;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide finetune</c>: submit an ms-swift fine-tune job over SSH or Slurm, list presets.</summary>
public sealed class FinetuneCommand : CliCommand
{
    public override string Name => "finetune";

    public override string Summary => "Fine-tune a model remotely with ms-swift (SSH host or Slurm cluster).";

    public override string Usage => """
        Usage: modelide finetune submit --backend ssh://user@host[:port] | slurm://user@host[:port]
                                       --model M --dataset D [--dataset D2 ...] [options]
               modelide finetune presets [--json]

        Options of submit:
          --preset ID            start from a preset (see 'finetune presets'); other options override it
          --tuner lora|qlora|full   (default lora; qlora = LoRA on a 4-bit bitsandbytes base)
          --identity FILE        SSH private key (default ~/.ssh/id_ed25519, id_ecdsa, id_rsa)
          --max-steps N  --epochs N  --learning-rate X  --lora-rank N  --lora-alpha N
          --batch-size N  --max-length N  --gpus N (per node)  --nodes N (Slurm)  --time MINUTES (Slurm)
          --output-dir DIR       remote output folder (default: the job's folder/output)
          --upload FILE          upload a local dataset file into the job's folder and train on it
          --swift-arg ARG        one more 'swift sft' argument, repeatable (e.g. --swift-arg=--save_steps --swift-arg=50)
          --dry-run              print the exact swift command and the wrapper/batch script; connect to nothing
          --swift-version 3|4    ms-swift version assumed by --dry-run (submit detects it on the remote)
          --state-dir DIR        job list and known_hosts folder (default $MODELIDE_JOBS_STATE_DIR or ~/.local/state/modelide)
          --slurm-rest URL --slurm-rest-user NAME --slurm-jwt-file FILE
                                 submit and watch through slurmrestd (JWT) instead of sbatch/squeue over SSH
          --json                 print the job as JSON
        The ModelScope token is taken from MODELSCOPE_API_TOKEN and reaches the remote job's environment only.
        A first connection to an unknown host fails with its fingerprint; trust it with 'modelide jobs trust-host'.
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var verb = args.RequirePositional(0, "subcommand (submit or presets)");
        switch (verb)
        {
            case "presets":
            {
                var json = args.Flag("json");
                args.EnsureNoUnknownOptions();
                if (json)
                {
                    console.Out.WriteLine(JsonSerializer.Serialize(JobPresets.All, JobStore.JsonOptions));
                    return ExitCodes.Success;
                }

                foreach (var p in JobPresets.All)
                {
                    console.Out.WriteLine($"{p.Id,-18} {p.Label}");
                    console.Out.WriteLine($"{"",-18} {p.Description}");
                    console.Out.WriteLine($"{"",-18} model {p.Spec.Model}, {p.Spec.Tuner.ToString().ToLowerInvariant()}");
                }

                return ExitCodes.Success;
            }

            case "submit":
                return await SubmitAsync(args, console, cancellationToken).ConfigureAwait(false);
            default:
                throw new CliUsageException($"Unknown subcommand '{verb}'.");
        }
    }

    internal static JobService CreateService(CliArguments args)
    {
        var stateDir = args.Option("state-dir") ?? JobStore.DefaultDirectory();
        var restUrl = args.Option("slurm-rest");
        var jwtFile = args.Option("slurm-jwt-file");
        var restUser = args.Option("slurm-rest-user");
        SlurmRestOptions? rest = null;
        if (restUrl is not null)
        {
            if (jwtFile is null || restUser is null)
            {
                throw new CliUsageException("--slurm-rest needs --slurm-rest-user and --slurm-jwt-file (a file holding the token from 'scontrol token').");
            }

            if (!Uri.TryCreate(restUrl.TrimEnd('/') + "/", UriKind.Absolute, out var uri))
            {
                throw new CliUsageException($"--slurm-rest '{restUrl}' is not a URL.");
            }

            var jwt = File.Exists(jwtFile) ? File.ReadAllText(jwtFile).Trim() : throw new CliUsageException($"--slurm-jwt-file '{jwtFile}' does not exist.");
            if (jwt.StartsWith("SLURM_JWT=", StringComparison.Ordinal))
            {
                jwt = jwt["SLURM_JWT=".Length..];
            }

            rest = new SlurmRestOptions(uri, restUser, jwt);
        }

        return new JobService(new JobServiceOptions
        {
            StateDirectory = stateDir,
            TokenProvider = () => Environment.GetEnvironmentVariable("MODELSCOPE_API_TOKEN") is { Length: > 0 } t ? t : null,
            SlurmRest = rest,
        });
    }

    internal static void PrintJob(CliConsole console, JobInfo job)
    {
        console.Out.WriteLine($"job       {job.JobId}");
        console.Out.WriteLine($"backend   {job.Backend}{(job.SchedulerJobId is null ? "" : " (Slurm job " + job.SchedulerJobId + ")")}");
        console.Out.WriteLine($"state     {job.State.ToString().ToLowerInvariant()}{(job.Reason is null ? "" : " - " + job.Reason)}");
        if (job.Unreachable is not null)
        {
            console.Out.WriteLine($"warning   {job.Unreachable}");
        }
        if (job.Progress is { } p)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"progress  {p.GlobalStep}/{p.MaxSteps} ({p.Percent:0.##}%){(p.Loss is { } l ? $", loss {l:0.####}" : "")}{(p.Elapsed is null ? "" : ", elapsed " + p.Elapsed)}{(p.Remaining is null ? "" : ", remaining " + p.Remaining)}"));
        }

        console.Out.WriteLine($"folder    {job.RemoteDir}");
        console.Out.WriteLine($"command   {job.Command}");
        if (job.ResumedFrom is not null)
        {
            console.Out.WriteLine($"resumes   {job.ResumedFrom} from {job.ResumeCheckpoint}");
        }

        foreach (var c in job.Checkpoints)
        {
            console.Out.WriteLine($"checkpoint {c}");
        }

        foreach (var e in job.LastErrorLines ?? [])
        {
            console.Out.WriteLine($"  | {e}");
        }
    }

    private static async Task<int> SubmitAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var spec = new JobSpec();
        if (args.Option("preset") is { } presetId)
        {
            spec = (JobPresets.Find(presetId) ?? throw new CliUsageException($"Unknown preset '{presetId}'. Run 'modelide finetune presets'.")).Spec;
        }

        var tuner = args.Option("tuner");
        var datasets = args.Options("dataset");
        var swiftArgs = args.Options("swift-arg");
        spec = spec with
        {
            Backend = args.Option("backend") ?? spec.Backend,
            IdentityFile = args.Option("identity") ?? spec.IdentityFile,
            Model = args.Option("model") ?? spec.Model,
            Dataset = datasets.Count > 0 ? datasets : spec.Dataset,
            Tuner = tuner is null ? spec.Tuner : tuner.ToLowerInvariant() switch
            {
                "lora" => JobTuner.Lora,
                "qlora" => JobTuner.Qlora,
                "full" => JobTuner.Full,
                _ => throw new CliUsageException($"--tuner must be lora, qlora or full, not '{tuner}'."),
            },
            MaxSteps = args.IntOption("max-steps", 1) ?? spec.MaxSteps,
            NumTrainEpochs = args.DoubleOption("epochs") ?? spec.NumTrainEpochs,
            LearningRate = args.DoubleOption("learning-rate") ?? spec.LearningRate,
            LoraRank = args.IntOption("lora-rank", 1) ?? spec.LoraRank,
            LoraAlpha = args.IntOption("lora-alpha", 1) ?? spec.LoraAlpha,
            BatchSize = args.IntOption("batch-size", 1) ?? spec.BatchSize,
            MaxLength = args.IntOption("max-length", 1) ?? spec.MaxLength,
            GpusPerNode = args.IntOption("gpus", 0) ?? spec.GpusPerNode,
            Nodes = args.IntOption("nodes", 1) ?? spec.Nodes,
            TimeLimitMinutes = args.IntOption("time", 1) ?? spec.TimeLimitMinutes,
            OutputDir = args.Option("output-dir") ?? spec.OutputDir,
            UploadDataset = args.Option("upload") ?? spec.UploadDataset,
            ExtraArgs = swiftArgs.Count > 0 ? swiftArgs : spec.ExtraArgs,
            SwiftMajorVersion = args.IntOption("swift-version", 3, 4) ?? spec.SwiftMajorVersion,
        };
        var dryRun = args.Flag("dry-run");
        var json = args.Flag("json");
        using var service = CreateService(args);
        args.EnsureNoUnknownOptions();

        if (dryRun)
        {
            var preview = JobService.Preview(spec);
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
}
