using System.CommandLine;
using System.Runtime.CompilerServices;
using ModelIde.Core;
using ModelIde.Hub;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide hub</c>: starts the local ModelScope-compatible hub on 127.0.0.1.</summary>
public sealed class HubCommand() : CliCommand("hub", "Start the local ModelScope-compatible hub on 127.0.0.1 and print its URL.")
{
    /// <summary>The demo token from the environment: other processes' command lines are visible to every user.</summary>
    public const string DemoTokenVariable = "MODELIDE_HUB_DEMO_TOKEN";

    private readonly Option<int?> _port = CliOptions.Int("--port", "N", "port on 127.0.0.1 (default 8765; 0 picks a free one)", min: 0, max: 65535);
    private readonly Option<int?> _blobPort = CliOptions.Int("--blob-port", "N", "port of the blob host downloads are redirected to (default: a free one)", min: 0, max: 65535);
    private readonly Option<string?> _data = CliOptions.Text("--data", "DIR", "folder for the hub's state (default: a folder under the system temp dir)");
    private readonly Option<string?> _demoToken = CliOptions.Text("--demo-token", "TOKEN", $"access token of the seeded user 'demo' (default: ${DemoTokenVariable}, which keeps it off the command line, else {LocalHubOptions.DefaultDemoToken})");
    private readonly Option<string?> _demoPassword = CliOptions.Text("--demo-password", "PW", $"demo's password on the OAuth sign-in page (default {LocalHubOptions.DefaultDemoPassword})");
    private readonly Option<string?> _models = CliOptions.Text("--models", "DIR", "folder with the models to serve (default: the repository's models/)");
    private readonly Option<int?> _catalogueSize = CliOptions.Int("--catalogue-size", "N", "generated metadata-only models for search and paging (default 10000)", min: 0, max: 1_000_000);

    public override string Notes => "Prints the hub's URL on stdout, then a ready line on stderr; Ctrl+C or SIGTERM stops it.";

    // The native build compiles this branch away, and with it ASP.NET Core and EF Core (CliCommand.NeedsDotnetBuild).
    public override Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken) =>
        RuntimeFeature.IsDynamicCodeSupported ? RunHubAsync(parse, console, cancellationToken) : throw NeedsDotnetBuild();

    private async Task<int> RunHubAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var options = new LocalHubOptions
        {
            Port = parse.GetValue(_port) ?? 8765,
            BlobPort = parse.GetValue(_blobPort) ?? 0,
            DemoPassword = parse.GetValue(_demoPassword) ?? LocalHubOptions.DefaultDemoPassword,
            DataDirectory = parse.GetValue(_data),
            DemoToken = parse.GetValue(_demoToken) ?? NonEmpty(Environment.GetEnvironmentVariable(DemoTokenVariable)) ?? LocalHubOptions.DefaultDemoToken,
            ModelsDirectory = parse.GetValue(_models),
            CatalogueSize = parse.GetValue(_catalogueSize) ?? 10_000,
        };

        LocalHub hubInstance;
        try
        {
            hubInstance = await LocalHub.StartAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new ModelIdeException(ModelIdeErrorKind.Conflict,
                $"Could not listen on 127.0.0.1:{options.Port} (or the blob port): {ex.Message} Pass --port 0 to pick a free port.", ex);
        }

        await using var hub = hubInstance;
        console.Out.WriteLine(hub.BaseUri.ToString());
        await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        console.Error.WriteLine($"Local hub ready at {hub.BaseUri} (blobs at {hub.BlobBaseUri}); user 'demo' (token from --demo-token or $MODELIDE_HUB_DEMO_TOKEN, password from --demo-password). Ctrl+C stops it.");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return ExitCodes.Success;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
