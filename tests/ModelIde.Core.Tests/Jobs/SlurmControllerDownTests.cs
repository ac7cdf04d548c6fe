using System.Diagnostics;
using ModelIde.Core.Jobs;
using Xunit.Abstractions;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>
/// Takes the shared slurmctld down, so it runs alone: xunit starts a collection without parallelization only after
/// every parallel one has finished, and nothing else of this assembly then runs beside it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SlurmControllerDownCollection : ICollectionFixture<RemoteJobServers>
{
    public const string Name = "SlurmControllerDown";
}

/// <summary>slurmctld stops while jobs (sbatch over SSH and slurmrestd) are being followed, then comes back.</summary>
[Collection(SlurmControllerDownCollection.Name)]
public sealed class SlurmControllerDownTests(RemoteJobServers servers, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Steps = 300; // 0.2 s a step: the jobs outlive the outage (two looks of ~18 s each)

    public Task InitializeAsync() => ControllerAsync("wait-up", "60");

    public async Task DisposeAsync()
    {
        // Whatever happened, the controller is back for everyone else.
        await ControllerAsync("start");
        await ControllerAsync("wait-up", "60");
    }

    private JobSpec Spec() => new()
    {
        Backend = servers.SlurmBackend,
        IdentityFile = servers.SlurmKey,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        Tuner = JobTunerKind.Lora,
        MaxSteps = Steps,
        TimeLimitMinutes = 10,
        ExtraArgs = ["--logging_steps", "1"],
    };

    [Fact]
    public async Task Jobs_show_controller_unreachable_while_slurmctld_is_down_and_are_followed_to_completion_after()
    {
        using var sbatch = servers.NewService(JobWait.TempDir());
        using var viaRest = servers.NewService(JobWait.TempDir(), rest: servers.RestOptions());
        var followed = new List<(string Path, JobService Service, JobInfo Job, JobWatchCursor Cursor)>();
        foreach (var (path, service) in new[] { ("sbatch", sbatch), ("slurmrestd", viaRest) })
        {
            var job = await service.SubmitAsync(Spec(), CancellationToken.None);
            followed.Add((path, service, job, new JobWatchCursor()));
        }

        foreach (var (path, service, job, cursor) in followed)
        {
            var running = await JobWait.UntilAsync(service, job.JobId, j => j.Progress is not null || j.IsFinished, 60);
            Assert.True(running.State == JobStateKind.Running, $"{path}: {running.State} {running.Reason}");
            await service.PollAsync(job.JobId, cursor, CancellationToken.None);
        }

        var outage = Stopwatch.StartNew();
        await ControllerAsync("stop");
        try
        {
            foreach (var (path, service, job, cursor) in followed)
            {
                var look = Stopwatch.StartNew();
                var u = await service.PollAsync(job.JobId, cursor, CancellationToken.None);
                output.WriteLine($"{path}: one look with slurmctld down took {look.Elapsed.TotalSeconds:0.0} s: {u.Job.Unreachable}");
                Assert.Equal(JobStateKind.Running, u.Job.State);
                Assert.Null(u.Job.Reason);
                Assert.StartsWith("Slurm controller unreachable (", u.Job.Unreachable);
                Assert.Contains("Unable to contact slurm controller", u.Job.Unreachable);
                Assert.EndsWith("Will retry; last known state: running.", u.Job.Unreachable);
                // The job goes on on the node and writes to its folder: its log and progress are still read over SSH.
                Assert.NotEmpty(u.NewLogLines);
                Assert.True(u.Job.Progress!.GlobalStep < Steps);
                Assert.NotEmpty(await service.LogsAsync(job.JobId, 5, CancellationToken.None));
                Assert.Equal(JobStateKind.Running, service.List().Single().State);
            }
        }
        finally
        {
            await ControllerAsync("start");
            await ControllerAsync("wait-up", "60");
            output.WriteLine($"slurmctld was down for {outage.Elapsed.TotalSeconds:0.0} s");
        }

        foreach (var (path, service, job, _) in followed)
        {
            var end = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished, 150);
            Assert.True(end.State == JobStateKind.Completed, $"{path}: {end.State} {end.Reason}");
            Assert.Null(end.Unreachable);
            Assert.Equal(Steps, end.Progress!.GlobalStep);
            Assert.Equal("COMPLETED", (await servers.RunAsync($"squeue -h -t all -j {end.SchedulerJobId} -o %T")).Trim());
        }
    }

    /// <summary>scripts/slurm-controller.sh: the same start/stop the setup script uses.</summary>
    private static async Task ControllerAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RemoteJobServers.RepoRoot(), "scripts", "slurm-controller.sh"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"slurm-controller.sh {string.Join(' ', args)} failed ({p.ExitCode}): {await stdout}{stderr}");
        }
    }
}
