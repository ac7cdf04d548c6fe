using System.Globalization;
using System.Runtime.InteropServices;
using ModelIde.Sidecar.Rpc;

namespace ModelIde.Sidecar.Hosting;

/// <summary>
/// The arguments of <c>modelide-sidecar</c>, the process the extension starts:
/// <c>[serve] [--endpoint URL] [--clientProcessId PID] [--log-level trace|debug|info|warn|error]</c>, or <c>--version</c>.
/// A leading <c>serve</c> is accepted so the same command line starts this host or <c>modelide serve</c>.
/// </summary>
public static class SidecarCommandLine
{
    public const string Usage = """
        Usage: modelide-sidecar [serve] [--endpoint URL] [--clientProcessId PID] [--log-level trace|debug|info|warn|error]
               modelide-sidecar --version

        The ModelIde sidecar for the VS Code extension: header-delimited JSON-RPC on stdin/stdout, its log on stderr.
        Exits when stdin closes or when the client process PID exits.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--version"])
        {
            await Console.Out.WriteLineAsync(SidecarRpcTarget.Version).ConfigureAwait(false);
            return 0;
        }

        if (args is ["--help" or "-h"])
        {
            await Console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        if (!TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync($"modelide-sidecar: {error}{Environment.NewLine}{Usage}").ConfigureAwait(false);
            return 2;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            cts.Cancel();
        });
        return await SidecarStdioHost.RunAsync(options, cts.Token).ConfigureAwait(false);
    }

    public static bool TryParse(IReadOnlyList<string> args, out SidecarOptions options, out string? error)
    {
        options = new SidecarOptions();
        error = null;
        var i = args.Count > 0 && args[0] == "serve" ? 1 : 0;
        for (; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                error = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--endpoint":
                    options = options with { Endpoint = value };
                    break;
                case "--clientProcessId":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid < 1)
                    {
                        error = $"--clientProcessId must be a process id, not '{value}'.";
                        return false;
                    }

                    options = options with { ClientProcessId = pid };
                    break;
                case "--log-level":
                    options = options with { LogLevel = value };
                    break;
                default:
                    error = $"unknown option '{name}'.";
                    return false;
            }
        }

        return true;
    }
}
