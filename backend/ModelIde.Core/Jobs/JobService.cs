using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace ModelIde.Core.Jobs;

public sealed record JobPreview(string Command, string? Script, IReadOnlyList<JobSpecError> Errors, int SwiftMajorVersion);

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
        KnownHosts = new KnownHostsFile(Path.Combine(options.StateDirectory, "known_hosts"), options.ExtraKnownHostsFiles);
    }

    public JobStore Store { get; }

    public KnownHostsFile KnownHosts { get; }

    public static string NewJobId() =>
        "ft-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>The exact command (and wrapper or batch script) a submit would run, without connecting.</summary>
    public static JobPreview Preview(JobSpec spec)
    {
        var errors = SwiftCommandBuilder.Validate(spec);
        var major = spec.SwiftMajorVersion ?? SwiftCommandBuilder.DefaultSwiftMajorVersion;
        const string dir = "~/.modelide/jobs/JOB_ID";
        var argv = SwiftCommandBuilder.Build(spec, major, OutputDirFor(spec, dir), null, DatasetsFor(spec, dir));
        string? script = null;
        if (JobBackendAddress.TryParse(spec.Backend, out var address, out _))
        {
            var job = new JobInfo { JobId = "JOB_ID", RemoteDir = dir, Spec = spec };
            script = address!.Kind == JobBackendKind.Slurm
                ? SlurmJobBackend.BuildBatchScript(job, argv)
                : SshJobBackend.BuildWrapperScript(job.JobId, dir, argv);
        }

        return new JobPreview(SwiftCommandBuilder.ToCommandLine(argv), script, errors, major);
    }

    public void TrustHost(string host, int port, string fingerprint)
    {
        if (string.IsNullOrWhiteSpace(host) || port is < 1 or > 65535 || string.IsNullOrWhiteSpace(fingerprint))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "trust needs a host, a port and the SHA256 fingerprint that was shown.");
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
        await SubmitCoreAsync(spec, null, null, null, cancellationToken).ConfigureAwait(false);

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
        var job = await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (job.State is JobState.Running or JobState.Pending)
        {
            throw new ModelIdeException(ModelIdeErrorKind.Conflict, $"Job {jobId} is still {job.State.ToString().ToLowerInvariant()}; cancel it before resuming.");
        }

        var checkpoint = NewestCheckpoint(job)
            ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"Job {jobId} saved no checkpoint to resume from (swift saves every --save_steps steps).");
        var outputDir = OutputDirFor(job.Spec, job.RemoteDir);
        return await SubmitCoreAsync(job.Spec, job.JobId, checkpoint, outputDir, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads a checkpoint (default: the newest) into <paramref name="targetDir"/>; returns the local folder.</summary>
    public async Task<string> FetchAdapterAsync(string jobId, string targetDir, string? checkpoint, CancellationToken cancellationToken)
    {
        var job = await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        string remote;
        if (checkpoint is null)
        {
            remote = NewestCheckpoint(job) ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"Job {jobId} has no checkpoint yet.");
        }
        else
        {
            remote = job.Checkpoints.FirstOrDefault(c => c == checkpoint || c.EndsWith("/" + checkpoint.TrimEnd('/'), StringComparison.Ordinal))
                ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound, $"Job {jobId} has no checkpoint '{checkpoint}' (it has: {string.Join(", ", job.Checkpoints.Select(c => c.Split('/')[^1]))}).");
        }

        return await BackendFor(job.Spec).DownloadFolderAsync(remote, targetDir, cancellationToken).ConfigureAwait(false);
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
        var (lines, next) = await backend.ReadNewLinesAsync(job.RemoteDir + "/" + RemoteJobBackend.OutputLog, cursor.OutputOffset, cancellationToken).ConfigureAwait(false);
        cursor.OutputOffset = next;
        IReadOnlyList<TrainingPoint> points = [];
        if (job.LoggingFile is { } lf)
        {
            if (cursor.LoggingFile != lf)
            {
                cursor.LoggingFile = lf;
                cursor.LoggingOffset = 0;
            }

            var (logLines, logNext) = await backend.ReadNewLinesAsync(lf, cursor.LoggingOffset, cancellationToken).ConfigureAwait(false);
            cursor.LoggingOffset = logNext;
            points = TrainingLogParser.ParseLines(logLines).Points;
        }

        return new JobUpdate(job, lines.Select(Diagnostics.SecretRedactor.Redact).ToArray(), points);
    }

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
        var list = spec.Dataset.Where(d => !string.IsNullOrWhiteSpace(d)).ToList();
        if (spec.UploadDataset is { } up)
        {
            list.Add(remoteDir + "/data/" + Path.GetFileName(up));
        }

        return list;
    }

    private async Task<JobInfo> SubmitCoreAsync(JobSpec spec, string? resumedFrom, string? checkpoint, string? outputDir, CancellationToken cancellationToken)
    {
        SwiftCommandBuilder.EnsureValid(spec);
        var backend = BackendFor(spec);
        var major = await backend.DetectSwiftMajorVersionAsync(cancellationToken).ConfigureAwait(false);
        var jobId = NewJobId();
        var dir = await backend.GetJobDirectoryAsync(jobId, cancellationToken).ConfigureAwait(false);
        var argv = SwiftCommandBuilder.Build(spec, major, outputDir ?? OutputDirFor(spec, dir), checkpoint, DatasetsFor(spec, dir));
        var job = new JobInfo
        {
            JobId = jobId,
            Backend = JobBackendAddress.Parse(spec.Backend).ToString(),
            State = JobState.Pending,
            RemoteDir = dir,
            Command = SwiftCommandBuilder.ToCommandLine(argv),
            SubmittedAt = DateTimeOffset.UtcNow,
            Spec = spec,
            SwiftMajorVersion = major,
            ResumedFrom = resumedFrom,
            ResumeCheckpoint = checkpoint,
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
        }
        catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.Network)
        {
            // The host (or the link to it) is down, not the job: keep the last state seen and say that we retry.
            fresh = job with { Unreachable = $"{UnreachableHostPrefix}: {ex.Message} Will retry; last known state: {job.State.ToString().ToLowerInvariant()}." };
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
