using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>Fine-tune jobs on the real sshd (127.0.0.1:2222) with the stand-in swift.</summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class SshJobBackendTests(RemoteJobServers servers)
{
    private JobSpec Spec(int maxSteps, params string[] extra) => new()
    {
        Backend = servers.SshBackend,
        IdentityFile = servers.Key,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        Tuner = JobTunerKind.Lora,
        MaxSteps = maxSteps,
        LoraRank = 4,
        ExtraArgs = ["--logging_steps", "1", .. extra],
    };

    [Fact]
    public async Task Submitted_job_runs_to_completion_with_progress_points_and_a_fetchable_adapter()
    {
        var state = JobWait.TempDir();
        using var service = servers.NewService(state);
        var job = await service.SubmitAsync(Spec(8), CancellationToken.None);
        Assert.Contains("--tuner_type lora", job.Command);
        Assert.Equal(4, job.SwiftMajorVersion);

        var cursor = new JobWatchCursor();
        var points = new List<TrainingPoint>();
        var lines = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JobUpdate update;
        do
        {
            update = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
            points.AddRange(update.NewPoints);
            lines.AddRange(update.NewLogLines);
            await Task.Delay(300);
        }
        while (!update.Job.IsFinished && DateTime.UtcNow < deadline);
        // One last poll picks up lines written between the state change and the previous read.
        update = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
        points.AddRange(update.NewPoints);
        lines.AddRange(update.NewLogLines);

        Assert.Equal(JobStateKind.Completed, update.Job.State);
        Assert.Equal(Enumerable.Range(1, 8), points.Select(p => p.Step));
        Assert.All(points, p => Assert.NotNull(p.Loss));
        Assert.Contains(lines, l => l.Contains("The logging file will be saved in:", StringComparison.Ordinal));
        Assert.Equal(new TrainingProgress(8, 8, 100, update.Job.Progress!.Elapsed, update.Job.Progress.Remaining, points[^1].Loss, points[^1].LearningRate, 1.5), update.Job.Progress);
        Assert.EndsWith("/checkpoint-8", update.Job.Checkpoints[^1]);

        var local = await service.FetchAdapterAsync(job.JobId, Path.Combine(state, "adapter"), null, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(local, "adapter_model.safetensors")));
        Assert.Contains("\"r\": 4", await File.ReadAllTextAsync(Path.Combine(local, "adapter_config.json")));

        // The job list survives a restart (a new service over the same state folder).
        using var again = servers.NewService(state);
        Assert.Equal(JobStateKind.Completed, again.List().Single(j => j.JobId == job.JobId).State);
    }

    [Fact]
    public async Task Swift_3_remote_gets_train_type_and_completes()
    {
        await servers.RunAsync("modelide-swift-standin-version 3.12.6");
        try
        {
            using var service = servers.NewService(JobWait.TempDir());
            var job = await service.SubmitAsync(Spec(3), CancellationToken.None);
            Assert.Equal(3, job.SwiftMajorVersion);
            Assert.Contains("--train_type lora", job.Command);
            Assert.DoesNotContain("--tuner_type", job.Command);
            job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
            Assert.Equal(JobStateKind.Completed, job.State);
            Assert.Equal(100, job.Progress!.Percent);
        }
        finally
        {
            await servers.RunAsync("modelide-swift-standin-version 4.5.1");
        }
    }

    [Fact]
    public async Task Token_reaches_the_job_environment_but_no_command_line_and_no_file()
    {
        var token = "ms-" + Guid.NewGuid().ToString("N");
        using var service = servers.NewService(JobWait.TempDir(), token);
        var job = await service.SubmitAsync(Spec(20), CancellationToken.None);

        // Sample every process's command line while the job runs: swift is seen, the token never.
        var samplesWithSwift = 0;
        for (var i = 0; i < 10; i++)
        {
            var ps = await servers.RunAsync("ps -eo args");
            Assert.DoesNotContain(token, ps);
            samplesWithSwift += ps.Contains("swift sft", StringComparison.Ordinal) ? 1 : 0;
            await Task.Delay(150);
        }

        Assert.True(samplesWithSwift >= 3, $"swift was seen in {samplesWithSwift} samples only");

        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        var args = await servers.RunAsync($"cat {PosixShell.Quote(job.LoggingFile!.Replace("logging.jsonl", "args.json"))}");
        Assert.Contains("\"token_present\": true", args);
        var grep = await servers.RunAsync($"grep -rlF {PosixShell.Quote(token)} ~ /tmp 2>/dev/null; echo end");
        Assert.Equal("end", grep.Trim());
        var files = await servers.RunAsync($"ls {PosixShell.Quote(job.RemoteDir)}");
        Assert.DoesNotContain("env", files.Split('\n'));
    }

    [Fact]
    public async Task Cancel_stops_the_process_group_and_resume_continues_from_the_newest_checkpoint()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(60, "--save_steps", "3"), CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.Checkpoints.Count >= 2 || j.IsFinished);
        Assert.Equal(JobStateKind.Running, job.State);

        job = await service.CancelAsync(job.JobId, CancellationToken.None);
        Assert.Equal(JobStateKind.Cancelled, job.State);
        var pgid = (await servers.RunAsync($"cat {PosixShell.Quote(job.RemoteDir)}/pgid")).Trim();
        var left = await servers.RunAsync($"ps -o pid=,stat= -g {pgid} | grep -v ' Z' ; true");
        Assert.Equal("", left.Trim());

        var newest = job.Checkpoints.MaxBy(c => int.Parse(c.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture))!;
        var resumedStep = int.Parse(newest.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(resumedStep < 60);

        // Make the resumed run short: it continues from the checkpoint's step to max_steps.
        var resumed = await service.ResumeAsync(job.JobId, CancellationToken.None);
        Assert.NotEqual(job.JobId, resumed.JobId);
        Assert.Equal(job.JobId, resumed.ResumedFrom);
        Assert.Equal(newest, resumed.ResumeCheckpoint);
        Assert.Contains("--resume_from_checkpoint " + newest, resumed.Command);

        var cursor = new JobWatchCursor();
        var first = await JobWait.UntilAsync(service, resumed.JobId, j => j.Progress is not null || j.IsFinished);
        var update = await service.PollAsync(resumed.JobId, cursor, CancellationToken.None);
        Assert.NotEmpty(update.NewPoints);
        Assert.Equal(resumedStep + 1, update.NewPoints[0].Step);
        await service.CancelAsync(resumed.JobId, CancellationToken.None);
        Assert.NotNull(first);
    }

    [Fact]
    public async Task Job_survives_a_dropped_connection_and_a_new_service_reattaches()
    {
        var state = JobWait.TempDir();
        JobInfo job;
        int stepBefore;
        using (var first = servers.NewService(state))
        {
            job = await first.SubmitAsync(Spec(40), CancellationToken.None);
            job = await JobWait.UntilAsync(first, job.JobId, j => j.Progress is { GlobalStep: >= 2 } || j.IsFinished);
            Assert.Equal(JobStateKind.Running, job.State);
            stepBefore = job.Progress!.GlobalStep;
        }

        // The SSH connection is gone; the remote job must go on.
        await Task.Delay(1500);
        using var second = servers.NewService(state);
        var again = await second.GetAsync(job.JobId, CancellationToken.None);
        Assert.Equal(JobStateKind.Running, again.State);
        Assert.True(again.Progress!.GlobalStep > stepBefore, $"step {again.Progress.GlobalStep} after {stepBefore}");
        again = await JobWait.UntilAsync(second, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, again.State);
        Assert.Equal(40, again.Progress!.GlobalStep);
    }

    [Fact]
    public async Task Bad_dataset_fails_with_swifts_reason()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(5) with { Dataset = ["/home/jobuser/data/does-not-exist.jsonl"] }, CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Failed, job.State);
        Assert.Equal("swift exited with code 1.", job.Reason);
        Assert.Contains(job.LastErrorLines!, l => l.Contains("does-not-exist.jsonl does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Job_killed_on_the_remote_is_shown_as_failed()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(200), CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.Progress is not null || j.IsFinished);
        Assert.Equal(JobStateKind.Running, job.State);

        await servers.RunAsync($"kill -9 -- -$(cat {PosixShell.Quote(job.RemoteDir)}/pgid)");
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished, 20);
        Assert.Equal(JobStateKind.Failed, job.State);
        Assert.Contains("gone", job.Reason);
    }

    [Fact]
    public async Task Unknown_host_key_is_refused_with_its_fingerprint_until_trusted()
    {
        using var service = servers.NewService(JobWait.TempDir(), trustHost: false);
        var ex = await Assert.ThrowsAsync<HostKeyRejectedException>(() => service.SubmitAsync(Spec(2), CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.RemoteFailure, ex.Kind);
        Assert.Equal(SshConnection.UnknownHostKeyCode, ex.ServerCode);
        Assert.Contains(servers.Fingerprint, ex.Message);
        Assert.Equal((servers.Host, servers.Port, servers.Fingerprint), (ex.Host, ex.Port, ex.Fingerprint));
        Assert.Empty(service.List());

        service.TrustHost(servers.Host, servers.Port, servers.Fingerprint);
        var job = await service.SubmitAsync(Spec(2), CancellationToken.None);
        Assert.Equal(JobStateKind.Completed, (await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished)).State);
    }

    [Fact]
    public async Task Uploaded_local_dataset_is_trained_on_from_the_job_folder()
    {
        var state = JobWait.TempDir();
        var local = Path.Combine(state, "my data.jsonl");
        await File.WriteAllTextAsync(local, "{\"query\":\"q\",\"response\":\"r\"}\n");
        using var service = servers.NewService(state);
        var job = await service.SubmitAsync(Spec(2) with { Dataset = [], UploadDataset = local }, CancellationToken.None);
        Assert.Contains($"--dataset '{job.RemoteDir}/data/my data.jsonl'", job.Command);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        Assert.Equal(await File.ReadAllTextAsync(local), await servers.RunAsync($"cat {PosixShell.Quote(job.RemoteDir + "/data/my data.jsonl")}"));
    }

    [Fact]
    public async Task Changed_host_key_is_refused_as_a_mismatch()
    {
        var state = JobWait.TempDir();
        using var service = servers.NewService(state, trustHost: false);
        service.TrustHost(servers.Host, servers.Port, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        var ex = await Assert.ThrowsAsync<HostKeyRejectedException>(() => service.SubmitAsync(Spec(2), CancellationToken.None));
        Assert.Equal(SshConnection.HostKeyMismatchCode, ex.ServerCode);
        Assert.Contains(servers.Fingerprint, ex.Message);
        Assert.Equal(servers.Fingerprint, ex.Fingerprint);
    }
}
