using ModelIde.Core.Diagnostics;
using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Core.Auth;

/// <summary>
/// Sign-in with a ModelScope access token (<c>ms-...</c>): <c>GET /openapi/v1/users/me</c> proves the token,
/// then <c>POST /api/v1/login</c> gives the user name and the git token. Nothing is activated or stored here.
/// </summary>
public sealed class AccessTokenSignIn(HttpClient http)
{
    public async Task<AuthSession> ValidateAsync(Uri endpoint, string accessToken, CancellationToken cancellationToken)
    {
        accessToken = accessToken?.Trim() ?? string.Empty;
        if (accessToken.Length == 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "The access token is empty.");
        }

        if (accessToken.Any(char.IsWhiteSpace) || accessToken.Any(char.IsControl))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "The access token contains spaces or control characters; paste it again.");
        }

        // Known before the first request, so no error text or log line can carry it from here on.
        SecretRedactor.AddKnownSecret(accessToken);
        var session = new HubSession(endpoint);
        var api = new ModelScopeApiClient(http, session, RetryPolicy.None);
        HubUser user;
        try
        {
            user = await api.GetCurrentUserAsync(cancellationToken, accessToken).ConfigureAwait(false);
        }
        catch (ModelIdeException ex) when (ex.Kind is ModelIdeErrorKind.AuthenticationRequired or ModelIdeErrorKind.PermissionDenied)
        {
            throw Rejected(session.Endpoint, ex);
        }

        HubLoginResult? login = null;
        try
        {
            login = await api.LoginAsync(accessToken, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelIdeException ex) when (ex.Kind is ModelIdeErrorKind.AuthenticationRequired or ModelIdeErrorKind.PermissionDenied)
        {
            throw Rejected(session.Endpoint, ex);
        }
        catch (ModelIdeException ex) when (ex.Kind is ModelIdeErrorKind.NotFound or ModelIdeErrorKind.InvalidInput)
        {
            // A hub without the legacy login call: users/me already proved the token; no git token then.
            login = null;
        }

        SecretRedactor.AddKnownSecret(login?.GitToken);
        return new AuthSession
        {
            Endpoint = session.Endpoint,
            UserName = login?.UserName ?? user.UserName,
            Email = login?.Email ?? user.Email,
            AccessToken = accessToken,
            GitToken = login?.GitToken,
            Kind = AuthSessionKind.AccessToken,
        };
    }

    private static ModelIdeException Rejected(Uri endpoint, ModelIdeException inner) =>
        new(ModelIdeErrorKind.AuthenticationRequired,
            $"The hub did not accept this access token ({endpoint.GetLeftPart(UriPartial.Authority)} answered: {SecretRedactor.Redact(inner.Message)}). " +
            "Check that it is complete and not revoked; create a new one on the hub's access token page.", inner)
        {
            ServerCode = inner.ServerCode,
            RequestId = inner.RequestId,
        };
}
