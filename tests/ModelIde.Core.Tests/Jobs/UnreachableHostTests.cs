using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ModelIde.Core.Jobs;
using Xunit.Abstractions;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>
/// Job hosts that cannot be reached: nothing listening, a port that never answers the SSH greeting, a name that does
/// not resolve, and the host of a running job going away and coming back (a relay in front of the test sshd).
/// </summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class UnreachableHostTests(RemoteJobServers servers, ITestOutputHelper output)
{
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(2);

    private JobSpec Spec(string host, int port, int maxSteps = 3) => new()
    {
        Backend = $"ssh://{servers.User}@{host}:{port}",
        IdentityFile = servers.Key,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        Tuner = JobTunerKind.Lora,
        MaxSteps = maxSteps,
        ExtraArgs = ["--logging_steps", "1"],
    };

    /// <summary>The short timeout is for the hosts that never answer; a job that runs gets the product's default, since
    /// under a loaded CI machine sshd may take more than 2 s to open a channel (which that timeout also bounds).</summary>
    private JobService Service(string state, TimeSpan? connectTimeout = null) => new(new JobServiceOptions
    {
        StateDirectory = state,
        ExtraKnownHostsFiles = [servers.KnownHosts],
        ConnectTimeout = connectTimeout ?? s_connectTimeout,
    });

    [Fact]
    public async Task Submit_to_a_port_with_nothing_listening_fails_as_refused_and_leaves_no_job()
    {
        var port = TcpRelay.ClosedPort();
        var ex = await SubmitFailsAsync("127.0.0.1", port);
        Assert.Equal("ConnectionRefused", ex.ServerCode);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        Assert.Contains("connection refused", ex.Message);
    }

    [Fact]
    public async Task Submit_to_a_port_that_never_sends_the_ssh_greeting_times_out_at_the_configured_timeout()
    {
        // A listener that never accepts: the kernel completes the TCP handshake, no SSH banner ever comes.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(1);
        try
        {
            var port = ((IPEndPoint)silent.LocalEndpoint).Port;
            var sw = Stopwatch.StartNew();
            var ex = await SubmitFailsAsync("127.0.0.1", port);
            output.WriteLine($"silent port: failed after {sw.Elapsed.TotalSeconds:0.00} s (connect timeout {s_connectTimeout.TotalSeconds} s): {ex.Message}");
            Assert.Equal("ConnectTimeout", ex.ServerCode);
            Assert.Contains($"127.0.0.1:{port}", ex.Message);
            Assert.Contains("timed out after 2 s", ex.Message);
            // The configured 2 s governs, not the 20 s default (a wide margin: this is not a speed check).
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public async Task Submit_to_a_host_name_that_does_not_resolve_fails_as_not_resolved()
    {
        const string host = "modelide-no-such-host.invalid"; // .invalid never resolves (RFC 6761)
        var ex = await SubmitFailsAsync(host, 2222);
        Assert.Equal("HostNotFound", ex.ServerCode);
        Assert.Contains($"{host}:2222", ex.Message);
        Assert.Contains("could not be resolved", ex.Message);
    }

    [Fact]
    public async Task Host_key_probe_names_the_cause_for_each_unreachable_host()
    {
        // The probe behind 'modelide jobs trust-host' (the CLI's connection test) fails the same clear way.
        var closed = TcpRelay.ClosedPort();
        var refused = await Assert.ThrowsAsync<ModelIdeException>(() => SshConnection.ProbeHostKeyAsync("127.0.0.1", closed, CancellationToken.None, s_connectTimeout));
        Assert.Equal((ModelIdeErrorKind.Network, "ConnectionRefused"), (refused.Kind, refused.ServerCode));
        Assert.Contains($"127.0.0.1:{closed}", refused.Message);

        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(1);
        try
        {
            var port = ((IPEndPoint)silent.LocalEndpoint).Port;
            var timedOut = await Assert.ThrowsAsync<ModelIdeException>(() => SshConnection.ProbeHostKeyAsync("127.0.0.1", port, CancellationToken.None, s_connectTimeout));
            Assert.Equal((ModelIdeErrorKind.Network, "ConnectTimeout"), (timedOut.Kind, timedOut.ServerCode));
        }
        finally
        {
            silent.Stop();
        }

        var unresolved = await Assert.ThrowsAsync<ModelIdeException>(() => SshConnection.ProbeHostKeyAsync("modelide-no-such-host.invalid", 22, CancellationToken.None, s_connectTimeout));
        Assert.Equal((ModelIdeErrorKind.Network, "HostNotFound"), (unresolved.Kind, unresolved.ServerCode));

        // And the real sshd still answers with its fingerprint.
        Assert.Equal(servers.Fingerprint, (await SshConnection.ProbeHostKeyAsync(servers.Host, servers.Port, CancellationToken.None, s_connectTimeout)).Fingerprint);
    }

    [Fact]
    public async Task Running_job_whose_host_goes_away_shows_unreachable_and_is_followed_to_its_end_when_it_returns()
    {
        using var relay = new TcpRelay(servers.Host, servers.Port);
        var state = JobWait.TempDir();
        using var service = Service(state, SshConnection.DefaultConnectTimeout);
        service.TrustHost("127.0.0.1", relay.Port, servers.Fingerprint);
        var job = await service.SubmitAsync(Spec("127.0.0.1", relay.Port, maxSteps: 40), CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.Progress is not null || j.IsFinished);
        Assert.Equal(JobStateKind.Running, job.State);

        var cursor = new JobWatchCursor();
        var points = new List<TrainingPoint>();
        points.AddRange((await service.PollAsync(job.JobId, cursor, CancellationToken.None)).NewPoints);

        relay.Stop();
        // The first look finds the session cut, the next one cannot connect: both keep the job running.
        var cut = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
        var refused = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
        foreach (var u in new[] { cut, refused })
        {
            Assert.Equal(JobStateKind.Running, u.Job.State);
            Assert.StartsWith(JobService.UnreachableHostPrefix, u.Job.Unreachable);
            Assert.Contains("Will retry; last known state: running.", u.Job.Unreachable);
            Assert.Empty(u.NewLogLines);
        }

        Assert.Contains($"127.0.0.1:{relay.Port}: connection refused", refused.Job.Unreachable);
        // What the list (and so the Jobs view after a restart) shows: running, with the warning; a fresh look says the same.
        Assert.Equal((JobStateKind.Running, refused.Job.Unreachable), service.List().Select(j => (j.State, j.Unreachable)).Single());
        using (var restarted = Service(state, SshConnection.DefaultConnectTimeout))
        {
            var seen = await restarted.GetAsync(job.JobId, CancellationToken.None);
            Assert.Equal(JobStateKind.Running, seen.State);
            Assert.Contains("connection refused", seen.Unreachable);
        }

        relay.Start();
        var update = await FollowToEndAsync(service, job.JobId, cursor, points);

        Assert.Equal(JobStateKind.Completed, update.Job.State);
        Assert.Null(update.Job.Unreachable);
        Assert.Null(service.List().Single().Unreachable);
        // Nothing written while the host was away is lost: every step's point arrives once.
        Assert.Equal(Enumerable.Range(1, 40), points.Select(p => p.Step));
    }

    [Fact]
    public async Task Running_job_whose_host_goes_silent_shows_unreachable_within_the_connect_timeout_and_loses_nothing()
    {
        // No reset, no answer: a dropped VPN or a suspended laptop. The poll must not wait out the 2-minute command
        // timeout on the old session, nor throw; it says unreachable after the connect timeout and connects afresh.
        var timeout = TimeSpan.FromSeconds(5);
        using var relay = new TcpRelay(servers.Host, servers.Port);
        using var service = Service(JobWait.TempDir(), timeout);
        service.TrustHost("127.0.0.1", relay.Port, servers.Fingerprint);
        var job = await service.SubmitAsync(Spec("127.0.0.1", relay.Port, maxSteps: 40), CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.Progress is not null || j.IsFinished);
        Assert.Equal(JobStateKind.Running, job.State);
        var cursor = new JobWatchCursor();
        var points = new List<TrainingPoint>((await service.PollAsync(job.JobId, cursor, CancellationToken.None)).NewPoints);

        relay.Silence();
        var sw = Stopwatch.StartNew();
        // The session still open stops answering; then a new connection gets no SSH greeting.
        var stalled = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
        var stalledAfter = sw.Elapsed;
        var noGreeting = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
        output.WriteLine($"silent host: {stalledAfter.TotalSeconds:0.0} s, then {(sw.Elapsed - stalledAfter).TotalSeconds:0.0} s (connect timeout {timeout.TotalSeconds} s): {stalled.Job.Unreachable} | {noGreeting.Job.Unreachable}");
        foreach (var u in new[] { stalled, noGreeting })
        {
            Assert.Equal(JobStateKind.Running, u.Job.State);
            Assert.StartsWith(JobService.UnreachableHostPrefix, u.Job.Unreachable);
            Assert.Contains("Will retry; last known state: running.", u.Job.Unreachable);
            Assert.Empty(u.NewLogLines);
            Assert.Empty(u.NewPoints);
        }

        Assert.Contains($"127.0.0.1:{relay.Port} stopped answering: the server did not reply within 5 s", stalled.Job.Unreachable);
        Assert.Contains($"127.0.0.1:{relay.Port}: timed out after 5 s without an SSH greeting", noGreeting.Job.Unreachable);
        // Each look is bounded by the connect timeout, not by the 120 s command timeout (a wide margin: not a speed check).
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(100), $"took {sw.Elapsed}");

        relay.Resume();
        var update = await FollowToEndAsync(service, job.JobId, cursor, points);

        Assert.Equal(JobStateKind.Completed, update.Job.State);
        Assert.Null(update.Job.Unreachable);
        Assert.Equal(Enumerable.Range(1, 40), points.Select(p => p.Step));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Adapter_fetch_whose_link_drops_mid_file_fails_as_a_network_error_and_the_next_fetch_is_whole(bool silent)
    {
        // A cut link (reset) or a silent one (no answer) while a 48 MiB adapter file comes over SFTP.
        var timeout = TimeSpan.FromSeconds(5);
        using var relay = new TcpRelay(servers.Host, servers.Port);
        var state = JobWait.TempDir();
        using var service = Service(state, timeout);
        service.TrustHost("127.0.0.1", relay.Port, servers.Fingerprint);
        var job = await service.SubmitAsync(Spec("127.0.0.1", relay.Port), CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        var remoteFile = job.Checkpoints[^1] + "/adapter_model.safetensors";
        var remoteSha = (await servers.RunAsync($"head -c 50331648 /dev/urandom > {PosixShell.Quote(remoteFile)} && sha256sum {PosixShell.Quote(remoteFile)}")).Split(' ')[0];

        var target = Path.Combine(state, "adapter");
        var cutAt = -1L;
        var progress = new SyncProgress<AdapterFetchProgress>(p =>
        {
            if (cutAt < 0 && p.File == "adapter_model.safetensors" && p.BytesDone > 8 << 20)
            {
                cutAt = p.BytesDone;
                if (silent)
                {
                    relay.Silence();
                }
                else
                {
                    relay.Stop();
                }
            }
        });
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => service.FetchAdapterAsync(job.JobId, target, null, progress, CancellationToken.None));
        output.WriteLine($"{(silent ? "silenced" : "cut")} at {cutAt:N0} B; failed after {sw.Elapsed.TotalSeconds:0.0} s: {ex.ServerCode}: {ex.Message}");
        Assert.True(cutAt > 0, "the fetch never reached the cut");
        Assert.Equal(ModelIdeErrorKind.Network, ex.Kind);
        Assert.Equal(silent ? "SessionTimeout" : "ConnectionLost", ex.ServerCode);
        Assert.Contains($"127.0.0.1:{relay.Port}", ex.Message);
        // Nothing that looks finished: the adapter file is absent, not 8 MiB of it under its own name.
        var local = Path.Combine(target, job.Checkpoints[^1].Split('/')[^1], "adapter_model.safetensors");
        Assert.False(File.Exists(local), $"{local} exists after a failed fetch");

        relay.Resume();
        relay.Start();
        var done = await service.FetchAdapterAsync(job.JobId, target, null, null, CancellationToken.None);
        await using var fetched = File.OpenRead(Path.Combine(done.LocalDir, "adapter_model.safetensors"));
        Assert.Equal(remoteSha, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(fetched)));
    }

    /// <summary>Reports on the caller's thread, at once (Progress&lt;T&gt; posts to the thread pool, too late to cut mid-file).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Polls as the Jobs view does until the job ends (never failed on the way), collecting its points.</summary>
    private static async Task<JobUpdate> FollowToEndAsync(JobService service, string jobId, JobWatchCursor cursor, List<TrainingPoint> points)
    {
        JobUpdate update;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            update = await service.PollAsync(jobId, cursor, CancellationToken.None);
            points.AddRange(update.NewPoints);
            Assert.NotEqual(JobStateKind.Failed, update.Job.State);
            await Task.Delay(300);
        }
        while (!update.Job.IsFinished && DateTime.UtcNow < deadline);
        points.AddRange((await service.PollAsync(jobId, cursor, CancellationToken.None)).NewPoints);
        return update;
    }

    private async Task<ModelIdeException> SubmitFailsAsync(string host, int port)
    {
        var state = JobWait.TempDir();
        using var service = Service(state);
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => service.SubmitAsync(Spec(host, port), CancellationToken.None));
        output.WriteLine(ex.Message);
        Assert.Equal(ModelIdeErrorKind.Network, ex.Kind);
        Assert.Empty(service.List());
        Assert.False(File.Exists(service.Store.FilePath), "a failed submit must not write the job list");
        return ex;
    }
}
