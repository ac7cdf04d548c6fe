using System.CommandLine;
using ModelIde.Cli.Credentials;
using ModelIde.Core;
using ModelIde.Core.Auth;
using ModelIde.Core.Diagnostics;

namespace ModelIde.Cli.Commands;

/// <summary><c>modelide logout</c>: forgets the stored login for an endpoint (and revokes a browser login's tokens).</summary>
public sealed class LogoutCommand() : CliCommand("logout", "Forget the stored login for a hub.")
{
    private readonly Option<string?> _endpoint = CliOptions.Text("--endpoint", "URL", "hub (default: MODELSCOPE_ENDPOINT, else the hub of the last login)");
    private readonly PlainHttpOptions _plainHttp = new();

    public override string Notes => """
        Removes the token from the OS keyring or the credentials file. A browser login's tokens are also revoked at the
        hub when it offers revocation.
        """;

    public override async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var endpointText = parse.GetValue(_endpoint);
        var store = CliCredentialStore.Open();
        var endpoint = CliEndpoint.Resolve(endpointText, store);
        var login = store.Load(endpoint);
        console.Error.WriteLine(store.Remove(endpoint) ? $"Signed out of {endpoint}." : $"Not signed in to {endpoint}; nothing to forget.");
        if (login?.RefreshToken is not null)
        {
            // Forgotten locally either way; a refresh token left valid at the hub would outlive the logout.
            try
            {
                if (!await new OidcBrowserSignIn().RevokeAsync(endpoint, login.ClientId ?? OidcSignInOptions.DefaultClientId, login.AccessToken, login.RefreshToken, cancellationToken).ConfigureAwait(false))
                {
                    console.Error.WriteLine($"{endpoint.Host} offers no token revocation; the refresh token expires on its own.");
                }
            }
            catch (Exception ex) when (ex is ModelIdeException or HttpRequestException or IOException)
            {
                console.Error.WriteLine($"Could not revoke the tokens at {endpoint.Host}: {SecretRedactor.Redact(ex.Message)}");
            }
        }

        return ExitCodes.Success;
    }
}
