using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ModelIde.Sidecar.Tests.Rpc;

/// <summary>The real sidecar process, modelide-sidecar over stdio, as the extension starts it from the VSIX.</summary>
public sealed partial class SidecarProcessTests
{
    internal static Process StartSidecar(params string[] extra) => StartSidecar(new Dictionary<string, string?>(), extra);

    /// <summary>
    /// The published, trimmed executable (what the VSIX ships; scripts/test.d/30-e2e.sh points here at the one it packaged)
    /// when set, else the build output through <c>dotnet</c>.
    /// </summary>
    internal static string? PublishedExecutable => Environment.GetEnvironmentVariable("MODELIDE_SIDECAR_EXE") is { Length: > 0 } exe ? exe : null;

    /// <summary>As above, with environment changes: a null value removes the variable.</summary>
    internal static Process StartSidecar(IReadOnlyDictionary<string, string?> env, params string[] extra)
    {
        var psi = new ProcessStartInfo(PublishedExecutable ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (PublishedExecutable is null)
        {
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "modelide-sidecar.dll"));
        }

        foreach (var e in extra)
        {
            psi.ArgumentList.Add(e);
        }

        foreach (var (name, value) in env)
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }

        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Sidecar_process_answers_survives_garbage_and_exits_when_stdin_closes()
    {
        using var p = StartSidecar("--endpoint", "http://127.0.0.1:9");
        try
        {
            var input = p.StandardInput.BaseStream;
            var output = p.StandardOutput.BaseStream;
            await SidecarRpcTests.WriteFramedAsync(input, "garbage");
            using (var err = JsonDocument.Parse(await SidecarRpcTests.ReadFramedAsync(output)))
            {
                Assert.Equal(-32700, err.RootElement.GetProperty("error").GetProperty("code").GetInt32());
            }

            await SidecarRpcTests.WriteFramedAsync(input, """{"jsonrpc":"2.0","id":1,"method":"sidecar/ping"}""");
            using (var pong = JsonDocument.Parse(await SidecarRpcTests.ReadFramedAsync(output)))
            {
                Assert.Equal(p.Id, pong.RootElement.GetProperty("result").GetProperty("processId").GetInt32());
            }

            p.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Nothing_but_json_rpc_reaches_stdout_while_a_library_writes_to_the_console()
    {
        var signal = Path.Combine(Path.GetTempPath(), $"modelide-noise-{Guid.NewGuid():N}");
        var env = new Dictionary<string, string?>
        {
            ["DOTNET_STARTUP_HOOKS"] = typeof(StartupHook).Assembly.Location,
            ["MODELIDE_TEST_CONSOLE_NOISE"] = signal,
        };
        using var p = StartSidecar(env, "--endpoint", "http://127.0.0.1:9");
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            var input = p.StandardInput.BaseStream;
            var output = p.StandardOutput.BaseStream;
            for (var id = 1; id <= 100; id++)
            {
                await SidecarRpcTests.WriteFramedAsync(input, $$"""{"jsonrpc":"2.0","id":{{id}},"method":"sidecar/ping"}""");
                using var pong = JsonDocument.Parse(await ReadStrictlyFramedAsync(output));
                Assert.Equal(id, pong.RootElement.GetProperty("id").GetInt32());
                if (id == 1)
                {
                    await File.WriteAllTextAsync(signal, "the sidecar is up: make noise");
                }

                await Task.Delay(5);
            }

            p.StandardInput.Close();
            using var rest = new MemoryStream();
            await output.CopyToAsync(rest);
            Assert.Equal("", Encoding.UTF8.GetString(rest.ToArray()));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await p.WaitForExitAsync(cts.Token);
        }
        finally
        {
            File.Delete(signal);
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }

        // The noise was written all along: it went to the log.
        var log = await stderr;
        Assert.Contains("console noise", log, StringComparison.Ordinal);
        Assert.Contains("native noise on fd 1", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_level_follows_set_log_level_without_a_restart()
    {
        using var p = StartSidecar("--endpoint", "http://127.0.0.1:9", "--log-level", "info");
        var lines = new ConcurrentQueue<string>();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        p.BeginErrorReadLine();
        try
        {
            var input = p.StandardInput.BaseStream;
            var output = p.StandardOutput.BaseStream;
            var id = 0;
            async Task PingAsync()
            {
                await SidecarRpcTests.WriteFramedAsync(input, $$"""{"jsonrpc":"2.0","id":{{++id}},"method":"sidecar/ping"}""");
                await SidecarRpcTests.ReadFramedAsync(output);
            }

            Task SetLevelAsync(string level) => SidecarRpcTests.WriteFramedAsync(input, $$$"""{"jsonrpc":"2.0","method":"sidecar/setLogLevel","params":{"level":"{{{level}}}"}}""");
            int PingsLogged() => lines.Count(l => PingLogged().IsMatch(l));
            async Task UntilAsync(Func<bool> condition)
            {
                for (var i = 0; i < 300 && !condition(); i++)
                {
                    await Task.Delay(50);
                }

                Assert.True(condition(), string.Join("\n", lines));
            }

            await PingAsync();             // info: not logged
            await SetLevelAsync("debug");
            await PingAsync();             // logged
            await UntilAsync(() => PingsLogged() == 1);
            await SetLevelAsync("warn");
            await PingAsync();             // not logged
            await SetLevelAsync("debug");
            await PingAsync();             // logged
            await UntilAsync(() => PingsLogged() == 2);
            Assert.Contains(lines, l => l.Contains("[info] SidecarRpcTarget: Log level is now Debug.", StringComparison.Ordinal));
            Assert.Equal(1, lines.Count(l => l.Contains("started (pid", StringComparison.Ordinal)));
        }
        finally
        {
            p.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Reads one message and fails on anything that is not exactly a JSON-RPC header and body.</summary>
    private static async Task<string> ReadStrictlyFramedAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new List<byte>();
        var one = new byte[1];
        while (!(header.Count >= 4 && header[^4] == '\r' && header[^3] == '\n' && header[^2] == '\r' && header[^1] == '\n'))
        {
            Assert.True(await stream.ReadAsync(one, cts.Token) == 1, "stdout closed inside a header");
            header.Add(one[0]);
        }

        var text = Encoding.ASCII.GetString([.. header]);
        var match = StrictHeader().Match(text);
        Assert.True(match.Success, $"not a JSON-RPC header: {text}");
        var body = new byte[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)];
        await stream.ReadExactlyAsync(body, cts.Token);
        return Encoding.UTF8.GetString(body);
    }

    [GeneratedRegex(@"\A(?:Content-Type: [^\r\n]*\r\n)?Content-Length: (\d+)\r\n(?:Content-Type: [^\r\n]*\r\n)?\r\n\z")]
    private static partial Regex StrictHeader();

    [GeneratedRegex(@"^\[debug\] SidecarServer: sidecar/ping answered in [\d.]+ ms$")]
    private static partial Regex PingLogged();

    [Fact]
    public async Task Sidecar_exits_when_its_client_process_dies()
    {
        using var client = Process.Start(new ProcessStartInfo("sleep", "1") { UseShellExecute = false })!;
        using var p = StartSidecar("--clientProcessId", client.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await client.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await p.WaitForExitAsync(cts.Token);
            Assert.True(p.HasExited);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }
}
