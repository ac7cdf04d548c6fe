using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>Fine-tune jobs through the real slurmrestd (JWT on 127.0.0.1:6820); logs still come over SSH.</summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class SlurmRestTests(RemoteJobServers servers)
{
    private JobSpec Spec(int maxSteps, params string[] extra) => new()
    {
        Backend = servers.SlurmBackend,
        IdentityFile = servers.SlurmKey,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        MaxSteps = maxSteps,
        GpusPerNode = 1,
        TimeLimitMinutes = 5,
        ExtraArgs = ["--logging_steps", "1", .. extra],
    };

    [Fact]
    public async Task Job_submitted_through_slurmrestd_completes_with_the_token_in_its_environment_only()
    {
        var token = "ms-" + Guid.NewGuid().ToString("N");
        using var service = servers.NewService(JobWait.TempDir(), token, rest: servers.RestOptions());
        var job = await service.SubmitAsync(Spec(5), CancellationToken.None);
        Assert.Matches("^[0-9]+$", job.SchedulerJobId);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        Assert.Equal(new[] { 5, 5 }, new[] { job.Progress!.GlobalStep, job.Progress.MaxSteps });
        var args = await servers.RunAsync($"cat {PosixShell.Quote(job.LoggingFile!.Replace("logging.jsonl", "args.json"))}");
        Assert.Contains("\"token_present\": true", args);
        // Slurm hands out one of the node's two GPUs (the other may be taken by a job running at the same time).
        Assert.Matches("\"CUDA_VISIBLE_DEVICES\": \"[01]\"", args);
        Assert.Equal("end", (await servers.RunAsync($"grep -rlF {PosixShell.Quote(token)} ~ 2>/dev/null; echo end")).Trim());
    }

    [Fact]
    public async Task Cancel_through_slurmrestd_marks_the_job_cancelled()
    {
        using var service = servers.NewService(JobWait.TempDir(), rest: servers.RestOptions());
        var job = await service.SubmitAsync(Spec(100), CancellationToken.None);
        await JobWait.UntilAsync(service, job.JobId, j => j.State == JobStateKind.Running || j.IsFinished);
        job = await service.CancelAsync(job.JobId, CancellationToken.None);
        Assert.Equal(JobStateKind.Cancelled, job.State);
        Assert.Equal("CANCELLED", (await servers.RunAsync($"squeue -h -t all -j {job.SchedulerJobId} -o %T")).Trim());
    }

    [Fact]
    public async Task Wrong_token_is_refused_with_slurms_error()
    {
        using var service = servers.NewService(JobWait.TempDir(), rest: servers.RestOptions("not-a-jwt"));
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => service.SubmitAsync(Spec(2), CancellationToken.None));
        Assert.True(ex.Kind is ModelIdeErrorKind.PermissionDenied or ModelIdeErrorKind.RemoteFailure, ex.Kind.ToString());
        Assert.Contains("slurmrestd", ex.Message);
    }
}
