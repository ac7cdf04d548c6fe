using System.Text.Json.Serialization;

namespace ModelIde.Protocol;

/// <summary>Sign-in methods (docs/protocol.md "auth/"). The extension persists sessions; the sidecar keeps the active one in memory.</summary>
public static class AuthMethods
{
    /// <summary>Validates an access token with users/me, then login for the git token; does not activate it.</summary>
    [RpcRequest(typeof(ValidateTokenParams), typeof(AuthSessionDto))]
    public const string ValidateToken = "auth/validateToken";

    /// <summary>
    /// OIDC code + PKCE in the browser: the sidecar listens on 127.0.0.1 (random port) and sends <see cref="OpenBrowser"/>.
    /// <c>clientId</c> defaults to <c>modelide</c>, <c>scopes</c> to <c>openid profile offline_access</c>.
    /// </summary>
    [RpcRequest(typeof(SignInWithBrowserParams), typeof(AuthSessionDto), IsLong = true)]
    public const string SignInWithBrowser = "auth/signInWithBrowser";

    /// <summary>Open this URL in the user's browser (the extension uses <c>env.openExternal(await env.asExternalUri(url))</c>, http(s) only).</summary>
    [RpcNotification(typeof(OpenBrowserParams))]
    public const string OpenBrowser = "auth/openBrowser";

    /// <summary>Exchanges a refresh token for a new session.</summary>
    [RpcRequest(typeof(RefreshParams), typeof(AuthSessionDto))]
    public const string Refresh = "auth/refresh";

    /// <summary>Makes the given session the sidecar's current one (an <c>AuthSession</c> may be passed as is).</summary>
    [RpcRequest(typeof(ActivateParams), typeof(ActivateResult))]
    public const string Activate = "auth/activate";

    /// <summary>Revokes where the server supports it and clears the in-memory session; works offline.</summary>
    [RpcRequest(typeof(SignOutParams), typeof(SignOutResult))]
    public const string SignOut = "auth/signOut";

    /// <summary>Looks for MODELSCOPE_API_TOKEN and the ModelScope SDK's credentials folder.</summary>
    [RpcRequest(typeof(DiscoverLocalCredentialsParams), typeof(DiscoverLocalCredentialsResult))]
    public const string DiscoverLocalCredentials = "auth/discoverLocalCredentials";

    /// <summary>
    /// The hub refused the active session's token (revoked or expired mid-session): sent once per activated session,
    /// however many calls fail; each failed call still answers authenticationRequired. Not sent for a token being validated.
    /// </summary>
    [RpcNotification(typeof(SessionExpiredParams))]
    public const string SessionExpired = "auth/sessionExpired";
}

/// <summary>How a session was signed in: a pasted or found access token, or the OAuth browser flow.</summary>
public enum AuthSessionKind
{
    AccessToken,
    [JsonStringEnumMemberName("oauth")]
    OAuth,
}

/// <summary>A signed-in account. The extension stores it in SecretStorage; it never reaches a log or a setting.</summary>
/// <param name="ExpiresAt">ISO 8601; OAuth sessions only.</param>
/// <param name="ClientId">OAuth: the client the tokens belong to.</param>
public sealed record AuthSessionDto(
    string Id,
    string Endpoint,
    string UserName,
    string AccessToken,
    AuthSessionKind Kind,
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

/// <param name="UserName">Without it the sidecar validates the token first (users/me).</param>
public sealed record ActivateParams(string Endpoint, string AccessToken, string? UserName = null, string? GitToken = null, AuthSessionKind? Kind = null, string? Id = null)
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

public enum LocalCredentialSource
{
    /// <summary><c>MODELSCOPE_API_TOKEN</c>.</summary>
    [JsonStringEnumMemberName("env")]
    Environment,

    /// <summary>The ModelScope SDK's saved login (<c>credentials/cookies</c>, <c>user</c>).</summary>
    [JsonStringEnumMemberName("sdk")]
    Sdk,
}

/// <param name="Source">Where the token was found; absent when none was.</param>
public sealed record DiscoverLocalCredentialsResult(LocalCredentialSource? Source, string? AccessToken = null, string? UserName = null)
{
    public override string ToString() => $"DiscoverLocalCredentialsResult({Source}, {UserName})";
}

/// <param name="Reason">What the hub answered, redacted (e.g. "The access token has expired").</param>
public sealed record SessionExpiredParams(string Endpoint, string? UserName, string Reason);
