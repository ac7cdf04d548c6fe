using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ModelIde.Hub;
using ModelIde.TestSupport;

namespace ModelIde.Cli.Tests.Launcher;

/// <summary>
/// Each command family run twice, through the dll and through ./modelide, against the real local hub (and the test
/// sshd for jobs): the same exit code, the same stdout and the same progress, summary and error lines on stderr, once
/// numbers, per-run folders and job ids are set aside.
/// </summary>
[Collection(LauncherCollection.Name)]
public sealed partial class LauncherParityTests : IAsyncLifetime
{
    private static readonly CliHost[] s_hosts = [CliHost.Dll, CliHost.Launcher];
    private readonly string _root = Directory.CreateTempSubdirectory("modelide-parity-").FullName;
    private readonly Dictionary<CliHost, string> _ids = [];
    private LocalHub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 20 }, CancellationToken.None);
        foreach (var host in s_hosts)
        {
            Directory.CreateDirectory(Dir(host));
        }
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    [GeneratedRegex(@"^\[\d+/\d+\] ")]
    private static partial Regex DownloadProgressLine();

    [GeneratedRegex(@"^[A-Za-z ]+: \d+%$")]
    private static partial Regex ClonePhaseLine();

    /// <summary>This host's own folder (HOME, caches, clones, job state) under the test's temp folder.</summary>
    private string Dir(CliHost host) => Path.Combine(_root, host.ToString().ToLowerInvariant());

    /// <summary>A fresh HOME, no display, the file credential store, no token or endpoint from the caller.</summary>
    private Dictionary<string, string?> Env(CliHost host) => new()
    {
        ["HOME"] = Dir(host),
        ["XDG_CONFIG_HOME"] = Path.Combine(Dir(host), "config"),
        ["MODELIDE_CREDENTIAL_STORE"] = "file",
        ["MODELIDE_JOBS_STATE_DIR"] = Path.Combine(Dir(host), "jobs"),
        ["MODELSCOPE_ENDPOINT"] = _hub.BaseUri.ToString(),
        ["MODELSCOPE_API_TOKEN"] = null,
        ["MODELSCOPE_DOMAIN"] = null,
        ["MODELSCOPE_CACHE"] = null,
        ["MODELSCOPE_CREDENTIALS_PATH"] = null,
        ["DBUS_SESSION_BUS_ADDRESS"] = null,
        ["DISPLAY"] = null,
        ["WAYLAND_DISPLAY"] = null,
    };

    /// <summary>What a script compares: lines with this host's folder and job id named, digits as '#', progress lines counted apart.</summary>
    private (string Text, int Progress) Normalize(CliHost host, string text, Regex? progress)
    {
        var kept = new List<string>();
        var progressLines = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Replace(Dir(host), "<DIR>", StringComparison.Ordinal);
            if (_ids.TryGetValue(host, out var id))
            {
                line = line.Replace(id, "<JOB>", StringComparison.Ordinal);
            }

            if (progress?.IsMatch(line) == true)
            {
                progressLines++;
                continue;
            }

            kept.Add(Digits().Replace(line, "#"));
        }

        return (string.Join('\n', kept), progressLines);
    }

    /// <summary>
    /// Runs one step through both hosts and checks they agree; <paramref name="progress"/> matches progress lines
    /// (how many depends on timing: both must print some).
    /// </summary>
    private async Task<Dictionary<CliHost, CliResult>> StepAsync(Func<CliHost, string[]> args, int expectedCode, string? stderrHas = null, Regex? progress = null, string? stdin = null, string? token = null)
    {
        var results = new Dictionary<CliHost, CliResult>();
        foreach (var host in s_hosts)
        {
            var env = Env(host);
            env["MODELSCOPE_API_TOKEN"] = token;
            results[host] = await CliProcess.RunAsync(CliProcess.StartInfo(host, args(host), env), stdin);
        }

        var (dll, launcher) = (results[CliHost.Dll], results[CliHost.Launcher]);
        var what = $"modelide {string.Join(' ', args(CliHost.Dll))}";
        Assert.True(dll.Code == expectedCode, $"{what} through the dll: exit {dll.Code}, stderr: {dll.Err}");
        Assert.True(launcher.Code == expectedCode, $"{what} through ./modelide: exit {launcher.Code}, stderr: {launcher.Err}");
        Assert.Equal(Normalize(CliHost.Dll, dll.Out, null), Normalize(CliHost.Launcher, launcher.Out, null));
        var (dllErr, dllProgress) = Normalize(CliHost.Dll, dll.Err, progress);
        var (launcherErr, launcherProgress) = Normalize(CliHost.Launcher, launcher.Err, progress);
        Assert.Equal(dllErr, launcherErr);
        if (progress is not null)
        {
            Assert.True(dllProgress > 0 && launcherProgress > 0, $"{what}: progress lines {dllProgress} (dll), {launcherProgress} (./modelide)");
        }

        if (stderrHas is not null)
        {
            Assert.Contains(stderrHas, launcher.Err, StringComparison.Ordinal);
        }

        return results;
    }

    [Fact]
    public async Task Login_whoami_and_logout()
    {
        var endpoint = _hub.BaseUri.ToString();
        await StepAsync(h => ["login", "--endpoint", endpoint, "--token", "-"], 0, $"Signed in to {endpoint} as demo.\nToken stored in ", stdin: _hub.DemoToken + "\n");
        var whoami = await StepAsync(h => ["whoami"], 0);
        Assert.Equal("demo", whoami[CliHost.Launcher].Out.Trim());
        await StepAsync(h => ["logout"], 0, $"Signed out of {endpoint}.");
        await StepAsync(h => ["whoami"], ExitCodes.AuthenticationRequired, $"modelide whoami: Not signed in to {endpoint}.");
        await StepAsync(h => ["login", "--endpoint", endpoint, "--token", "ms-wrong-token-0123456789"], ExitCodes.AuthenticationRequired, "did not accept this access token");
    }

    [Fact]
    public async Task Models_list_and_files()
    {
        var list = await StepAsync(h => ["models", "list", "--search", "tiny-stdlib"], 0, "1-1 of 1 (page 1)");
        Assert.StartsWith("modelide/tiny-stdlib-coder ", list[CliHost.Launcher].Out, StringComparison.Ordinal);
        var files = await StepAsync(h => ["models", "files", "modelide/tiny-stdlib-coder"], 0);
        Assert.Contains("  model.onnx\n", files[CliHost.Launcher].Out, StringComparison.Ordinal);
        await StepAsync(h => ["models", "files", "modelide/no-such-model"], ExitCodes.NotFound, "(model does not exist)");
        await StepAsync(h => ["models", "list", "--page", "61", "--page-size", "50"], ExitCodes.Usage, "only the first 3000 results");
    }

    [Fact]
    public async Task Download_progress_summary_and_errors()
    {
        var done = await StepAsync(h => ["download", "modelide/tiny-stdlib-coder", "--cache-dir", Path.Combine(Dir(h), "cache")], 0, "Done: ", DownloadProgressLine());
        Assert.Equal(Path.Combine(Dir(CliHost.Launcher), "cache", "models", "modelide--tiny-stdlib-coder", "snapshots", "master"), done[CliHost.Launcher].Out.Trim());
        await StepAsync(h => ["download", "modelide/no-such-model", "--cache-dir", Path.Combine(Dir(h), "cache")], ExitCodes.NotFound, "(model does not exist)");
        await StepAsync(h => ["download", "not a model id"], ExitCodes.Usage, "modelide download: 'not a model id' is not a model id");
    }

    [Fact]
    public async Task Clone_progress_and_errors()
    {
        // The local hub clones for signed-in users only: the token comes from MODELSCOPE_API_TOKEN, the git token from the hub.
        var cloned = await StepAsync(h => ["clone", "modelide/tiny-stdlib-coder", Path.Combine(Dir(h), "repo")], 0, progress: ClonePhaseLine(), token: _hub.DemoToken);
        Assert.Equal(Path.Combine(Dir(CliHost.Launcher), "repo"), cloned[CliHost.Launcher].Out.Trim());
        Assert.True(File.Exists(Path.Combine(Dir(CliHost.Launcher), "repo", "model.onnx")));
        await StepAsync(h => ["clone", "modelide/no-such-model", Path.Combine(Dir(h), "none")], ExitCodes.NotFound, "modelide clone: git clone of modelide/no-such-model failed", token: _hub.DemoToken);
        Assert.False(Directory.Exists(Path.Combine(Dir(CliHost.Launcher), "none")));
    }

    [Fact]
    public async Task Finetune_and_jobs_on_the_test_sshd()
    {
        var env = TestServers.Environment();
        var hostPort = $"{env["MODELIDE_SSH_HOST"]}:{env["MODELIDE_SSH_PORT"]}";
        string[] Submit(CliHost h, string state) =>
            ["finetune", "submit", "--backend", $"ssh://{env["MODELIDE_SSH_USER"]}@{hostPort}", "--identity", env["MODELIDE_SSH_KEY"],
             "--model", "Qwen/Qwen2.5-0.5B-Instruct", "--dataset", env["MODELIDE_SSH_DATASET"], "--max-steps", "3",
             "--swift-arg=--logging_steps", "--swift-arg=1", "--state-dir", Path.Combine(Dir(h), state)];

        // A host nobody trusted yet: refused with its fingerprint, nothing submitted.
        await StepAsync(h => Submit(h, "untrusted"), ExitCodes.Failure, env["MODELIDE_SSH_HOST_FINGERPRINT"]);
        await StepAsync(h => ["jobs", "trust-host", hostPort, "--fingerprint", env["MODELIDE_SSH_HOST_FINGERPRINT"], "--state-dir", Path.Combine(Dir(h), "jobs")], 0, $"Trusted {hostPort} ");

        // Submit prints the job on stdout; each host's job id is set aside before comparing.
        foreach (var host in s_hosts)
        {
            var r = await CliProcess.RunAsync(CliProcess.StartInfo(host, Submit(host, "jobs"), Env(host)));
            Assert.True(r.Code == 0, r.Err);
            _ids[host] = r.Out.Split('\n').Single(l => l.StartsWith("job ", StringComparison.Ordinal))["job ".Length..].Trim();
            Assert.Equal($"Follow it with: modelide jobs logs {_ids[host]} -f", r.Err.Trim());
        }

        var followed = await StepAsync(h => ["jobs", "logs", _ids[h], "-f", "--state-dir", Path.Combine(Dir(h), "jobs")], 0, $"job {_ids[CliHost.Launcher]}: completed");
        Assert.Contains("last_model_checkpoint", followed[CliHost.Launcher].Out, StringComparison.Ordinal);
        await StepAsync(h => ["jobs", "list", "--state-dir", Path.Combine(Dir(h), "jobs")], 0);
        await StepAsync(h => ["jobs", "show", "no-such-job", "--state-dir", Path.Combine(Dir(h), "jobs")], ExitCodes.NotFound, "modelide jobs show: ");
        await StepAsync(h => ["finetune", "submit", "--backend", "ssh://a@h", "--model", "m", "--dataset", "d", "--nodes", "3", "--dry-run"], ExitCodes.Usage, "error: ");
    }

    [Fact]
    public async Task Help_of_every_command_is_the_same_on_both_builds()
    {
        // The native build orders a command's options and positional arguments by its reflection, the .NET build by
        // metadata tokens (CliCommand.DeclaredFieldValues): the generated help shows both orders.
        string[][] commands =
        [
            [], ["clone"], ["completion"], ["devices"], ["download"], ["finetune"], ["finetune", "presets"], ["finetune", "submit"],
            ["gpu"], ["gpu", "status"], ["gpu", "enable"], ["gpu", "remove"], ["infer"], ["jobs"], ["jobs", "list"], ["jobs", "show"],
            ["jobs", "logs"], ["jobs", "cancel"], ["jobs", "fetch"], ["jobs", "trust-host"], ["jobs", "host-env"], ["login"],
            ["logout"], ["models"], ["models", "list"], ["models", "files"], ["whoami"],
        ];
        foreach (var command in commands)
        {
            await StepAsync(h => [.. command, "--help"], 0);
        }
    }

    [Fact]
    public async Task Devices_and_infer()
    {
        await StepAsync(h => ["devices"], 0);
        var infer = await StepAsync(h => ["infer", "--model", RepoPaths.TinyModelDir(), "--prompt", "def add(a, b):\n", "--max-new-tokens", "8", "--device", "cpu"], 0, "8 tokens, ");
        Assert.Contains("device: cpu", infer[CliHost.Launcher].Err, StringComparison.Ordinal);
        Assert.Equal(infer[CliHost.Dll].Out, infer[CliHost.Launcher].Out);
        await StepAsync(h => ["infer", "--model", Path.Combine(Dir(h), "no-model"), "--prompt", "x"], ExitCodes.Usage, "modelide infer: ");
    }

    [Fact]
    public async Task Hub_prints_its_url_stops_on_sigterm_and_says_when_its_port_is_taken()
    {
        var results = new Dictionary<CliHost, (string Url, string Ready, int Code)>();
        foreach (var host in s_hosts)
        {
            var psi = CliProcess.StartInfo(host, ["hub", "--port", "0", "--catalogue-size", "5", "--data", Path.Combine(Dir(host), "hub")], Env(host));
            using var p = Process.Start(psi)!;
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                var url = await p.StandardOutput.ReadLineAsync(cts.Token) ?? string.Empty;
                var ready = await p.StandardError.ReadLineAsync(cts.Token) ?? string.Empty;
                using (var http = new HttpClient())
                {
                    Assert.Contains("tiny-stdlib-coder", await http.GetStringAsync(new Uri(new Uri(url), "openapi/v1/models?search=tiny"), cts.Token), StringComparison.Ordinal);
                }

                // SIGTERM: the launcher execs dotnet, so its pid is the CLI's.
                using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync(cts.Token);
                }

                await p.WaitForExitAsync(cts.Token);
                results[host] = (url, ready, p.ExitCode);
            }
            finally
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
        }

        Assert.All(results.Values, r => Assert.StartsWith("http://127.0.0.1:", r.Url, StringComparison.Ordinal));
        Assert.All(results.Values, r => Assert.StartsWith("Local hub ready at http://127.0.0.1:", r.Ready, StringComparison.Ordinal));
        Assert.All(results.Values, r => Assert.Equal(0, r.Code));
        Assert.Equal(Digits().Replace(results[CliHost.Dll].Ready, "#"), Digits().Replace(results[CliHost.Launcher].Ready, "#"));

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await StepAsync(h => ["hub", "--port", port, "--data", Path.Combine(Dir(h), "hub2")], ExitCodes.Failure, $"modelide hub: Could not listen on 127.0.0.1:{port}");
    }
}
