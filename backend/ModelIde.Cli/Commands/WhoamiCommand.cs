using System.CommandLine;
using ModelIde.Cli.Credentials;
using ModelIde.Core;
using ModelIde.Core.Auth;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Protocol;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide whoami</c>: the user name of the stored login, confirmed with the hub.</summary>
public sealed class WhoamiCommand() : CliCommand("whoami", "Print the user name you are signed in as (exit 3 when not signed in).")
{
    private readonly Option<string?> _endpoint = CliOptions.Text("--endpoint", "URL", "hub (default: MODELSCOPE_ENDPOINT, else the hub of the last login)");
    private readonly PlainHttpOptions _plainHttp = new();

    public override string Notes => "Prints the user name on stdout after checking the stored token with the hub (users/me).";

    public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var endpointText = parse.GetValue(_endpoint);
        var store = CliCredentialStore.Open();
        var endpoint = CliEndpoint.Resolve(endpointText, store);
        var login = store.Load(endpoint)
            ?? throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired, $"Not signed in to {endpoint}. Run 'modelide login --endpoint {endpoint}'.");
        login = await StoredLoginRefresh.EnsureFreshAsync(store, login, cancellationToken).ConfigureAwait(false);
        using var http = ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(30));
        var api = new ModelScopeApiClient(http, new HubSession(endpoint));
        try
        {
            var user = await api.GetCurrentUserAsync(cancellationToken, login.AccessToken).ConfigureAwait(false);
            console.Out.WriteLine(TerminalText.Escape(user.UserName));
        }
        catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.AuthenticationRequired)
        {
            throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired,
                $"The stored login for {endpoint} ({login.UserName}) is no longer accepted: run 'modelide login' again.", ex);
        }

        return ExitCodes.Success;
    }
}
