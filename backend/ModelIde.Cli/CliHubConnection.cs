using ModelIde.Core.Diagnostics;
using ModelIde.Core.Hub;

namespace ModelIde.Cli;

/// <summary>
/// Endpoint and token for CLI commands: <c>--endpoint</c> / <c>--token</c>, else MODELSCOPE_ENDPOINT (or
/// MODELSCOPE_DOMAIN) / MODELSCOPE_API_TOKEN. One place, so a stored login can be added here later.
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

    /// <summary>Reads <c>--endpoint</c> and <c>--token</c> from <paramref name="args"/> (call before EnsureNoUnknownOptions).</summary>
    public static CliHubConnection FromArguments(CliArguments args)
    {
        var endpoint = args.Option("endpoint");
        var token = args.Option("token");
        return Create(endpoint, token);
    }

    public static CliHubConnection Create(string? endpoint, string? token)
    {
        Uri resolved;
        try
        {
            resolved = HubEndpoints.Resolve(endpoint);
        }
        catch (UriFormatException ex)
        {
            throw new CliUsageException($"--endpoint / MODELSCOPE_ENDPOINT is not a URL: {ex.Message}");
        }

        var session = new HubSession(resolved);
        token ??= Environment.GetEnvironmentVariable("MODELSCOPE_API_TOKEN");
        if (!string.IsNullOrWhiteSpace(token))
        {
            SecretRedactor.AddKnownSecret(token);
            session.SignIn(token.Trim(), userName: null, gitToken: null);
        }

        return new CliHubConnection(session, ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(60)));
    }

    public void Dispose() => Http.Dispose();
}
