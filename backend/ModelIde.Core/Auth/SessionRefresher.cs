namespace ModelIde.Core.Auth;

/// <summary>
/// Keeps an OAuth session's access token fresh: refreshes before use when less than 60 s or 10 % of the token's
/// lifetime is left. One refresh at a time; a failed refresh means "sign in again" and the session is dropped.
/// </summary>
public sealed class SessionRefresher
{
    public static readonly TimeSpan MinimumRemaining = TimeSpan.FromSeconds(60);
    private readonly Func<AuthSession, CancellationToken, Task<AuthSession>> _refresh;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AuthSession? _current;

    public SessionRefresher(AuthSession session, Func<AuthSession, CancellationToken, Task<AuthSession>> refresh, TimeProvider? time = null)
    {
        _current = session;
        _refresh = refresh;
        _time = time ?? TimeProvider.System;
    }

    public SessionRefresher(AuthSession session, OidcBrowserSignIn oidc, TimeProvider? time = null)
        : this(session, oidc.RefreshAsync, time)
    {
    }

    /// <summary>Raised after a successful refresh with the new session (callers persist or activate it).</summary>
    public event EventHandler<AuthSession>? Refreshed;

    public AuthSession? Current => _current;

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

    /// <summary>The session with a usable access token, refreshing first when needed.</summary>
    public async Task<AuthSession> GetFreshAsync(CancellationToken cancellationToken)
    {
        var snapshot = _current ?? throw SignInAgain();
        if (!NeedsRefresh(snapshot, _time.GetUtcNow()))
        {
            return snapshot;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _current ?? throw SignInAgain();
            if (!NeedsRefresh(current, _time.GetUtcNow()))
            {
                return current; // another caller refreshed while we waited
            }

            AuthSession next;
            try
            {
                next = await _refresh(current, cancellationToken).ConfigureAwait(false);
            }
            catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.AuthenticationRequired)
            {
                _current = null;
                throw;
            }

            _current = next;
            Refreshed?.Invoke(this, next);
            return next;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static ModelIdeException SignInAgain() =>
        new(ModelIdeErrorKind.AuthenticationRequired, "The session has ended: sign in again.");
}
