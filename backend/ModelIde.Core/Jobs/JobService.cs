using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace ModelIde.Core.Jobs;

/// <summary>What a host offers a job, asked before submitting: swift, the GPUs and their use, and warnings.</summary>
public sealed record JobHostReport(string Host, JobHostEnvironment Environment, SwiftInstallation Swift, IReadOnlyList<GpuInfo> Gpus, IReadOnlyList<string> Warnings);

public sealed record JobServiceOptions
{
    /// <summary>Folder for jobs.json and ModelIde's known_hosts.</summary>
    public string StateDirectory { get; init; } = JobStore.DefaultDirectory();

    /// <summary>The ModelScope token to hand to jobs (MODELSCOPE_API_TOKEN on the remote); null = none.</summary>
    public Func<string?> TokenProvider { get; init; } = () => null;

    /// <summary>OpenSSH known_hosts files read (never written) in addition to ModelIde's own.</summary>
    public IReadOnlyList<string> ExtraKnownHostsFiles { get; init; } = DefaultExtraKnownHosts();

    /// <summary>slurmrestd for slurm:// backends (submission, state, cancel); null = sbatch/squeue/scancel over SSH.</summary>
    public SlurmRestOptions? SlurmRest { get; init; }

    /// <summary>Longest wait to connect to a job host (DNS, TCP, SSH greeting, login); default $MODELIDE_SSH_CONNECT_TIMEOUT_SECONDS or 20 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = SshConnection.DefaultConnectTimeout;

    /// <summary>Asked at each new connection when set (the sidecar's configurable slurmrestd); wins over <see cref="SlurmRest"/>.</summary>
    public Func<SlurmRestOptions?>? SlurmRestProvider { get; init; }

    public static IReadOnlyList<string> DefaultExtraKnownHosts() =>
        [Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts")];
}

/// <summary>
/// Fine-tune jobs end to end: validate, preview, submit, follow, cancel, resume, fetch the adapter. Keeps one SSH
/// connection per backend address and the job list in <see cref="JobStore"/>. Used by the sidecar and the CLI.
/// </summary>
public sealed class JobService : IDisposable
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly JobServiceOptions _options;
    private readonly ConcurrentDictionary<string, IJobBackend> _backends = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public JobService(JobServiceOptions options)
    {
        _options = options;
        Store = new JobStore(options.StateDirectory);
        Hosts = new JobHostStore(options.StateDirectory);
        KnownHosts = new KnownHostsFile(Path.Combine(options.StateDirectory, "known_hosts"), options.ExtraKnownHostsFiles);
    }

    public JobStore Store { get; }

    /// <summary>Per-host settings: which environment to activate before swift runs there.</summary>
    public JobHostStore Hosts { get; }

    public KnownHostsFile KnownHosts { get; }

    public static string NewJobId() =>
        "ft-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>The exact command (and wrapper or batch script) a submit would run, without connecting.</summary>
    public static JobPreviewResult Preview(JobSpec spec) => Preview(spec, null);

    /// <summary>
    /// The exact argv, environment and wrapper or batch script a submit would run, without connecting; the host's saved
    /// environment is activated in the script. GPUs picked by count are marked as chosen at submit.
    /// </summary>
    public static JobPreviewResult Preview(JobSpec spec, JobHostEnvironment? hostEnvironment)
    {
        spec = JobSpecInput.Normalize(spec);
        var errors = SwiftCommandBuilder.Validate(spec);
        var major = spec.SwiftMajorVersion ?? SwiftCommandBuilder.DefaultSwiftMajorVersion;
        const string dir = "~/.modelide/jobs/JOB_ID";
        var argv = SwiftCommandBuilder.Build(spec, major, OutputDirFor(spec, dir), null, DatasetsFor(spec, dir));
        string? script = null;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var warnings = new List<string>();
        if (JobBackendAddress.TryParse(spec.Backend, out var address, out _))
        {
            var job = new JobInfo { JobId = "JOB_ID", RemoteDir = dir, Spec = spec, HostEnvironment = hostEnvironment };
            if (address!.Kind == JobBackendKind.Slurm)
            {
                script = SlurmJobBackend.BuildBatchScript(job, argv);
                env["MASTER_PORT"] = "20000 + SLURM_JOB_ID % 20000";
                if ((spec.GpusPerNode ?? 0) > 1 || (spec.Nodes ?? 1) > 1)
                {
                    env["NPROC_PER_NODE"] = Math.Max(1, spec.GpusPerNode ?? 1).ToString(CultureInfo.InvariantCulture);
                    env["NNODES"] = (spec.Nodes ?? 1).ToString(CultureInfo.InvariantCulture);
                }
            }
            else
            {
                var indices = GpuIndicesForPreview(spec);
                foreach (var (k, v) in GpuInventory.SshEnvironment(indices))
                {
                    env[k] = v;
                }

                if (spec.GpuIndices is null && (spec.GpusPerNode ?? 1) > 0)
                {
                    env["CUDA_VISIBLE_DEVICES"] = $"the {spec.GpusPerNode ?? 1} least busy GPU(s), chosen at submit";
                }

                script = SshJobBackend.BuildWrapperScript(job.JobId, dir, argv, hostEnvironment, GpuInventory.SshEnvironment(indices));
                if (env.ContainsKey("NPROC_PER_NODE"))
                {
                    env["MASTER_PORT"] = "a free port from 29500 up, found when the job starts";
                }
            }
        }

        if (spec.Tuner == JobTunerKind.Qlora && spec.BnbComputeDtype is null)
        {
            warnings.Add("QLoRA computes in the model's own dtype (ms-swift's default); pick float16 for GPUs without bfloat16 (V100, T4) if the model is bfloat16.");
        }

        return new JobPreviewResult(SwiftCommandBuilder.ToCommandLine(argv), script, errors, major) { Argv = argv, Environment = env, Warnings = warnings };
    }

    /// <summary>The host's saved environment for a backend (none when the backend is not valid yet).</summary>
    public JobHostEnvironment HostEnvironmentFor(string? backend) =>
        JobBackendAddress.TryParse(backend, out var address, out _) ? Hosts.Get(address!) : JobHostEnvironment.None;

    /// <summary>Saves the environment to activate on the backend's host (for its ssh:// and slurm:// uses alike).</summary>
    public void SetHostEnvironment(string backend, JobHostEnvironment environment) =>
        Hosts.Set(JobBackendAddress.Parse(backend), environment);

    /// <summary>
    /// Asks the host what a job would meet there: ms-swift (through the saved environment), the GPUs and their use,
    /// and warnings (bitsandbytes missing for QLoRA, chosen GPUs busy). Throws when swift is missing or unsupported.
    /// </summary>
    public async Task<JobHostReport> InspectHostAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        spec = JobSpecInput.Normalize(spec);
        var address = JobBackendAddress.Parse(spec.Backend);
        var backend = BackendFor(spec);
        var environment = Hosts.Get(address);
        var swift = await backend.DetectSwiftAsync(environment, cancellationToken).ConfigureAwait(false);
        var gpus = await backend.ListGpusAsync(cancellationToken).ConfigureAwait(false);
        var warnings = new List<string>(HostWarnings(spec, swift, address));
        if (address.Kind == JobBackendKind.Ssh && spec.GpuIndices is { Count: > 0 } chosen)
        {
            warnings.AddRange(GpuInventory.CheckChosen(gpus, chosen, address.Host));
        }

        return new JobHostReport(address.Host, environment, swift, gpus, warnings);
    }

    private static IEnumerable<string> HostWarnings(JobSpec spec, SwiftInstallation swift, JobBackendAddress address)
    {
        if (spec.Tuner == JobTunerKind.Qlora && !swift.HasBitsAndBytes)
        {
            yield return $"bitsandbytes is not installed for {swift.Python} on {address.Host}: QLoRA will fail when the model loads. Install it there ({swift.Python} -m pip install bitsandbytes) or choose LoRA.";
        }
    }

    private static IReadOnlyList<int>? GpuIndicesForPreview(JobSpec spec) =>
        spec.GpuIndices ?? ((spec.GpusPerNode ?? 1) == 0 ? [] : Enumerable.Range(0, spec.GpusPerNode ?? 1).ToArray());

    public void TrustHost(string host, int port, string fingerprint)
    {
        if (string.IsNullOrWhiteSpace(host) || port is < 1 or > 65535 || string.IsNullOrWhiteSpace(fingerprint))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "trust needs a host, a port and the SHA256 fingerprint that was shown.");
        }

        // Both become a line of the known_hosts file: checked, so that neither can add a line or a host of its own.
        if (!JobBackendAddress.IsValidHost(host))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "trust needs a host name or address (letters, digits, '.', '-', '_', ':').");
        }

        if (!KnownHostsFile.IsSha256Fingerprint(fingerprint))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "trust needs the SHA256 fingerprint as it was shown (SHA256: and 43 base64 characters).");
        }

        KnownHosts.Trust(host, port, fingerprint);
        lock (_gate)
        {
            // Connections refused before the trust must connect again.
            foreach (var key in _backends.Keys.Where(k => k.Contains("@" + host + ":" + port.ToString(CultureInfo.InvariantCulture) + "|", StringComparison.Ordinal)).ToArray())
            {
                if (_backends.TryRemove(key, out var b))
                {
                    b.Dispose();
                }
            }
        }
    }

    public async Task<JobInfo> SubmitAsync(JobSpec spec, CancellationToken cancellationToken) =>
        await SubmitCoreAsync(JobSpecInput.Normalize(spec), null, null, null, cancellationToken).ConfigureAwait(false);

    public IReadOnlyList<JobInfo> List() => Store.List().OrderByDescending(j => j.SubmittedAt).ToArray();

    /// <summary>The job with fresh state from the remote (finished jobs are answered from the store).</summary>
    public async Task<JobInfo> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = Store.Get(jobId);
        if (job.IsFinished && job.Progress is not null)
        {
            return job;
        }

        return await RefreshAsync(job, cancellationToken).ConfigureAwait(false);
    }

    public async Task<JobInfo> CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (job.IsFinished)
        {
            return job;
        }

        await BackendFor(job.Spec).CancelAsync(job, cancellationToken).ConfigureAwait(false);
        // Slurm needs a moment to move the job to CANCELLED.
        for (var i = 0; i < 50; i++)
        {
            job = await RefreshAsync(job, cancellationToken).ConfigureAwait(false);
            if (job.IsFinished)
            {
                break;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        return job;
    }

    /// <summary>Submits a new job with the same spec and <c>--resume_from_checkpoint</c> of the newest checkpoint.</summary>
    public async Task<JobInfo> ResumeAsync(string jobId, CancellationToken cancellationToken)
    {
        // Look at the host again even for a finished job: which checkpoints are complete is decided there.
        var job = await RefreshAsync(Store.Get(jobId), cancellationToken).ConfigureAwait(false);
        if (job.State is JobStateKind.Running or JobStateKind.Pending)
        {
            throw new ModelIdeException(ModelIdeErrorKind.Conflict, $"Job {jobId} is still {job.State.ToString().ToLowerInvariant()}; cancel it before resuming.");
        }

        // A resumed job that has not saved yet still resumes from the checkpoint it started from.
        var checkpoint = NewestCheckpoint(job) ?? job.ResumeCheckpoint
            ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"Job {jobId} saved no complete checkpoint to resume from (swift saves every --save_steps steps{(job.PartialCheckpoints.Count > 0 ? "; " + string.Join(", ", job.PartialCheckpoints.Select(c => c.Split('/')[^1])) + " has no trainer_state.json: the save was cut off" : "")}).");
        var outputDir = OutputDirFor(job.Spec, job.RemoteDir);
        return await SubmitCoreAsync(job.Spec, job.JobId, checkpoint, outputDir, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads a checkpoint's adapter (default: the newest checkpoint) into <paramref name="targetDir"/>; returns the local folder.</summary>
    public async Task<string> FetchAdapterAsync(string jobId, string targetDir, string? checkpoint, CancellationToken cancellationToken) =>
        (await FetchAdapterAsync(jobId, targetDir, checkpoint, null, cancellationToken).ConfigureAwait(false)).LocalDir;

    /// <summary>
    /// Downloads the adapter (or a full fine-tune's model) of a complete checkpoint, default the newest, leaving the
    /// resume-only state (optimizer, scheduler, RNG, DeepSpeed shards) on the host; progress counts bytes.
    /// </summary>
    public async Task<AdapterFetchResult> FetchAdapterAsync(string jobId, string targetDir, string? checkpoint, IProgress<AdapterFetchProgress>? progress, CancellationToken cancellationToken)
    {
        var job = await RefreshAsync(Store.Get(jobId), cancellationToken).ConfigureAwait(false);
        string remote;
        if (checkpoint is null)
        {
            remote = NewestCheckpoint(job) ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"Job {jobId} has no complete checkpoint yet.");
        }
        else
        {
            remote = job.Checkpoints.FirstOrDefault(c => c == checkpoint || c.EndsWith("/" + checkpoint.TrimEnd('/'), StringComparison.Ordinal))
                ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"Job {jobId} has no complete checkpoint '{checkpoint}' (it has: {string.Join(", ", job.Checkpoints.Select(c => c.Split('/')[^1]))}).");
        }

        return await BackendFor(job.Spec).DownloadFolderAsync(remote, targetDir, CheckpointFiles.IsAdapterFile, progress, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> LogsAsync(string jobId, int tailLines, CancellationToken cancellationToken)
    {
        var job = Store.Get(jobId);
        var lines = await BackendFor(job.Spec).TailAsync(job.RemoteDir + "/" + RemoteJobBackend.OutputLog, Math.Clamp(tailLines, 1, 100_000), cancellationToken).ConfigureAwait(false);
        return lines.Select(Diagnostics.SecretRedactor.Redact).ToArray();
    }

    /// <summary>State plus the log lines and loss points that appeared since <paramref name="cursor"/> (for watch and logs -f).</summary>
    public async Task<JobUpdate> PollAsync(string jobId, JobWatchCursor cursor, CancellationToken cancellationToken)
    {
        var job = await RefreshAsync(Store.Get(jobId), cancellationToken).ConfigureAwait(false);
        if (job.Unreachable is not null && !job.IsFinished && job.Unreachable.StartsWith(UnreachableHostPrefix, StringComparison.Ordinal))
        {
            // The host itself is out of reach: no log to read this time; the cursor stays where it was.
            return new JobUpdate(job, [], []);
        }

        var backend = BackendFor(job.Spec);
        IReadOnlyList<string> lines;
        IReadOnlyList<TrainingPoint> points = [];
        long outputOffset;
        var (loggingFile, loggingOffset) = (cursor.LoggingFile, cursor.LoggingOffset);
        try
        {
            (lines, outputOffset) = await backend.ReadNewLinesAsync(job.RemoteDir + "/" + RemoteJobBackend.OutputLog, cursor.OutputOffset, cancellationToken).ConfigureAwait(false);
            if (job.LoggingFile is { } lf)
            {
                if (loggingFile != lf)
                {
                    (loggingFile, loggingOffset) = (lf, 0);
                }

                (var logLines, loggingOffset) = await backend.ReadNewLinesAsync(lf, loggingOffset, cancellationToken).ConfigureAwait(false);
                points = TrainingLogParser.ParseLines(logLines).Points;
            }
        }
        catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.Network && !job.IsFinished)
        {
            // The link went down between the state and the log: the same as not reaching the host, and the cursor
            // stays where it was, so that the next poll reads these lines and points once.
            job = Unreachable(job, ex);
            Store.Save(job);
            return new JobUpdate(job, [], []);
        }

        // Moved only once both reads succeeded.
        cursor.OutputOffset = outputOffset;
        (cursor.LoggingFile, cursor.LoggingOffset) = (loggingFile, loggingOffset);
        return new JobUpdate(job, lines.Select(Diagnostics.SecretRedactor.Redact).ToArray(), points);
    }

    private static JobInfo Unreachable(JobInfo job, ModelIdeException ex) =>
        job with { Unreachable = $"{UnreachableHostPrefix}: {ex.Message} Will retry; last known state: {job.State.ToString().ToLowerInvariant()}." };

    /// <summary>Closes every connection; the next call connects again with the current settings.</summary>
    public void ForgetConnections()
    {
        lock (_gate)
        {
            foreach (var key in _backends.Keys.ToArray())
            {
                if (_backends.TryRemove(key, out var b))
                {
                    b.Dispose();
                }
            }
        }
    }

    public void Dispose() => ForgetConnections();

    /// <summary>How <see cref="JobInfo.Unreachable"/> starts when the job's host could not be reached at all.</summary>
    public const string UnreachableHostPrefix = "Host unreachable";

    internal static string? NewestCheckpoint(JobInfo job) =>
        job.Checkpoints.OrderBy(c => int.TryParse(c.Split('/')[^1].Replace("checkpoint-", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1).LastOrDefault();

    private static string OutputDirFor(JobSpec spec, string remoteDir)
    {
        var o = spec.OutputDir?.Trim();
        if (string.IsNullOrEmpty(o))
        {
            return remoteDir + "/output";
        }

        return o.StartsWith('/') || o.StartsWith('~') ? o : remoteDir + "/" + o;
    }

    private static IReadOnlyList<string> DatasetsFor(JobSpec spec, string remoteDir)
    {
        var list = SwiftCommandBuilder.DatasetsOf(spec).ToList();
        if (spec.UploadDataset is { } up)
        {
            list.Add(remoteDir + "/data/" + Path.GetFileName(up));
        }

        return list;
    }

    private async Task<JobInfo> SubmitCoreAsync(JobSpec spec, string? resumedFrom, string? checkpoint, string? outputDir, CancellationToken cancellationToken)
    {
        SwiftCommandBuilder.EnsureValid(spec);
        var address = JobBackendAddress.Parse(spec.Backend);
        var backend = BackendFor(spec);
        var environment = Hosts.Get(address);
        var swift = await backend.DetectSwiftAsync(environment, cancellationToken).ConfigureAwait(false);
        var major = swift.Major;
        var warnings = HostWarnings(spec, swift, address).ToList();
        IReadOnlyList<int>? gpuIndices = null;
        if (address.Kind == JobBackendKind.Ssh)
        {
            // Every SSH job names its GPUs: without CUDA_VISIBLE_DEVICES one process would take all of them.
            var gpus = spec.GpusPerNode == 0 && spec.GpuIndices is null ? [] : await backend.ListGpusAsync(cancellationToken).ConfigureAwait(false);
            if (spec.GpuIndices is { } chosen)
            {
                warnings.AddRange(GpuInventory.CheckChosen(gpus, chosen, address.Host));
                gpuIndices = chosen;
            }
            else if (gpus.Count > 0 || spec.GpusPerNode == 0)
            {
                gpuIndices = GpuInventory.PickLeastBusy(gpus, spec.GpusPerNode ?? 1, address.Host);
            }
            else
            {
                warnings.Add($"nvidia-smi lists no GPU on {address.Host}: the job runs without CUDA_VISIBLE_DEVICES.");
            }
        }

        var jobId = NewJobId();
        var dir = await backend.GetJobDirectoryAsync(jobId, cancellationToken).ConfigureAwait(false);
        var argv = SwiftCommandBuilder.Build(spec, major, outputDir ?? OutputDirFor(spec, dir), checkpoint, DatasetsFor(spec, dir));
        var job = new JobInfo
        {
            JobId = jobId,
            Backend = JobBackendAddress.Parse(spec.Backend).ToString(),
            State = JobStateKind.Pending,
            RemoteDir = dir,
            Command = SwiftCommandBuilder.ToCommandLine(argv),
            SubmittedAt = DateTimeOffset.UtcNow,
            Spec = spec,
            SwiftMajorVersion = major,
            SwiftVersion = swift.Version,
            ResumedFrom = resumedFrom,
            ResumeCheckpoint = checkpoint,
            GpuIndices = gpuIndices,
            Environment = address.Kind == JobBackendKind.Ssh ? GpuInventory.SshEnvironment(gpuIndices) : null,
            HostEnvironment = environment.Kind == JobHostEnvironmentKind.None ? null : environment,
            Warnings = warnings,
        };
        var token = _options.TokenProvider();
        Diagnostics.SecretRedactor.AddKnownSecret(token);
        if (spec.UploadDataset is not null)
        {
            job = await SubmitWithUploadAsync(backend, job, argv, token, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            job = await backend.SubmitAsync(job, argv, token, cancellationToken).ConfigureAwait(false);
        }

        Store.Save(job);
        return job;
    }

    private static async Task<JobInfo> SubmitWithUploadAsync(IJobBackend backend, JobInfo job, IReadOnlyList<string> argv, string? token, CancellationToken cancellationToken)
    {
        // The job folder must exist before the upload; the backend's submit creates it again harmlessly.
        var mk = backend as RemoteJobBackend;
        if (mk is not null)
        {
            await mk.PrepareFolderAsync(job.RemoteDir, cancellationToken).ConfigureAwait(false);
        }

        await backend.UploadFileAsync(job.Spec.UploadDataset!, job.RemoteDir + "/data/" + Path.GetFileName(job.Spec.UploadDataset!), cancellationToken).ConfigureAwait(false);
        return await backend.SubmitAsync(job, argv, token, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JobInfo> RefreshAsync(JobInfo job, CancellationToken cancellationToken)
    {
        JobInfo fresh;
        try
        {
            fresh = await BackendFor(job.Spec).RefreshAsync(job with { Unreachable = null }, cancellationToken).ConfigureAwait(false);
            if (fresh.IsFinished && !job.IsFinished)
            {
                // The scheduler is asked after the log is read: a job that ended in between gets its last rows read now,
                // since a finished job is answered from the store from then on.
                fresh = await BackendFor(job.Spec).RefreshAsync(fresh, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.Network)
        {
            // The host (or the link to it) is down, not the job: keep the last state seen and say that we retry.
            fresh = Unreachable(job, ex);
        }

        if (fresh != job)
        {
            Store.Save(fresh);
        }

        return fresh;
    }

    private IJobBackend BackendFor(JobSpec spec)
    {
        var address = JobBackendAddress.Parse(spec.Backend);
        var key = $"{address.Kind}:{address.User}@{address.Host}:{address.Port.ToString(CultureInfo.InvariantCulture)}|{spec.IdentityFile}";
        lock (_gate)
        {
            return _backends.GetOrAdd(key, _ =>
            {
                var connection = new SshConnection(address, spec.IdentityFile, KnownHosts) { ConnectTimeout = _options.ConnectTimeout };
                if (address.Kind == JobBackendKind.Ssh)
                {
                    return new SshJobBackend(connection);
                }

                var restOptions = _options.SlurmRestProvider is { } provider ? provider() : _options.SlurmRest;
                return new SlurmJobBackend(connection, restOptions is { } r ? new SlurmRestClient(s_http, r) : null);
            });
        }
    }
}
