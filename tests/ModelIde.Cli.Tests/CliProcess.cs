using System.Diagnostics;
using ModelIde.TestSupport;

namespace ModelIde.Cli.Tests;

/// <summary>How a test runs modelide: the built dll next to the tests, or the ./modelide launcher at the repository root.</summary>
public enum CliHost
{
    Dll,
    Launcher,
}

public sealed record CliResult(int Code, string Out, string Err);

/// <summary>Starts modelide as a child process, as a user or a script runs it.</summary>
public static class CliProcess
{
    /// <summary>The launcher users run: it builds the CLI when sources changed (natively where it can), then runs it.</summary>
    public static string Launcher => Path.Combine(RepoPaths.Root(), "modelide");

    /// <summary>The native (AOT) build the launcher makes where a C compiler is installed.</summary>
    public static string NativeBuild => Path.Combine(RepoPaths.Root(), ".build", "cli-native", "modelide");

    /// <summary>A start info for <paramref name="args"/>; in <paramref name="env"/> a null value removes the variable.</summary>
    public static ProcessStartInfo StartInfo(CliHost host, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        args = args.ToArray();
        // MODELIDE_TEST_CLI_EXE runs the Dll-host tests on the native (AOT) build the launcher makes, except `hub` and
        // `serve`, which the launcher runs on the .NET build too (scripts/test.d/10-dotnet.sh runs the suite both ways).
        var native = Environment.GetEnvironmentVariable("MODELIDE_TEST_CLI_EXE") is { Length: > 0 } exe && args.FirstOrDefault() is not ("hub" or "serve") ? exe : null;
        var psi = new ProcessStartInfo(host == CliHost.Launcher ? Launcher : native ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (host == CliHost.Dll && native is null)
        {
            // MODELIDE_TEST_CLI_DLL runs the tests against another build (to see a test fail on the code before a fix).
            psi.ArgumentList.Add(Environment.GetEnvironmentVariable("MODELIDE_TEST_CLI_DLL") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "modelide.dll"));
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (name, value) in env ?? new Dictionary<string, string?>())
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

        return psi;
    }

    /// <summary>Runs to the end with stdin closed (or holding <paramref name="stdin"/>); fails the test after <paramref name="timeout"/>.</summary>
    public static async Task<CliResult> RunAsync(ProcessStartInfo psi, string? stdin = null, TimeSpan? timeout = null)
    {
        using var p = Process.Start(psi)!;
        try
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (psi.RedirectStandardInput)
            {
                if (stdin is not null)
                {
                    await p.StandardInput.WriteAsync(stdin);
                }

                p.StandardInput.Close();
            }
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
            await p.WaitForExitAsync(cts.Token);
            return new CliResult(p.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    public static Task<CliResult> RunAsync(CliHost host, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null, string? stdin = null) =>
        RunAsync(StartInfo(host, args, env), stdin);
}
