namespace ModelIde.Protocol;

/// <summary>Sign-in methods (docs/protocol.md "auth/"). The extension persists sessions; the sidecar keeps the active one in memory.</summary>
public static class AuthMethods
{
    /// <summary>Request. Validates an access token (users/me, then login for the git token); does not activate it.</summary>
    public const string ValidateToken = "auth/validateToken";

    /// <summary>Request. OAuth code + PKCE in the browser; the sidecar listens on 127.0.0.1 and sends <see cref="OpenBrowser"/>.</summary>
    public const string SignInWithBrowser = "auth/signInWithBrowser";

    /// <summary>Notification, sidecar → client. Open this URL in the user's browser.</summary>
    public const string OpenBrowser = "auth/openBrowser";

    /// <summary>Request. Exchanges a refresh token for a new session.</summary>
    public const string Refresh = "auth/refresh";

    /// <summary>Request. Makes the given session the sidecar's current one.</summary>
    public const string Activate = "auth/activate";

    /// <summary>Request. Revokes where supported and clears the in-memory session.</summary>
    public const string SignOut = "auth/signOut";

    /// <summary>Request. Looks for MODELSCOPE_API_TOKEN and the SDK credentials folder.</summary>
    public const string DiscoverLocalCredentials = "auth/discoverLocalCredentials";

    /// <summary>
    /// Notification, sidecar → client. The hub refused the active session's token (revoked or expired): sent once per
    /// activated session, not once per failed call; the failed calls themselves answer authenticationRequired.
    /// </summary>
    public const string SessionExpired = "auth/sessionExpired";
}

public static class AuthSessionKinds
{
    public const string AccessToken = "accessToken";
    public const string OAuth = "oauth";
}

public sealed record AuthSessionDto(
    string Id,
    string Endpoint,
    string UserName,
    string AccessToken,
    string Kind,
    IReadOnlyList<string> Scopes,
    string? Email = null,
    string? RefreshToken = null,
    string? GitToken = null,
    string? ExpiresAt = null,
    string? ClientId = null)
{
    // Records print every member; a session must never reach a log that way.
    public override string ToString() => $"AuthSessionDto({Kind}, {UserName} at {Endpoint})";
}

public sealed record ValidateTokenParams(string Endpoint, string AccessToken)
{
    public override string ToString() => $"ValidateTokenParams({Endpoint})";
}

public sealed record SignInWithBrowserParams(string Endpoint, string? ClientId = null, IReadOnlyList<string>? Scopes = null, int? TimeoutSeconds = null);

public sealed record OpenBrowserParams(string Url);

public sealed record RefreshParams(string Endpoint, string? ClientId, string RefreshToken)
{
    public override string ToString() => $"RefreshParams({Endpoint})";
}

public sealed record ActivateParams(string Endpoint, string AccessToken, string? UserName = null, string? GitToken = null, string? Kind = null, string? Id = null)
{
    public override string ToString() => $"ActivateParams({Endpoint}, {UserName})";
}

public sealed record ActivateResult(string UserName);

public sealed record SignOutParams(string? Endpoint = null, string? AccessToken = null, string? RefreshToken = null, string? ClientId = null)
{
    public override string ToString() => $"SignOutParams({Endpoint})";
}

public sealed record SignOutResult(bool Revoked);

public sealed record DiscoverLocalCredentialsParams;

public static class LocalCredentialSources
{
    public const string Environment = "env";
    public const string Sdk = "sdk";
}

public sealed record DiscoverLocalCredentialsResult(string? Source, string? AccessToken = null, string? UserName = null)
{
    public override string ToString() => $"DiscoverLocalCredentialsResult({Source}, {UserName})";
}

/// <summary><paramref name="Reason"/> is what the hub answered, redacted (e.g. "The access token has expired").</summary>
public sealed record SessionExpiredParams(string Endpoint, string? UserName, string Reason);
