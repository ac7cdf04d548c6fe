namespace ModelIde.Core.Auth;

/// <summary>
/// When an OAuth session's access token should be refreshed: less than 60 s or 10 % of the token's lifetime is left.
/// The owner of the session refreshes it (the extension on a timer, the CLI before a command).
/// </summary>
public static class SessionRefresher
{
    public static readonly TimeSpan MinimumRemaining = TimeSpan.FromSeconds(60);

    /// <summary>True when the token is close enough to expiry that it should be refreshed before the next call.</summary>
    public static bool NeedsRefresh(AuthSession session, DateTimeOffset now)
    {
        if (session.ExpiresAt is not { } expires)
        {
            return false;
        }

        var remaining = expires - now;
        var lifetime = expires - session.ObtainedAt;
        var tenPercent = lifetime > TimeSpan.Zero ? lifetime / 10 : TimeSpan.Zero;
        return remaining < MinimumRemaining || remaining < tenPercent;
    }
}
