using System.Collections.Concurrent;
using System.Text.Json;
using ModelIde.Protocol;
using ModelIde.Sidecar;
using Nerdbank.Streams;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar.Tests.Jobs;

/// <summary>jobs/* over an in-process JSON-RPC pipe; the watch test runs a job on the real sshd from scripts/setup.</summary>
public sealed class JobsRpcTests
{
    [Fact]
    public async Task Preview_returns_the_swift_line_for_the_requested_version_and_validation_errors()
    {
        await using var c = JobsConnection.Start();
        var spec = new JobSpec { Backend = "slurm://u@login", Model = "Qwen/Qwen2.5-7B-Instruct", Dataset = ["d/x"], Tuner = JobTunerKind.Qlora, GpusPerNode = 2, SwiftMajorVersion = 3 };
        var p = await c.Client.InvokeWithParameterObjectAsync<JobPreviewResult>(JobsMethods.Preview, spec);
        Assert.Empty(p.Errors);
        Assert.Equal(3, p.SwiftMajorVersion);
        Assert.StartsWith("swift sft --model Qwen/Qwen2.5-7B-Instruct --dataset d/x --train_type lora --quant_method bnb --quant_bits 4", p.Command);
        Assert.Contains("#SBATCH --gres=gpu:2", p.Script);

        var bad = await c.Client.InvokeWithParameterObjectAsync<JobPreviewResult>(JobsMethods.Preview, spec with { Model = "", LearningRate = 3 });
        Assert.Equal(["model", "learningRate"], bad.Errors.Select(e => e.Field));

        // The form's checks live here now: a dataset-less spec with a file to upload is fine, a bad backend is not.
        var upload = Path.GetTempFileName();
        try
        {
            var uploadOnly = await c.Client.InvokeWithParameterObjectAsync<JobPreviewResult>(JobsMethods.Preview, spec with { Dataset = [], UploadDataset = upload });
            Assert.Empty(uploadOnly.Errors);
        }
        finally
        {
            File.Delete(upload);
        }

        var noUser = await c.Client.InvokeWithParameterObjectAsync<JobPreviewResult>(JobsMethods.Preview, spec with { Backend = "ssh://gpu01" });
        Assert.Equal("backend", Assert.Single(noUser.Errors).Field);
    }

    [Fact]
    public async Task Preview_shows_argv_and_gpu_environment_and_host_environment_and_gpus_come_from_the_host()
    {
        var env = SshTestServer.Environment();
        await using var c = JobsConnection.Start();
        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.TrustHost, new TrustHostParams(env["MODELIDE_SSH_HOST"], int.Parse(env["MODELIDE_SSH_PORT"], System.Globalization.CultureInfo.InvariantCulture), env["MODELIDE_SSH_HOST_FINGERPRINT"]));
        var spec = new JobSpec
        {
            Backend = $"ssh://{env["MODELIDE_SSH_USER"]}@{env["MODELIDE_SSH_HOST"]}:{env["MODELIDE_SSH_PORT"]}",
            IdentityFile = env["MODELIDE_SSH_KEY"],
            Model = "Qwen/Qwen2.5-0.5B-Instruct",
            Tuner = JobTunerKind.Qlora,
            DatasetText = "'/data/my file.jsonl'",
            ExtraArgsText = "--system 'You are a helpful assistant.'",
            GpuIndices = [1, 6],
        };
        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.SetHostEnvironment, new SetHostEnvironmentParams(spec.Backend, "venv", "~/envs/swift3-venv"));
        var p = await c.Client.InvokeWithParameterObjectAsync<JobPreviewResult>(JobsMethods.Preview, spec);
        Assert.Empty(p.Errors);
        Assert.Equal(["--system", "You are a helpful assistant."], p.Argv.TakeLast(2));
        Assert.Contains("/data/my file.jsonl", p.Argv);
        Assert.Equal("1,6", p.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("2", p.Environment["NPROC_PER_NODE"]);
        Assert.Contains("modelide_venv=\"$HOME\"/envs/swift3-venv", p.Script);

        var host = await c.Client.InvokeWithParameterObjectAsync<JobHostReportResult>(JobsMethods.InspectHost, spec);
        Assert.Equal("3.12.6", host.SwiftVersion);
        Assert.False(host.HasBitsAndBytes);
        Assert.Equal(8, host.Gpus.Count);
        Assert.True(host.Gpus[6].Busy);
        Assert.Contains(host.Warnings, w => w.StartsWith("bitsandbytes is not installed", StringComparison.Ordinal));
        Assert.Contains(host.Warnings, w => w.StartsWith("GPU 6 on", StringComparison.Ordinal));

        var bad = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.SetHostEnvironment, new SetHostEnvironmentParams(spec.Backend, "docker", "x")));
        Assert.Equal(RpcErrorCodes.InvalidInput, bad.ErrorCode);
    }

    [Fact]
    public async Task Submit_of_an_invalid_spec_is_an_invalid_input_error()
    {
        await using var c = JobsConnection.Start();
        var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            c.Client.InvokeWithParameterObjectAsync<JobInfoDto>(JobsMethods.Submit, new JobSpec { Backend = "ftp://x", Model = "m", Dataset = ["d"] }));
        Assert.Equal(RpcErrorCodes.InvalidInput, ex.ErrorCode);
    }

    [Fact]
    public async Task Presets_are_listed_with_camel_case_tuners()
    {
        await using var c = JobsConnection.Start();
        var raw = await c.Client.InvokeWithParameterObjectAsync<JsonElement>(JobsMethods.Presets, new { });
        var presets = raw.GetProperty("presets").EnumerateArray().ToArray();
        Assert.Contains(presets, p => p.GetProperty("label").GetString() == "QLoRA 7B on one 24 GB GPU" && p.GetProperty("spec").GetProperty("tuner").GetString() == "qlora");
    }

    [Fact]
    public async Task Watch_sends_updates_with_log_lines_and_loss_points_until_the_job_completes()
    {
        var env = SshTestServer.Environment();
        await using var c = JobsConnection.Start();
        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.TrustHost, new TrustHostParams(env["MODELIDE_SSH_HOST"], int.Parse(env["MODELIDE_SSH_PORT"], System.Globalization.CultureInfo.InvariantCulture), env["MODELIDE_SSH_HOST_FINGERPRINT"]));
        var spec = new JobSpec
        {
            Backend = $"ssh://{env["MODELIDE_SSH_USER"]}@{env["MODELIDE_SSH_HOST"]}:{env["MODELIDE_SSH_PORT"]}",
            IdentityFile = env["MODELIDE_SSH_KEY"],
            Model = "Qwen/Qwen2.5-0.5B-Instruct",
            Dataset = [env["MODELIDE_SSH_DATASET"]],
            MaxSteps = 6,
            ExtraArgs = ["--logging_steps", "1"],
        };
        var job = await c.Client.InvokeWithParameterObjectAsync<JobInfoDto>(JobsMethods.Submit, spec);
        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.Watch, new JobWatchParams(job.JobId, 300));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!c.Updates.Any(u => u.Job.State == JobStateKind.Completed) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var updates = c.Updates.ToArray();
        Assert.Equal(JobStateKind.Completed, updates[^1].Job.State);
        Assert.Equal(Enumerable.Range(1, 6), updates.SelectMany(u => u.NewPoints).Select(p => p.Step));
        Assert.Contains(updates.SelectMany(u => u.NewLogLines), l => l.Contains("last_model_checkpoint", StringComparison.Ordinal));
        var listed = await c.Client.InvokeWithParameterObjectAsync<JobListResult>(JobsMethods.List, new { });
        Assert.Contains(listed.Jobs, j => j.JobId == job.JobId && j.State == JobStateKind.Completed);
    }

    [Fact]
    public async Task Unknown_ssh_host_fails_with_host_port_and_fingerprint_in_the_typed_error_data()
    {
        var env = SshTestServer.Environment();
        await using var c = JobsConnection.Start();
        var (host, port) = (env["MODELIDE_SSH_HOST"], int.Parse(env["MODELIDE_SSH_PORT"], System.Globalization.CultureInfo.InvariantCulture));
        var spec = new JobSpec
        {
            Backend = $"ssh://{env["MODELIDE_SSH_USER"]}@{host}:{port}",
            IdentityFile = env["MODELIDE_SSH_KEY"],
            Model = "Qwen/Qwen2.5-0.5B-Instruct",
            Dataset = [env["MODELIDE_SSH_DATASET"]],
            MaxSteps = 1,
        };

        var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() => c.Client.InvokeWithParameterObjectAsync<JobInfoDto>(JobsMethods.Submit, spec));

        // What the extension shows and trusts comes from typed fields, not from the message.
        Assert.Equal(RpcErrorCodes.RemoteFailure, ex.ErrorCode);
        var data = Assert.IsType<RpcErrorData>(ex.DeserializedErrorData);
        Assert.Equal((ModelIdeErrorKind.RemoteFailure, RpcServerCodes.UnknownHostKey, host, port, env["MODELIDE_SSH_HOST_FINGERPRINT"]), (data.Kind, data.ServerCode, data.Host, data.Port, data.Fingerprint));
    }

    [Fact]
    public async Task Slurm_job_goes_through_a_configured_slurmrestd()
    {
        var env = SshTestServer.Environment();
        await using var c = JobsConnection.Start();
        var bad = await Assert.ThrowsAsync<RemoteInvocationException>(() => c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.ConfigureSlurmRest, new ConfigureSlurmRestParams("ftp://x", "u", "t")));
        Assert.Equal(RpcErrorCodes.InvalidInput, bad.ErrorCode);

        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.TrustHost, new TrustHostParams(env["MODELIDE_SSH_HOST"], int.Parse(env["MODELIDE_SSH_PORT"], System.Globalization.CultureInfo.InvariantCulture), env["MODELIDE_SSH_HOST_FINGERPRINT"]));
        var spec = new JobSpec
        {
            Backend = $"slurm://{env["MODELIDE_SSH_USER"]}@{env["MODELIDE_SSH_HOST"]}:{env["MODELIDE_SSH_PORT"]}",
            IdentityFile = env["MODELIDE_SSH_KEY"],
            Model = "Qwen/Qwen2.5-0.5B-Instruct",
            Dataset = [env["MODELIDE_SSH_DATASET"]],
            MaxSteps = 3,
            GpusPerNode = 1,
        };
        // A wrong token proves the submission really goes to slurmrestd (sbatch over SSH would not care).
        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.ConfigureSlurmRest, new ConfigureSlurmRestParams(env["MODELIDE_SLURM_REST_URL"], env["MODELIDE_SLURM_USER"], "wrong-token"));
        var refused = await Assert.ThrowsAsync<RemoteInvocationException>(() => c.Client.InvokeWithParameterObjectAsync<JobInfoDto>(JobsMethods.Submit, spec));
        Assert.Contains("slurmrestd", refused.Message);

        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.ConfigureSlurmRest, new ConfigureSlurmRestParams(env["MODELIDE_SLURM_REST_URL"], env["MODELIDE_SLURM_USER"], File.ReadAllText(env["MODELIDE_SLURM_JWT_FILE"]).Trim()));
        var job = await c.Client.InvokeWithParameterObjectAsync<JobInfoDto>(JobsMethods.Submit, spec);
        Assert.Matches("^[0-9]+$", job.SchedulerJobId);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (job.State is not (JobStateKind.Completed or JobStateKind.Failed or JobStateKind.Cancelled) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(300);
            job = await c.Client.InvokeWithParameterObjectAsync<JobInfoDto>(JobsMethods.Get, new JobIdParams(job.JobId));
        }

        Assert.Equal(JobStateKind.Completed, job.State);
        Assert.Equal(3, job.Progress!.GlobalStep);
    }

    [Fact]
    public async Task Job_whose_host_cannot_be_reached_is_reported_running_and_unreachable_not_as_an_error()
    {
        var env = SshTestServer.Environment();
        await using var c = JobsConnection.Start();
        // A running job in the list whose host now refuses connections (nothing listens on its port any more).
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var backend = $"ssh://{env["MODELIDE_SSH_USER"]}@127.0.0.1:{port}";
        new Core.Jobs.JobStore(c.StateDirectory).Save(new Core.Jobs.JobInfo
        {
            JobId = "ft-away",
            Backend = backend,
            State = JobStateKind.Running,
            RemoteDir = "/home/jobuser/.modelide/jobs/ft-away",
            SubmittedAt = DateTimeOffset.UtcNow,
            Spec = new JobSpec { Backend = backend, IdentityFile = env["MODELIDE_SSH_KEY"], Model = "m", Dataset = ["d"] },
        });

        var job = await c.Client.InvokeWithParameterObjectAsync<JobInfoDto>(JobsMethods.Get, new JobIdParams("ft-away"));
        Assert.Equal(JobStateKind.Running, job.State);
        Assert.Contains($"127.0.0.1:{port}: connection refused", job.Unreachable);

        // jobs/watch keeps sending updates (the job is not finished) that carry the same warning.
        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.Watch, new JobWatchParams("ft-away", 200));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (c.Updates.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await c.Client.InvokeWithParameterObjectAsync<EmptyResult>(JobsMethods.Unwatch, new JobIdParams("ft-away"));
        Assert.True(c.Updates.Count >= 2, $"{c.Updates.Count} updates");
        Assert.All(c.Updates, u => Assert.Equal((JobStateKind.Running, true), (u.Job.State, u.Job.Unreachable!.Contains("Will retry", StringComparison.Ordinal))));
        var raw = await c.Client.InvokeWithParameterObjectAsync<JsonElement>(JobsMethods.List, new { });
        Assert.StartsWith("Host unreachable", raw.GetProperty("jobs")[0].GetProperty("unreachable").GetString());
    }

    private sealed class JobsConnection : IAsyncDisposable
    {
        private readonly SidecarContext _context;
        private readonly JsonRpc _server;
        private readonly string _stateDir;

        private JobsConnection(SidecarContext context, JsonRpc server, JsonRpc client, string stateDir)
        {
            _context = context;
            _server = server;
            Client = client;
            _stateDir = stateDir;
        }

        public JsonRpc Client { get; }

        public string StateDirectory => _stateDir;

        public ConcurrentQueue<JobUpdateParams> Updates { get; } = new();

        public static JobsConnection Start()
        {
            // Each connection gets its own job list; the sidecar reads the folder when jobs/* is first used.
            var stateDir = Path.Combine(Path.GetTempPath(), "modelide-jobs-rpc-tests", Guid.NewGuid().ToString("N"));
            Environment.SetEnvironmentVariable("MODELIDE_JOBS_STATE_DIR", stateDir);
            var (clientStream, serverStream) = FullDuplexStream.CreatePair();
            var context = new SidecarContext(new SidecarOptions("http://127.0.0.1:9/"));
            var server = SidecarServer.Attach(serverStream, serverStream, context);
            var formatter = new SystemTextJsonFormatter();
            SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
            var client = new TypedErrorsJsonRpc(new HeaderDelimitedMessageHandler(clientStream, clientStream, formatter));
            var connection = new JobsConnection(context, server, client, stateDir);
            client.AddLocalRpcTarget(new NotificationSink(connection.Updates));
            client.StartListening();
            return connection;
        }

        public ValueTask DisposeAsync()
        {
            Client.Dispose();
            _server.Dispose();
            _context.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>A client that reads error data as the protocol's <see cref="RpcErrorData"/>, as the extension does.</summary>
internal sealed class TypedErrorsJsonRpc(IJsonRpcMessageHandler handler) : JsonRpc(handler)
{
    protected override Type? GetErrorDetailsDataType(JsonRpcError error) => typeof(RpcErrorData);
}

/// <summary>Receives the sidecar's notifications on the client side.</summary>
internal sealed class NotificationSink(ConcurrentQueue<JobUpdateParams> updates)
{
    [JsonRpcMethod(JobsMethods.Update, UseSingleObjectParameterDeserialization = true)]
    public void Update(JobUpdateParams p) => updates.Enqueue(p);
}

/// <summary>The sshd and Slurm of scripts/setup/20-ssh.sh and 21-slurm.sh: from MODELIDE_* or by running the scripts (never skipped).</summary>
internal static class SshTestServer
{
    public static IReadOnlyDictionary<string, string> Environment() => ModelIde.TestSupport.TestServers.Environment();
}
