using System.Globalization;
using ModelIde.Core;
using ModelIde.Core.Auth;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary>auth/*: thin adapters over Core.Auth. Tokens live in <see cref="SidecarContext.Session"/> (memory) only.</summary>
public sealed class AuthRpcTarget(SidecarContext context) : IRpcTarget
{
    private const int MaxTimeoutSeconds = 30 * 60;
    private readonly OidcBrowserSignIn _oidc = new();

    [JsonRpcMethod(AuthMethods.ValidateToken, UseSingleObjectParameterDeserialization = true)]
    public async Task<AuthSessionDto> ValidateTokenAsync(ValidateTokenParams p, CancellationToken cancellationToken)
    {
        var session = await new AccessTokenSignIn(context.Http).ValidateAsync(EndpointOf(p.Endpoint), Required(p.AccessToken, "accessToken"), cancellationToken).ConfigureAwait(false);
        return ToDto(session);
    }

    [JsonRpcMethod(AuthMethods.SignInWithBrowser, UseSingleObjectParameterDeserialization = true)]
    public async Task<AuthSessionDto> SignInWithBrowserAsync(SignInWithBrowserParams p, CancellationToken cancellationToken)
    {
        var timeout = p.TimeoutSeconds is { } s
            ? (s is > 0 and <= MaxTimeoutSeconds ? TimeSpan.FromSeconds(s) : throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"timeoutSeconds must be 1..{MaxTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}."))
            : TimeSpan.FromMinutes(5);
        var options = new OidcSignInOptions
        {
            Endpoint = EndpointOf(p.Endpoint),
            ClientId = string.IsNullOrWhiteSpace(p.ClientId) ? OidcSignInOptions.DefaultClientId : p.ClientId,
            Scopes = p.Scopes is { Count: > 0 } scopes ? scopes : OidcSignInOptions.DefaultScopes,
            Timeout = timeout,
        };
        var session = await _oidc.SignInAsync(options, (url, _) => context.Notifier.NotifyAsync(AuthMethods.OpenBrowser, new OpenBrowserParams(url.AbsoluteUri)), cancellationToken).ConfigureAwait(false);
        return ToDto(session);
    }

    [JsonRpcMethod(AuthMethods.Refresh, UseSingleObjectParameterDeserialization = true)]
    public async Task<AuthSessionDto> RefreshAsync(RefreshParams p, CancellationToken cancellationToken)
    {
        var endpoint = EndpointOf(p.Endpoint);
        var current = new AuthSession
        {
            Endpoint = endpoint,
            UserName = context.Session.Endpoint == endpoint ? context.Session.UserName ?? string.Empty : string.Empty,
            AccessToken = string.Empty,
            RefreshToken = Required(p.RefreshToken, "refreshToken"),
            ClientId = string.IsNullOrWhiteSpace(p.ClientId) ? OidcSignInOptions.DefaultClientId : p.ClientId,
            Kind = AuthSessionKind.OAuth,
            Scopes = OidcSignInOptions.DefaultScopes,
        };
        var refreshed = await _oidc.RefreshAsync(current, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(refreshed.UserName))
        {
            var user = await context.Api.GetCurrentUserAsync(cancellationToken, refreshed.AccessToken).ConfigureAwait(false);
            refreshed = refreshed with { UserName = user.UserName, Email = user.Email };
        }

        // Keep the active session working when the extension refreshes the token it activated.
        if (context.Session.IsSignedIn && context.Session.Endpoint == endpoint && context.Session.UserName == refreshed.UserName)
        {
            context.Session.SignIn(refreshed.AccessToken, refreshed.UserName, context.Session.GitToken);
        }

        return ToDto(refreshed);
    }

    [JsonRpcMethod(AuthMethods.Activate, UseSingleObjectParameterDeserialization = true)]
    public async Task<ActivateResult> ActivateAsync(ActivateParams p, CancellationToken cancellationToken)
    {
        var endpoint = EndpointOf(p.Endpoint);
        var token = Required(p.AccessToken, "accessToken");
        var userName = p.UserName;
        if (string.IsNullOrWhiteSpace(userName))
        {
            // Without a name the caller has not validated the token; users/me does it and tells us who it is.
            var signIn = await new AccessTokenSignIn(context.Http).ValidateAsync(endpoint, token, cancellationToken).ConfigureAwait(false);
            userName = signIn.UserName;
            p = p with { GitToken = p.GitToken ?? signIn.GitToken };
        }

        context.Session.SetEndpoint(endpoint);
        context.Session.SignIn(token, userName, p.GitToken);
        return new ActivateResult(userName);
    }

    [JsonRpcMethod(AuthMethods.SignOut, UseSingleObjectParameterDeserialization = true)]
    public async Task<SignOutResult> SignOutAsync(SignOutParams p, CancellationToken cancellationToken)
    {
        var endpoint = string.IsNullOrWhiteSpace(p.Endpoint) ? context.Session.Endpoint : EndpointOf(p.Endpoint);
        var revoked = false;
        if (!string.IsNullOrEmpty(p.RefreshToken) || (!string.IsNullOrEmpty(p.ClientId) && !string.IsNullOrEmpty(p.AccessToken)))
        {
            try
            {
                revoked = await _oidc.RevokeAsync(endpoint, string.IsNullOrWhiteSpace(p.ClientId) ? OidcSignInOptions.DefaultClientId : p.ClientId, p.AccessToken, p.RefreshToken, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or ModelIdeException || ex is TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Signing out must work offline; the in-memory session is forgotten regardless.
                revoked = false;
            }
        }

        if (context.Session.Endpoint == endpoint)
        {
            context.Session.SignOut();
        }

        return new SignOutResult(revoked);
    }

    [JsonRpcMethod(AuthMethods.DiscoverLocalCredentials, UseSingleObjectParameterDeserialization = true)]
    public DiscoverLocalCredentialsResult DiscoverLocalCredentials(DiscoverLocalCredentialsParams? p)
    {
        var found = LocalCredentialDiscovery.Discover();
        if (found is null)
        {
            return new DiscoverLocalCredentialsResult(null);
        }

        Core.Diagnostics.SecretRedactor.AddKnownSecret(found.AccessToken);
        return new DiscoverLocalCredentialsResult(found.Source, found.AccessToken, found.UserName);
    }

    internal static AuthSessionDto ToDto(AuthSession s) => new(
        s.Id,
        s.Endpoint.AbsoluteUri,
        s.UserName,
        s.AccessToken,
        s.Kind,
        s.Scopes,
        s.Email,
        s.RefreshToken,
        s.GitToken,
        s.ExpiresAt?.ToString("o", CultureInfo.InvariantCulture),
        s.ClientId);

    private static Uri EndpointOf(string? endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"endpoint must be an absolute http(s) URL, not '{endpoint}'.");
        }

        return Core.ModelScopeApi.HubEndpoints.Normalize(uri);
    }

    private static string Required(string? value, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"{name} is required.") : value.Trim();
}
