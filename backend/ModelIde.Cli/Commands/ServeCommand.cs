using System.CommandLine;
using System.Runtime.CompilerServices;
using ModelIde.Sidecar;
using ModelIde.Sidecar.Hosting;

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

    // The native build compiles this branch away, and with it StreamJsonRpc and the sidecar (CliCommand.NeedsDotnetBuild).
    public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken) =>
        RuntimeFeature.IsDynamicCodeSupported ? RunSidecarAsync(parse, cancellationToken) : throw NeedsDotnetBuild();

    private Task<int> RunSidecarAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = new SidecarOptions(
            Endpoint: parse.GetValue(_endpoint),
            ClientProcessId: parse.GetValue(_clientProcessId),
            LogLevel: parse.GetValue(_logLevel) ?? "info");

        // The same host as modelide-sidecar (the extension's): stdout guarded for JSON-RPC, the log on stderr.
        return SidecarStdioHost.RunAsync(options, cancellationToken);
    }
}
