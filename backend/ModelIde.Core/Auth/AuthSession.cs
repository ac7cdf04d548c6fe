namespace ModelIde.Core.Auth;

/// <summary>
/// A signed-in identity at one hub endpoint. Holds secrets: never log it, never write it to a file
/// (the CLI's credential store is the one exception). <see cref="ToString"/> is redacted.
/// </summary>
public sealed record AuthSession
{
    public required Uri Endpoint { get; init; }

    public required string UserName { get; init; }

    public string? Email { get; init; }

    public required string AccessToken { get; init; }

    public string? RefreshToken { get; init; }

    public string? IdToken { get; init; }

    /// <summary>The git token from <c>POST /api/v1/login</c> when the hub gave one.</summary>
    public string? GitToken { get; init; }

    /// <summary>When the access token expires; null when the hub did not say (SDK access tokens).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the access token was obtained; with <see cref="ExpiresAt"/> it gives the token's lifetime.</summary>
    public DateTimeOffset ObtainedAt { get; init; } = DateTimeOffset.UtcNow;

    public AuthSessionKind Kind { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>OAuth client id the tokens were issued to (needed to refresh and revoke).</summary>
    public string? ClientId { get; init; }

    /// <summary>Stable id of this account at this endpoint (for the extension's session list).</summary>
    public string Id => $"{Endpoint.GetLeftPart(UriPartial.Authority)}#{UserName}";

    public override string ToString() => $"AuthSession({Kind}, {UserName} at {Endpoint})";
}
