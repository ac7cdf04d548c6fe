using System.Text.Json;
using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>
/// GPUs, divergence and argument quoting on the real sshd: what the stand-in swift (and its recorded nvidia-smi:
/// 8 x V100, GPU 6 busy) saw is read back from the args.json it wrote.
/// </summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class GpuAndDivergenceTests(RemoteJobServers servers)
{
    private JobSpec Spec(int maxSteps) => new()
    {
        Backend = servers.SshBackend,
        IdentityFile = servers.Key,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        MaxSteps = maxSteps,
        ExtraArgs = ["--logging_steps", "1"],
    };

    [Fact]
    public async Task Host_report_lists_the_gpus_with_their_use()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var report = await service.InspectHostAsync(Spec(2) with { GpuIndices = [6] }, CancellationToken.None);
        Assert.Equal(8, report.Gpus.Count);
        Assert.Equal(new GpuInfo(6, "Tesla V100-SXM2-32GB", 32768, 13928, 100), report.Gpus[6]);
        Assert.Equal("4.5.1", report.Swift.Version);
        Assert.Equal("/usr/bin/python3", report.Swift.Python);
        Assert.Contains(report.Warnings, w => w.StartsWith("GPU 6 on 127.0.0.1 is in use", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_gpus_by_count_are_the_least_busy_and_swift_runs_one_process_per_gpu()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(3) with { GpusPerNode = 2 }, CancellationToken.None);
        Assert.Equal([0, 1], job.GpuIndices);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        var env = (await servers.StandInArgsAsync(job)).GetProperty("env");
        Assert.Equal("0,1", env.GetProperty("CUDA_VISIBLE_DEVICES").GetString());
        Assert.Equal("2", env.GetProperty("NPROC_PER_NODE").GetString());
        Assert.Equal("PCI_BUS_ID", env.GetProperty("CUDA_DEVICE_ORDER").GetString());
        Assert.InRange(int.Parse(env.GetProperty("MASTER_PORT").GetString()!, System.Globalization.CultureInfo.InvariantCulture), 29500, 30100);
        var log = await service.LogsAsync(job.JobId, 200, CancellationToken.None);
        Assert.Contains(log, l => l.StartsWith("run sh: `/usr/bin/python3 -m torch.distributed.run --nproc_per_node 2 --master_port ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Named_gpus_reach_swift_and_one_gpu_needs_no_torchrun()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(2) with { GpuIndices = [5] }, CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        var env = (await servers.StandInArgsAsync(job)).GetProperty("env");
        Assert.Equal("5", env.GetProperty("CUDA_VISIBLE_DEVICES").GetString());
        Assert.False(env.TryGetProperty("NPROC_PER_NODE", out _));
        Assert.False(env.TryGetProperty("MASTER_PORT", out _));

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => service.SubmitAsync(Spec(2) with { GpuIndices = [9] }, CancellationToken.None));
        Assert.Contains("127.0.0.1 has no GPU 9", ex.Message);
    }

    [Fact]
    public async Task A_run_that_writes_nan_rows_is_shown_as_diverged_with_the_step_and_the_values()
    {
        using var service = servers.NewService(JobWait.TempDir());
        // The stand-in diverges like a real run with too high a learning rate: Infinity at step 3, NaN after.
        var job = await service.SubmitAsync(Spec(6) with { LearningRate = 0.5 }, CancellationToken.None);
        var cursor = new JobWatchCursor();
        var points = new List<TrainingPoint>();
        JobUpdate update;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            update = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
            points.AddRange(update.NewPoints);
            await Task.Delay(300);
        }
        while (!update.Job.IsFinished && DateTime.UtcNow < deadline);
        points.AddRange((await service.PollAsync(job.JobId, cursor, CancellationToken.None)).NewPoints);

        Assert.Equal(Enumerable.Range(1, 6), points.Select(p => p.Step));
        Assert.Equal([null, null, "grad_norm=Infinity", "loss=NaN, grad_norm=NaN", "loss=NaN, grad_norm=NaN", "loss=NaN, grad_norm=NaN"], points.Select(p => p.NonFinite));
        Assert.Equal(37.5, points[2].Loss);
        Assert.Null(points[3].Loss);
        Assert.Equal(new TrainingDivergence(3, "grad_norm=Infinity"), update.Job.Divergence);
        Assert.StartsWith("Training diverged at step 3 (grad_norm=Infinity)", update.Job.Divergence!.Message);
        // The chart does not freeze: progress reaches the last step.
        Assert.Equal(6, update.Job.Progress!.GlobalStep);
    }

    [Fact]
    public async Task Eval_rows_come_as_a_second_series()
    {
        using var service = servers.NewService(JobWait.TempDir());
        var job = await service.SubmitAsync(Spec(4) with { ExtraArgsText = $"--logging_steps 1 --val_dataset {servers.ValDataset} --eval_steps 2" , ExtraArgs = [] }, CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        var update = await service.PollAsync(job.JobId, new JobWatchCursor(), CancellationToken.None);
        Assert.Equal([2, 4], update.NewPoints.Where(p => p.IsEval).Select(p => p.Step));
        Assert.All(update.NewPoints.Where(p => p.IsEval), p => Assert.NotNull(p.EvalLoss));
        Assert.Equal([1, 2, 3, 4], update.NewPoints.Where(p => !p.IsEval).Select(p => p.Step));
    }

    [Fact]
    public async Task Quoted_extra_args_and_a_dataset_path_with_spaces_reach_swift_intact_and_run_nothing()
    {
        var marker = "/tmp/modelide-injected-" + Guid.NewGuid().ToString("N");
        await servers.RunAsync($"cp {PosixShell.Quote(servers.Dataset)} ~/data/'my data; $(x).jsonl'");
        using var service = servers.NewService(JobWait.TempDir());
        var system = $"You are a \"careful\" assistant; don't run $(touch {marker}) or `touch {marker}`.";
        var spec = Spec(2) with
        {
            Dataset = [],
            DatasetText = "'~/data/my data; $(x).jsonl'".Replace("~", "/home/" + servers.User, StringComparison.Ordinal),
            ExtraArgsText = "--logging_steps 1 --system " + PosixShell.Quote(system) + " --model_author \"O'Brien & co\"",
            ExtraArgs = [],
        };
        var preview = JobService.Preview(spec);
        Assert.Empty(preview.Errors);
        var job = await service.SubmitAsync(spec, CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);

        var args = await servers.StandInArgsAsync(job);
        Assert.Equal(system, args.GetProperty("system").GetString());
        Assert.Equal(["O'Brien & co"], args.GetProperty("model_author").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([$"/home/{servers.User}/data/my data; $(x).jsonl"], args.GetProperty("dataset").EnumerateArray().Select(e => e.GetString()));
        // swift got exactly the argv the preview showed (the job folder replaces the preview's placeholder).
        var seen = args.GetProperty("argv").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(preview.Argv.Skip(2).Select(a => a.Replace("~/.modelide/jobs/JOB_ID", job.RemoteDir, StringComparison.Ordinal)), seen);
        Assert.Equal("absent", (await servers.RunAsync($"test -e {marker} && echo present || echo absent")).Trim());
    }
}
