using ModelIde.Core.Jobs;

namespace ModelIde.Core.Tests.Jobs;

/// <summary>
/// Finding swift through a host's saved environment on the real sshd. None of the test host's environments is on the
/// PATH of a non-interactive shell: a venv with ms-swift 3.12.6 (no bitsandbytes), a conda env with 4.0.4 (the conda
/// hook is in ~/.bashrc, which a non-interactive shell skips), and a venv with 2.6.1.
/// </summary>
[Collection(RemoteJobsCollection.Name)]
public sealed class HostEnvironmentTests(RemoteJobServers servers)
{
    private JobSpec Spec(JobTunerKind tuner = JobTunerKind.Lora) => new()
    {
        Backend = servers.SshBackend,
        IdentityFile = servers.Key,
        Model = "Qwen/Qwen2.5-0.5B-Instruct",
        Dataset = [servers.Dataset],
        Tuner = tuner,
        MaxSteps = 2,
        GpusPerNode = 1,
        ExtraArgs = ["--logging_steps", "1"],
    };

    private JobService ServiceWith(JobHostEnvironment environment, string? state = null)
    {
        var service = servers.NewService(state ?? JobWait.TempDir());
        service.SetHostEnvironment(servers.SshBackend, environment);
        return service;
    }

    [Fact]
    public async Task A_venv_saved_with_the_host_is_activated_for_detection_and_for_the_job()
    {
        var state = JobWait.TempDir();
        using (ServiceWith(new JobHostEnvironment(JobHostEnvironmentKind.Venv, "~/envs/swift3-venv"), state))
        {
        }

        // Saved with the host: a new service over the same state folder uses it.
        using var service = servers.NewService(state);
        var report = await service.InspectHostAsync(Spec(JobTunerKind.Qlora), CancellationToken.None);
        Assert.Equal("3.12.6", report.Swift.Version);
        Assert.Equal($"/home/{servers.User}/envs/swift3-venv/bin/python", report.Swift.Python);
        Assert.False(report.Swift.HasBitsAndBytes);
        Assert.Contains(report.Warnings, w => w.StartsWith($"bitsandbytes is not installed for /home/{servers.User}/envs/swift3-venv/bin/python", StringComparison.Ordinal));

        var job = await service.SubmitAsync(Spec(), CancellationToken.None);
        Assert.Equal("3.12.6", job.SwiftVersion);
        Assert.Contains("--train_type lora", job.Command);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        var args = await servers.StandInArgsAsync(job);
        Assert.Equal($"/home/{servers.User}/envs/swift3-venv/bin/python", args.GetProperty("python").GetString());
        Assert.Equal($"/home/{servers.User}/envs/swift3-venv", args.GetProperty("env").GetProperty("VIRTUAL_ENV").GetString());
    }

    [Fact]
    public async Task A_conda_env_is_activated_through_condas_hook_and_a_missing_one_fails_with_condas_message()
    {
        using var service = ServiceWith(new JobHostEnvironment(JobHostEnvironmentKind.Conda, "swift40"));
        var job = await service.SubmitAsync(Spec(JobTunerKind.Qlora), CancellationToken.None);
        Assert.Equal("4.0.4", job.SwiftVersion);
        Assert.Empty(job.Warnings);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Completed, job.State);
        var args = await servers.StandInArgsAsync(job);
        Assert.Equal("swift40", args.GetProperty("env").GetProperty("CONDA_DEFAULT_ENV").GetString());
        Assert.Equal($"/home/{servers.User}/miniconda3/envs/swift40/bin/python", args.GetProperty("python").GetString());

        service.SetHostEnvironment(servers.SshBackend, new JobHostEnvironment(JobHostEnvironmentKind.Conda, "no-such-env"));
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => service.SubmitAsync(Spec(), CancellationToken.None));
        Assert.Contains("could not be activated (conda environment no-such-env)", ex.Message);
        Assert.Contains("EnvironmentNameNotFound: Could not find conda environment: no-such-env", ex.Message);
    }

    [Fact]
    public async Task Swift_2_is_refused_and_a_missing_swift_keeps_the_hosts_reason()
    {
        using var service = ServiceWith(new JobHostEnvironment(JobHostEnvironmentKind.Venv, "~/envs/swift2-venv"));
        var old = await Assert.ThrowsAsync<ModelIdeException>(() => service.SubmitAsync(Spec(), CancellationToken.None));
        Assert.StartsWith($"ms-swift 2.6.1 on 127.0.0.1 (/home/{servers.User}/envs/swift2-venv/bin/python) is too old", old.Message);

        service.SetHostEnvironment(servers.SshBackend, new JobHostEnvironment(JobHostEnvironmentKind.Command, "export PATH=/usr/bin:/bin"));
        var missing = await Assert.ThrowsAsync<ModelIdeException>(() => service.SubmitAsync(Spec(), CancellationToken.None));
        Assert.StartsWith("ms-swift was not found on 127.0.0.1: there is no swift command after activating the setup command: export PATH=/usr/bin:/bin. The host said: swift is not on PATH (/usr/bin:/bin)", missing.Message);
        Assert.Empty(service.List());
    }

    [Fact]
    public async Task A_setup_command_that_fails_inside_the_job_fails_the_job_with_its_message()
    {
        // Detection passes (the marker is there), then the job's own activation fails (the marker is gone).
        var marker = "/tmp/modelide-env-" + Guid.NewGuid().ToString("N");
        await servers.RunAsync($"touch {marker}");
        using var service = ServiceWith(new JobHostEnvironment(JobHostEnvironmentKind.Command, $"test -e {marker} && rm {marker}"));
        var job = await service.SubmitAsync(Spec() with { GpusPerNode = 0 }, CancellationToken.None);
        job = await JobWait.UntilAsync(service, job.JobId, j => j.IsFinished);
        Assert.Equal(JobStateKind.Failed, job.State);
        Assert.Equal("The host's environment could not be activated; see the log.", job.Reason);
        Assert.Contains(job.LastErrorLines!, l => l.Contains("the host's setup command failed", StringComparison.Ordinal));
    }
}
