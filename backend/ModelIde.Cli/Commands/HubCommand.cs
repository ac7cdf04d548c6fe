using ModelIde.Core;
using ModelIde.Hub;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide hub</c>: starts the local ModelScope-compatible hub on 127.0.0.1.</summary>
public sealed class HubCommand : CliCommand
{
    /// <summary>The demo token from the environment: other processes' command lines are visible to every user.</summary>
    public const string DemoTokenVariable = "MODELIDE_HUB_DEMO_TOKEN";

    public override string Name => "hub";

    public override string Summary => "Start the local ModelScope-compatible hub on 127.0.0.1 and print its URL.";

    public override string Usage => """
        Usage: modelide hub [--port N] [--blob-port N] [--data DIR] [--demo-token TOKEN] [--demo-password PW]
                            [--models DIR] [--catalogue-size N]

          --port N            port on 127.0.0.1 (default 8765; 0 picks a free one)
          --blob-port N       port of the blob host downloads are redirected to (default: a free one)
          --data DIR          folder for the hub's state (default: a folder under the system temp dir)
          --demo-token TOKEN  access token of the seeded user 'demo' (default: $MODELIDE_HUB_DEMO_TOKEN, which keeps
                              it off the command line, else ms-demo-0000000000)
          --demo-password PW  demo's password on the OAuth sign-in page (default demo-password)
          --models DIR        folder with the models to serve (default: the repository's models/)
          --catalogue-size N  generated metadata-only models for search and paging (default 10000)
        """;

    public override async Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var options = new LocalHubOptions
        {
            Port = args.IntOption("port", 0, 65535) ?? 8765,
            BlobPort = args.IntOption("blob-port", 0, 65535) ?? 0,
            DemoPassword = args.Option("demo-password") ?? LocalHubOptions.DefaultDemoPassword,
            DataDirectory = args.Option("data"),
            DemoToken = args.Option("demo-token") ?? NonEmpty(Environment.GetEnvironmentVariable(DemoTokenVariable)) ?? LocalHubOptions.DefaultDemoToken,
            ModelsDirectory = args.Option("models"),
            CatalogueSize = args.IntOption("catalogue-size", 0, 1_000_000) ?? 10_000,
        };
        args.EnsureNoUnknownOptions();

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
