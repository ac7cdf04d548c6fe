using System.CommandLine;
using System.Diagnostics;
using ModelIde.Sidecar;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide serve</c>: the sidecar the VS Code extension starts; JSON-RPC over stdin/stdout. A thin call into ModelIde.Sidecar.</summary>
public sealed class ServeCommand() : CliCommand("serve", "Run the sidecar for the VS Code extension (JSON-RPC on stdin/stdout).")
{
    private readonly Option<string?> _endpoint = CliOptions.Text("--endpoint", "URL", "hub URL (else MODELSCOPE_ENDPOINT, else https://modelscope.cn)");
    private readonly Option<int?> _clientProcessId = CliOptions.Int("--clientProcessId", "PID", "exit when this process exits", min: 1);
    private readonly Option<string?> _logLevel = CliOptions.Text("--log-level", "LEVEL", "trace, debug, info (default), warn or error")
        .Suggest("trace", "debug", "info", "warn", "error");

    public override string Notes => """
        Speaks header-delimited JSON-RPC on stdin/stdout; logs (redacted) go to stderr.
        Exits when stdin closes or when the client process PID exits.
        """;

    public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var options = new SidecarOptions(
            Endpoint: parse.GetValue(_endpoint),
            ClientProcessId: parse.GetValue(_clientProcessId),
            LogLevel: parse.GetValue(_logLevel) ?? "info");

        using var context = new SidecarContext(options);
        using var stdin = Console.OpenStandardInput();
        using var stdout = Console.OpenStandardOutput();
        using var rpc = SidecarServer.Attach(stdout, stdin, context);
        console.Error.WriteLine($"[info] modelide sidecar {Sidecar.Rpc.SidecarRpcTarget.Version} started (pid {Environment.ProcessId}), endpoint {context.Session.Endpoint}");

        var clientGone = WatchClientAsync(options.ClientProcessId, cancellationToken);
        var finished = await Task.WhenAny(rpc.Completion, clientGone, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        console.Error.WriteLine(finished == clientGone ? "[info] client process exited; sidecar stopping" : "[info] connection closed; sidecar stopping");
        return ExitCodes.Success;
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
