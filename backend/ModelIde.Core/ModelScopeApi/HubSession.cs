namespace ModelIde.Core.ModelScopeApi;

/// <summary>
/// Which hub we talk to and who we are there. Held in memory only: the extension keeps the token in
/// SecretStorage and hands it over after each start; the CLI loads it from its own credential store.
/// </summary>
public sealed class HubSession
{
    private readonly Lock _gate = new();
    private Uri _endpoint;
    private string? _accessToken;
    private string? _userName;
    private string? _gitToken;
    private bool _rejectionReported;

    public HubSession(Uri endpoint)
    {
        _endpoint = HubEndpoints.Normalize(endpoint);
    }

    public event EventHandler? Changed;

    /// <summary>
    /// The hub refused the signed-in session's token (401 or "not logged in"): raised once per session, however many
    /// calls fail, so the client asks the user once. A new <see cref="SignIn"/> with another token starts a new session.
    /// </summary>
    public event EventHandler<SessionRejectedEventArgs>? Rejected;

    public Uri Endpoint { get { lock (_gate) { return _endpoint; } } }

    /// <summary>Which hosts may get the token over plain http (loopback, and the hosts the user allowed).</summary>
    public Auth.PlainHttpPolicy PlainHttp { get; init; } = Auth.PlainHttpPolicy.FromEnvironment();

    public string? AccessToken { get { lock (_gate) { return _accessToken; } } }

    public string? UserName { get { lock (_gate) { return _userName; } } }

    /// <summary>The git token from <c>POST /api/v1/login</c> (differs from the SDK token on modelscope.cn).</summary>
    public string? GitToken { get { lock (_gate) { return _gitToken; } } }

    public bool IsSignedIn => AccessToken is not null;

    public void SetEndpoint(Uri endpoint)
    {
        lock (_gate)
        {
            var normalized = HubEndpoints.Normalize(endpoint);
            if (normalized == _endpoint)
            {
                return;
            }

            _endpoint = normalized;
            _accessToken = null;
            _userName = null;
            _gitToken = null;
            _rejectionReported = false;
        }

        Changed?.Invoke(this, EventArgs.Empty);
    }

    public void SignIn(string accessToken, string? userName, string? gitToken)
    {
        Diagnostics.SecretRedactor.AddKnownSecret(accessToken);
        Diagnostics.SecretRedactor.AddKnownSecret(gitToken);
        lock (_gate)
        {
            // Activating the token that is already active (a client re-sending its session) is the same session.
            _rejectionReported &= accessToken == _accessToken;
            _accessToken = accessToken;
            _userName = userName;
            _gitToken = gitToken;
        }

        Changed?.Invoke(this, EventArgs.Empty);
    }

    public void SignOut()
    {
        lock (_gate)
        {
            _accessToken = null;
            _userName = null;
            _gitToken = null;
            _rejectionReported = false;
        }

        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>
    /// A request carrying <paramref name="sentToken"/> was refused as unauthenticated. When that is the current
    /// session's access or git token (not a candidate being validated), raises <see cref="Rejected"/> the first time.
    /// </summary>
    /// <returns>True when this call raised the event.</returns>
    public bool ReportRejected(string? sentToken, string reason)
    {
        SessionRejectedEventArgs args;
        lock (_gate)
        {
            if (_rejectionReported || _accessToken is null || string.IsNullOrEmpty(sentToken) || (sentToken != _accessToken && sentToken != _gitToken))
            {
                return false;
            }

            _rejectionReported = true;
            args = new SessionRejectedEventArgs(_endpoint, _userName, Diagnostics.SecretRedactor.Redact(reason));
        }

        Rejected?.Invoke(this, args);
        return true;
    }
}

/// <summary>Which session the hub refused and what it said (already redacted).</summary>
public sealed class SessionRejectedEventArgs(Uri endpoint, string? userName, string reason) : EventArgs
{
    public Uri Endpoint { get; } = endpoint;

    public string? UserName { get; } = userName;

    public string Reason { get; } = reason;
}

/// <summary>Known endpoints and endpoint resolution (configuration, then MODELSCOPE_ENDPOINT / MODELSCOPE_DOMAIN).</summary>
public static class HubEndpoints
{
    public static readonly Uri ModelScopeCn = new("https://modelscope.cn/");
    public static readonly Uri ModelScopeAi = new("https://www.modelscope.ai/");
    public static readonly Uri LocalHubDefault = new("http://127.0.0.1:8765/");

    public static Uri Normalize(Uri endpoint)
    {
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"The hub endpoint must be an http(s) URL, not '{endpoint}'.");
        }

        var text = endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/";
        return new Uri(text);
    }

    /// <summary>Explicit value, else MODELSCOPE_ENDPOINT, else MODELSCOPE_DOMAIN (scheme added), else modelscope.cn.</summary>
    public static Uri Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Normalize(new Uri(configured, UriKind.Absolute));
        }

        var fromEnv = Environment.GetEnvironmentVariable("MODELSCOPE_ENDPOINT");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return Normalize(new Uri(fromEnv, UriKind.Absolute));
        }

        var domain = Environment.GetEnvironmentVariable("MODELSCOPE_DOMAIN");
        if (!string.IsNullOrWhiteSpace(domain))
        {
            return Normalize(new Uri(domain.Contains("://", StringComparison.Ordinal) ? domain : "https://" + domain));
        }

        return ModelScopeCn;
    }
}
