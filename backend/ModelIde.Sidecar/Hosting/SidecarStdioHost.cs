using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ModelIde.Sidecar.Logging;
using ModelIde.Sidecar.Rpc;

namespace ModelIde.Sidecar.Hosting;

/// <summary>
/// The sidecar process as the extension starts it: JSON-RPC on stdin/stdout (stdout guarded), the log on stderr.
/// Runs until stdin closes, the client process exits or the token is cancelled.
/// </summary>
public static class SidecarStdioHost
{
    public static async Task<int> RunAsync(SidecarOptions options, CancellationToken cancellationToken)
    {
        var stdout = StdoutGuard.TakeStdout();
        var level = SidecarLogging.Parse(options.LogLevel);
        using var logging = new SidecarLogging(Console.Error, level ?? LogLevel.Information);
        var log = logging.Factory.CreateLogger("Sidecar");
        if (level is null)
        {
            log.LogWarning("Unknown log level '{Level}'; logging at info (use trace, debug, info, warn or error).", options.LogLevel);
        }

        using var context = new SidecarContext(options, logging);
        await using var output = stdout;
        using var input = Console.OpenStandardInput();
        using var rpc = SidecarServer.Attach(output, input, context);
        log.LogInformation("modelide sidecar {Version} started (pid {ProcessId}), endpoint {Endpoint}, log level {Level}",
            SidecarRpcTarget.Version, Environment.ProcessId, context.Session.Endpoint, logging.Minimum);

        var clientGone = WatchClientAsync(options.ClientProcessId, cancellationToken);
        var finished = await Task.WhenAny(rpc.Completion, clientGone, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        log.LogInformation(finished == clientGone ? "Client process exited; sidecar stopping." : "Connection closed; sidecar stopping.");
        return 0;
    }

    private static async Task WatchClientAsync(int? pid, CancellationToken cancellationToken)
    {
        if (pid is null)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var p = Process.GetProcessById(pid.Value);
                if (p.HasExited)
                {
                    return;
                }
            }
            catch (ArgumentException)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
    }
}
