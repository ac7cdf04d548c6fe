using System.CommandLine;
using ModelIde.Core.Diagnostics;
using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Cli;

/// <summary>
/// Endpoint and token for CLI commands: <c>--endpoint</c> / <c>--token</c>, else MODELSCOPE_ENDPOINT (or
/// MODELSCOPE_DOMAIN, else the last login's endpoint) / MODELSCOPE_API_TOKEN, else the login stored by `modelide login`.
/// </summary>
public sealed class CliHubConnection : IDisposable
{
    private CliHubConnection(HubSession session, HttpClient http)
    {
        Session = session;
        Http = http;
        Api = new ModelScopeApiClient(http, session);
    }

    public HubSession Session { get; }

    public HttpClient Http { get; }

    public ModelScopeApiClient Api { get; }

    public static async Task<CliHubConnection> CreateAsync(string? endpoint, string? token, CancellationToken cancellationToken)
    {
        Uri resolved;
        var store = Credentials.CliCredentialStore.Open();
        try
        {
            // Same rule as login/whoami: --endpoint, else MODELSCOPE_ENDPOINT/DOMAIN, else the last login's endpoint.
            resolved = Commands.CliEndpoint.Resolve(endpoint, store);
        }
        catch (UriFormatException ex)
        {
            throw new CliUsageException($"--endpoint / MODELSCOPE_ENDPOINT is not a URL: {ex.Message}");
        }

        var session = new HubSession(resolved);
        token ??= Environment.GetEnvironmentVariable("MODELSCOPE_API_TOKEN");
        string? userName = null;
        string? gitToken = null;
        if (string.IsNullOrWhiteSpace(token) && store.Load(resolved) is { } stored)
        {
            // The login saved by `modelide login` for this endpoint (keyring or 0600 file), refreshed first when it is
            // a browser login near expiry.
            stored = await Credentials.StoredLoginRefresh.EnsureFreshAsync(store, stored, cancellationToken).ConfigureAwait(false);
            token = stored.AccessToken;
            userName = stored.UserName;
            gitToken = stored.GitToken;
        }

        if (!string.IsNullOrWhiteSpace(token))
        {
            SecretRedactor.AddKnownSecret(token);
            session.SignIn(token.Trim(), userName, gitToken);
        }

        return new CliHubConnection(session, ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(60)));
    }

    public void Dispose() => Http.Dispose();
}

/// <summary><c>--endpoint</c>, <c>--token</c> and <c>--allow-http</c> of the commands that call the hub.</summary>
public sealed class HubConnectionOptions : CliOptionGroup
{
    public Option<string?> Endpoint { get; } = CliOptions.Text("--endpoint", "URL", "hub URL (else MODELSCOPE_ENDPOINT, else the hub of the last login, else https://modelscope.cn)");

    public Option<string?> Token { get; } = CliOptions.Text("--token", "TOKEN", "access token (else MODELSCOPE_API_TOKEN, else the login stored by 'modelide login')");

    private readonly PlainHttpOptions _plainHttp = new();

    public override IEnumerable<Option> Options => [Endpoint, Token, .. _plainHttp.Options];

    public Task<CliHubConnection> ConnectAsync(ParseResult parse, CancellationToken cancellationToken) =>
        CliHubConnection.CreateAsync(parse.GetValue(Endpoint), parse.GetValue(Token), cancellationToken);
}
