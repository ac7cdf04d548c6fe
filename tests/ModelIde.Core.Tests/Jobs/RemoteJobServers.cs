using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>
/// The real sshd (127.0.0.1:2222, user jobuser, stand-in swift) and single-node Slurm the job tests run against.
/// Reads MODELIDE_SSH_* / MODELIDE_SLURM_* exported by scripts/setup/20-ssh.sh and 21-slurm.sh; when they are absent
/// (dotnet test run by hand) it runs those scripts itself, and fails if they fail: no test passes without the servers.
/// </summary>
public sealed class RemoteJobServers : IDisposable
{
    public RemoteJobServers()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "MODELIDE_SSH_VAL_DATASET", "MODELIDE_SSH_HOST", "MODELIDE_SSH_PORT", "MODELIDE_SSH_USER", "MODELIDE_SSH_KEY", "MODELIDE_SSH_KNOWN_HOSTS", "MODELIDE_SSH_HOST_FINGERPRINT", "MODELIDE_SSH_DATASET", "MODELIDE_SLURM_HOST", "MODELIDE_SLURM_PORT", "MODELIDE_SLURM_USER", "MODELIDE_SLURM_KEY", "MODELIDE_SLURM_REST_URL", "MODELIDE_SLURM_JWT_FILE" })
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } v)
            {
                env[name] = v;
            }
        }

        if (!env.ContainsKey("MODELIDE_SSH_HOST") || !env.ContainsKey("MODELIDE_SLURM_HOST"))
        {
            foreach (var (k, v) in ModelIde.TestSupport.TestServers.RunSetupScripts())
            {
                env[k] = v;
            }
        }

        string Need(string name) => env.TryGetValue(name, out var v) ? v : throw new InvalidOperationException($"{name} missing after the setup scripts ran.");
        Host = Need("MODELIDE_SSH_HOST");
        Port = int.Parse(Need("MODELIDE_SSH_PORT"), System.Globalization.CultureInfo.InvariantCulture);
        User = Need("MODELIDE_SSH_USER");
        Key = Need("MODELIDE_SSH_KEY");
        KnownHosts = Need("MODELIDE_SSH_KNOWN_HOSTS");
        Fingerprint = Need("MODELIDE_SSH_HOST_FINGERPRINT");
        Dataset = Need("MODELIDE_SSH_DATASET");
        ValDataset = env.TryGetValue("MODELIDE_SSH_VAL_DATASET", out var val) ? val : Path.GetDirectoryName(Dataset) + "/val.jsonl";
        SlurmBackend = $"slurm://{Need("MODELIDE_SLURM_USER")}@{Need("MODELIDE_SLURM_HOST")}:{Need("MODELIDE_SLURM_PORT")}";
        SlurmKey = Need("MODELIDE_SLURM_KEY");
        SlurmUser = Need("MODELIDE_SLURM_USER");
        SlurmRestUrl = new Uri(Need("MODELIDE_SLURM_REST_URL").TrimEnd('/') + "/");
        SlurmJwtFile = Need("MODELIDE_SLURM_JWT_FILE");
        Remote = new SshConnection(JobBackendAddress.Parse(SshBackend), Key, new KnownHostsFile(KnownHosts));
        // Fast stand-in steps keep the suite short; version 4 unless a test switches it.
        // The model-loading delay stays (0.3 s), so that tests see a job before swift announces its logging file.
        RunAsync("mkdir -p ~/.config/modelide-swift-standin && echo 0.2 > ~/.config/modelide-swift-standin/step_seconds && echo 0.3 > ~/.config/modelide-swift-standin/load_seconds && modelide-swift-standin-version 4.5.1").GetAwaiter().GetResult();
    }

    public string Host { get; }

    public int Port { get; }

    public string User { get; }

    public string Key { get; }

    public string KnownHosts { get; }

    public string Fingerprint { get; }

    public string Dataset { get; }

    public string ValDataset { get; }

    public string SshBackend => $"ssh://{User}@{Host}:{Port}";

    public string SlurmBackend { get; }

    public string SlurmKey { get; }

    public string SlurmUser { get; }

    public Uri SlurmRestUrl { get; }

    public string SlurmJwtFile { get; }

    /// <summary>A shell on the remote as the job user, for what the tests check or break there.</summary>
    public SshConnection Remote { get; }

    /// <summary>The args.json the stand-in swift wrote for a job (what it saw: argv, environment, interpreter).</summary>
    public async Task<System.Text.Json.JsonElement> StandInArgsAsync(JobInfo job)
    {
        var text = await RunAsync($"cat {PosixShell.Quote(job.LoggingFile!.Replace("logging.jsonl", "args.json", StringComparison.Ordinal))}");
        return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<string> RunAsync(string command)
    {
        var r = await Remote.RunAsync("bash -lc " + PosixShell.Quote(command), null, CancellationToken.None);
        return r.Stdout;
    }

    public JobService NewService(string stateDir, string? token = null, bool trustHost = true, SlurmRestOptions? rest = null) =>
        new(new JobServiceOptions
        {
            StateDirectory = stateDir,
            TokenProvider = () => token,
            ExtraKnownHostsFiles = trustHost ? [KnownHosts] : [],
            SlurmRest = rest,
        });

    public SlurmRestOptions RestOptions(string? token = null) =>
        new(SlurmRestUrl, SlurmUser, token ?? File.ReadAllText(SlurmJwtFile).Trim());

    public void Dispose() => Remote.Dispose();

    /// <summary>The checkout these tests were built from (for scripts/).</summary>
    public static string RepoRoot()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "ModelIde.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        return root ?? throw new InvalidOperationException("Cannot find the repository root (ModelIde.sln) to run scripts/.");
    }
}

[CollectionDefinition(Name)]
public sealed class RemoteJobsCollection : ICollectionFixture<RemoteJobServers>
{
    public const string Name = "RemoteJobs";
}

internal static class JobWait
{
    public static async Task<JobInfo> UntilAsync(JobService service, string jobId, Func<JobInfo, bool> done, int timeoutSeconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JobInfo job;
        while (true)
        {
            job = await service.GetAsync(jobId, CancellationToken.None);
            if (done(job))
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Job {jobId} did not reach the expected state; last: {job.State} {job.Reason} {job.Progress}");
            }

            await Task.Delay(250);
        }
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "modelide-jobs-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
