using ModelIde.Sidecar;
using ModelIde.Sidecar.Hosting;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide serve</c>: the sidecar the VS Code extension starts; JSON-RPC over stdin/stdout.</summary>
public sealed class ServeCommand : CliCommand
{
    public override string Name => "serve";

    public override string Summary => "Run the sidecar for the VS Code extension (JSON-RPC on stdin/stdout).";

    public override string Usage => """
        Usage: modelide serve [--endpoint URL] [--clientProcessId PID] [--log-level trace|debug|info|warn|error]

        Speaks header-delimited JSON-RPC on stdin/stdout; logs (redacted) go to stderr.
        Exits when stdin closes or when the client process PID exits.
        """;

    public override Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var options = new SidecarOptions(
            Endpoint: args.Option("endpoint"),
            ClientProcessId: args.IntOption("clientProcessId", 1),
            LogLevel: args.Option("log-level") ?? "info");
        args.EnsureNoUnknownOptions();

        // The same host as modelide-sidecar (the extension's): stdout guarded for JSON-RPC, the log on stderr.
        return SidecarStdioHost.RunAsync(options, cancellationToken);
    }
}
