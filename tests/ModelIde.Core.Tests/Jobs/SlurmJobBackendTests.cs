using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>Fine-tune jobs on the real single-node Slurm (login node = the sshd on 127.0.0.1:2222).</summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class SlurmJobBackendTests(RemoteJobServers servers)
{
    private JobSpec Spec(int maxSteps, params string[] extra) => new()
    {
        Backend = servers.SlurmBackend,
        IdentityFile = servers.SlurmKey,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        Tuner = JobTunerKind.Qlora,
        MaxSteps = maxSteps,
        GpusPerNode = 1,
        TimeLimitMinutes = 10,
        ExtraArgs = ["--logging_steps", "1", .. extra],
    };

    [Fact]
    public async Task Sbatch_job_runs_with_a_gpu_and_completes_with_progress()
    {
        var token = "ms-" + Guid.NewGuid().ToString("N");
        using var service = servers.NewService(JobWait.TempDir(), token);
        var job = await service.SubmitAsync(Spec(6), CancellationToken.None);
        Assert.Matches("^[0-9]+$", job.SchedulerJobId);
        Assert.Contains("--quant_method bnb --quant_bits 4", job.Command);

        var cursor = new JobWatchCursor();
        var points = new List<TrainingPoint>();
        var seen = new HashSet<JobStateKind>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JobUpdate update;
        do
        {
            update = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
            seen.Add(update.Job.State);
            points.AddRange(update.NewPoints);
            if (update.Job.State == JobStateKind.Running)
            {
                Assert.DoesNotContain(token, await servers.RunAsync("ps -eo args"));
            }

            await Task.Delay(250);
        }
        while (!update.Job.IsFinished && DateTime.UtcNow < deadline);
        points.AddRange((await service.PollAsync(job.JobId, cursor, CancellationToken.None)).NewPoints);

        Assert.Equal(JobStateKind.Completed, update.Job.State);
        Assert.Contains(JobStateKind.Running, seen);
        Assert.Equal(Enumerable.Range(1, 6), points.Select(p => p.Step));
        Assert.EndsWith("/checkpoint-6", update.Job.Checkpoints[^1]);
        var script = await servers.RunAsync($"cat {PosixShell.Quote(job.RemoteDir)}/job.sbatch");
        Assert.Contains("#SBATCH --gres=gpu:1", script);
        Assert.Contains("#SBATCH --time=10", script);
        Assert.DoesNotContain(token, script);
        var args = await servers.RunAsync($"cat {PosixShell.Quote(update.Job.LoggingFile!.Replace("logging.jsonl", "args.json"))}");
        Assert.Contains("\"token_present\": true", args);
        // Slurm hands out one of the node's two GPUs (the other may be taken by a job running at the same time).
        Assert.Matches("\"CUDA_VISIBLE_DEVICES\": \"[01]\"", args);
        Assert.Equal("end", (await servers.RunAsync($"grep -rlF {PosixShell.Quote(token)} ~ 2>/dev/null; echo end")).Trim());
    }

    [Fact]
    public async Task Scancel_cancels_and_resume_continues_from_the_newest_checkpoint()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(60, "--save_steps", "3"), CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.Checkpoints.Count >= 1 || j.IsFinished);
        Assert.Equal(JobStateKind.Running, job.State);

        job = await service.CancelAsync(job.JobId, CancellationToken.None);
        Assert.Equal(JobStateKind.Cancelled, job.State);
        Assert.Equal("Cancelled by the user.", job.Reason);
        Assert.Equal("CANCELLED", (await servers.RunAsync($"squeue -h -t all -j {job.SchedulerJobId} -o %T")).Trim());

        var resumed = await service.ResumeAsync(job.JobId, CancellationToken.None);
        var newest = job.Checkpoints[^1];
        Assert.Equal(newest, resumed.ResumeCheckpoint);
        Assert.NotEqual(job.SchedulerJobId, resumed.SchedulerJobId);
        var cursor = new JobWatchCursor();
        await JobWait.UntilAsync(service, resumed.JobId, j => j.Progress is not null || j.IsFinished);
        var update = await service.PollAsync(resumed.JobId, cursor, CancellationToken.None);
        Assert.Equal(int.Parse(newest.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture) + 1, update.NewPoints[0].Step);
        Assert.Equal(JobStateKind.Cancelled, (await service.CancelAsync(resumed.JobId, CancellationToken.None)).State);
    }

    [Fact]
    public async Task Bad_dataset_fails_with_slurms_reason_and_swifts_error()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(3) with { Dataset = ["/home/jobuser/data/missing.jsonl"] }, CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Failed, job.State);
        Assert.Equal("Slurm: FAILED (NonZeroExitCode); swift exited with code 1.", job.Reason);
        Assert.Contains(job.LastErrorLines!, l => l.Contains("missing.jsonl does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Impossible_gpu_request_is_refused_at_submit_with_slurms_message()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => service.SubmitAsync(Spec(3) with { GpusPerNode = 3 }, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.RemoteFailure, ex.Kind);
        Assert.Contains("Requested node configuration is not available", ex.Message);
    }

    [Fact]
    public async Task Two_jobs_on_one_node_get_different_torchrun_ports_from_their_slurm_ids()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var a = await service.SubmitAsync(Spec(4) with { Tuner = JobTunerKind.Lora }, CancellationToken.None);
        var b = await service.SubmitAsync(Spec(4) with { Tuner = JobTunerKind.Lora }, CancellationToken.None);
        a = await JobWait.UntilAsync(service, a.JobId, j => j.IsFinished);
        b = await JobWait.UntilAsync(service, b.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, a.State);
        Assert.Equal(JobStateKind.Completed, b.State);
        var portA = (await servers.StandInArgsAsync(a)).GetProperty("env").GetProperty("MASTER_PORT").GetString();
        var portB = (await servers.StandInArgsAsync(b)).GetProperty("env").GetProperty("MASTER_PORT").GetString();
        Assert.NotEqual(portA, portB);
        Assert.Equal((20000 + (int.Parse(a.SchedulerJobId!, System.Globalization.CultureInfo.InvariantCulture) % 20000)).ToString(System.Globalization.CultureInfo.InvariantCulture), portA);
    }
}
