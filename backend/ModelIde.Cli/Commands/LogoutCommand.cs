using ModelIde.Cli.Credentials;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide logout</c>: forgets the stored login for an endpoint.</summary>
public sealed class LogoutCommand : CliCommand
{
    public override string Name => "logout";

    public override string Summary => "Forget the stored login for a hub.";

    public override string Usage => """
        Usage: modelide logout [--endpoint URL]

        Removes the token from the OS keyring or the credentials file. Endpoint as for whoami.
        """;

    public override Task<int> RunAsync(CliArguments args, CliConsole console, CancellationToken cancellationToken)
    {
        var endpointText = args.Option("endpoint");
        args.EnsureNoUnknownOptions();
        var store = CliCredentialStore.Open();
        var endpoint = CliEndpoint.Resolve(endpointText, store);
        console.Error.WriteLine(store.Remove(endpoint) ? $"Signed out of {endpoint}." : $"Not signed in to {endpoint}; nothing to forget.");
        return Task.FromResult(ExitCodes.Success);
    }
}
