using System.Diagnostics;
using System.Text.Json;

namespace ModelIde.Sidecar.Tests.Rpc;

/// <summary>The real sidecar process: `modelide serve` over stdio, as the extension starts it.</summary>
public sealed class SidecarProcessTests
{
    internal static Process StartSidecar(params string[] extra) => StartSidecar(new Dictionary<string, string?>(), extra);

    /// <summary>As above, with environment changes: a null value removes the variable.</summary>
    internal static Process StartSidecar(IReadOnlyDictionary<string, string?> env, params string[] extra)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "modelide.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("serve");
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
