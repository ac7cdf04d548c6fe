using Microsoft.AspNetCore.Http;

namespace ModelIde.Hub.Auth;

/// <summary>Who is calling: state of the presented credential and the user it belongs to.</summary>
internal sealed record Caller(TokenState State, HubUser? User)
{
    public static Caller Anonymous { get; } = new(TokenState.Missing, null);

    public bool IsSignedIn => State == TokenState.Valid && User is not null;
}

internal static class RequestAuth
{
    public const string SessionCookie = "m_session_id";
    private const string CallerKey = "modelide.caller";

    /// <summary>Reads <c>Authorization: Bearer</c>, else the <c>m_session_id</c> (or <c>modelscope_session</c>) cookie.</summary>
    public static async Task<Caller> IdentifyAsync(HttpContext http, HubContext hub)
    {
        if (http.Items.TryGetValue(CallerKey, out var cached) && cached is Caller c)
        {
            return c;
        }

        var caller = await ResolveAsync(http, hub).ConfigureAwait(false);
        http.Items[CallerKey] = caller;
        return caller;
    }

    private static async Task<Caller> ResolveAsync(HttpContext http, HubContext hub)
    {
        string? token = null;
        var header = http.Request.Headers.Authorization.ToString();
        var isBearer = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        if (isBearer)
        {
            token = header["Bearer ".Length..].Trim();
        }

        token ??= http.Request.Cookies[SessionCookie] ?? http.Request.Cookies["modelscope_session"];
        var (state, user) = hub.Users.Check(token);
        if (state == TokenState.Unknown && isBearer && hub.OAuthBearerResolver is { } resolver)
        {
            var (oauthState, oauthUser) = await resolver(http).ConfigureAwait(false);
            if (oauthState != TokenState.Unknown)
            {
                return new Caller(oauthState, oauthUser);
            }
        }

        return new Caller(state, user);
    }
}
