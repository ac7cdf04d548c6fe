using System.Globalization;
using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>Checkpoints on the real sshd: only complete ones are resumed from or fetched, and a fetch brings the adapter only.</summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class CheckpointResumeTests(RemoteJobServers servers)
{
    private JobSpec Spec(int maxSteps) => new()
    {
        Backend = servers.SshBackend,
        IdentityFile = servers.Key,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        MaxSteps = maxSteps,
        SaveSteps = 3,
        SaveTotalLimit = 5,
        ExtraArgs = ["--logging_steps", "1"],
    };

    private static int Step(string checkpoint) => int.Parse(checkpoint.Split('-')[^1], CultureInfo.InvariantCulture);

    [Fact]
    public async Task Resume_skips_a_checkpoint_cut_off_during_its_save_and_a_resumed_job_that_saved_nothing_resumes_where_it_started()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(60), CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.Checkpoints.Count >= 2 || j.IsFinished);
        job = await service.CancelAsync(job.JobId, CancellationToken.None);
        Assert.Equal(JobStateKind.Cancelled, job.State);
        var newestComplete = job.Checkpoints[^1];

        // What a SIGTERM in the middle of a save leaves: a newer folder with the adapter but no trainer_state.json.
        var cut = newestComplete[..newestComplete.LastIndexOf('-')] + "-" + (Step(newestComplete) + 3).ToString(CultureInfo.InvariantCulture);
        await servers.RunAsync($"mkdir -p {PosixShell.Quote(cut)} && head -c 4096 /dev/zero > {PosixShell.Quote(cut)}/adapter_model.safetensors");
        var resumed = await service.ResumeAsync(job.JobId, CancellationToken.None);
        Assert.Equal(newestComplete, resumed.ResumeCheckpoint);
        job = service.Store.Get(job.JobId);  // as the resume saw it on the host
        Assert.Equal([cut], job.PartialCheckpoints);
        Assert.Equal(newestComplete, job.Checkpoints[^1]);
        Assert.Contains("--save_steps 3 --save_total_limit 5", resumed.Command);

        await service.CancelAsync(resumed.JobId, CancellationToken.None);

        // A resumed job cancelled before its first save (a slow model load holds it) has no checkpoint of its own.
        JobInfo slow;
        await servers.RunAsync("echo 6 > ~/.config/modelide-swift-standin/load_seconds");
        try
        {
            slow = await service.ResumeAsync(job.JobId, CancellationToken.None);
            slow = await service.CancelAsync(slow.JobId, CancellationToken.None);
        }
        finally
        {
            await servers.RunAsync("echo 0.3 > ~/.config/modelide-swift-standin/load_seconds");
        }

        Assert.Equal(JobStateKind.Cancelled, slow.State);
        Assert.Empty(slow.Checkpoints);
        var again = await service.ResumeAsync(slow.JobId, CancellationToken.None);
        Assert.Equal(newestComplete, again.ResumeCheckpoint);
        await JobWait.UntilAsync(service, again.JobId, j => j.Progress is not null || j.IsFinished);
        var update = await service.PollAsync(again.JobId, new JobWatchCursor(), CancellationToken.None);
        Assert.Equal(Step(newestComplete) + 1, update.NewPoints[0].Step);
        await service.CancelAsync(again.JobId, CancellationToken.None);
    }

    [Fact]
    public async Task Fetch_adapter_brings_only_the_adapter_and_counts_its_bytes()
    {
        var state = JobWait.TempDir();
        using var service = servers.NewService(state);
        var job = await service.SubmitAsync(Spec(3) with { ExtraArgs = ["--logging_steps", "1", "--deepspeed", "zero2"] }, CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);

        var reports = new List<AdapterFetchProgress>();
        var result = await service.FetchAdapterAsync(job.JobId, Path.Combine(state, "adapters"), null, new SyncProgress<AdapterFetchProgress>(reports.Add), CancellationToken.None);

        Assert.Equal(["README.md", "adapter_config.json", "adapter_model.safetensors", "additional_config.json", "args.json"], result.Files.Order(StringComparer.Ordinal));
        var local = Directory.GetFiles(result.LocalDir, "*", SearchOption.AllDirectories);
        Assert.Equal(result.Files.Count, local.Length);
        Assert.Equal(local.Sum(f => new FileInfo(f).Length), result.Bytes);
        Assert.Equal(64 * 1024, new FileInfo(Path.Combine(result.LocalDir, "adapter_model.safetensors")).Length);
        Assert.Contains("global_step3/", result.Skipped);
        Assert.Contains("trainer_state.json", result.Skipped);
        Assert.Contains("rng_state.pth", result.Skipped);
        var remoteTotal = long.Parse((await servers.RunAsync($"du -sb --apparent-size {PosixShell.Quote(job.Checkpoints[^1])} | cut -f1")).Trim(), CultureInfo.InvariantCulture);
        Assert.True(result.Bytes < remoteTotal / 2, $"fetched {result.Bytes} of {remoteTotal} bytes");

        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal(result.Bytes, r.BytesTotal));
        Assert.Equal(reports.Select(r => r.BytesDone).Order(), reports.Select(r => r.BytesDone));
        Assert.Equal(result.Bytes, reports[^1].BytesDone);
        Assert.Equal(5, reports[^1].FilesDone);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
