using System.Globalization;
using System.Security.Claims;
using Duende.IdentityModel.Client;
using Duende.IdentityModel.OidcClient;
using ModelIde.Core.Diagnostics;

namespace ModelIde.Core.Auth;

/// <summary>What an OAuth sign-in talks to: the hub endpoint (also the OIDC issuer), the client id and scopes.</summary>
public sealed record OidcSignInOptions
{
    public const string DefaultClientId = "modelide";
    public static readonly IReadOnlyList<string> DefaultScopes = ["openid", "profile", "offline_access"];

    public required Uri Endpoint { get; init; }

    public string ClientId { get; init; } = DefaultClientId;

    /// <summary><c>offline_access</c> asks for a refresh token; <c>openid profile</c> for the user's name.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = DefaultScopes;

    /// <summary>How long the user has to finish in the browser.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// OAuth 2.0 authorization code flow with PKCE (S256), state and nonce, via Duende OidcClient: discovery from
/// <c>{endpoint}/.well-known/openid-configuration</c> (plain HTTP only as <see cref="PlainHttpPolicy"/> allows), a loopback
/// redirect listener, refresh and revocation. The caller opens the browser (the sidecar asks the extension, the CLI
/// runs xdg-open or prints the URL). Every failure is an <see cref="ModelIdeErrorKind.AuthenticationRequired"/>
/// error and no token is returned: fail closed.
/// </summary>
public sealed class OidcBrowserSignIn
{
    private readonly Func<HttpClient> _httpFactory;
    private readonly PlainHttpPolicy _plainHttp;

    public OidcBrowserSignIn(Func<HttpClient>? httpFactory = null, PlainHttpPolicy? plainHttp = null)
    {
        _httpFactory = httpFactory ?? (() => ModelIde.Core.ModelScopeApi.ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(30)));
        _plainHttp = plainHttp ?? PlainHttpPolicy.FromEnvironment();
    }

    public async Task<AuthSession> SignInAsync(OidcSignInOptions options, Func<Uri, CancellationToken, Task> openBrowser, CancellationToken cancellationToken)
    {
        var endpoint = CheckEndpoint(options.Endpoint);
        using var listener = LoopbackRedirectListener.Start();
        // OidcClient 7 relies on PKCE alone and sends no nonce; we add one and the ID token validator checks it.
        var nonce = Base64UrlRandom();
        var client = CreateClient(endpoint, options.ClientId, options.Scopes, listener.RedirectUri, nonce);
        var state = await client.PrepareLoginAsync(new Parameters { { "nonce", nonce } }, cancellationToken).ConfigureAwait(false);
        if (state.IsError)
        {
            throw Failed(endpoint, "could not start", state.Error, state.ErrorDescription);
        }

        await openBrowser(new Uri(state.StartUrl), cancellationToken).ConfigureAwait(false);
        using var callback = await listener.WaitForCallbackAsync(options.Timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            var callbackUrl = new Uri(listener.RedirectUri, callback.PathAndQuery).AbsoluteUri;
            var result = await client.ProcessResponseAsync(callbackUrl, state, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.IsError)
            {
                throw Failed(endpoint, "was refused", result.Error, result.ErrorDescription);
            }

            SecretRedactor.AddKnownSecret(result.AccessToken);
            SecretRedactor.AddKnownSecret(result.RefreshToken);
            SecretRedactor.AddKnownSecret(result.IdentityToken);
            var session = new AuthSession
            {
                Endpoint = endpoint,
                UserName = UserNameOf(result.User) ?? throw Failed(endpoint, "returned no user name", "missing_claim", "The ID token has no preferred_username, name or sub claim."),
                Email = result.User.FindFirst("email")?.Value,
                AccessToken = result.AccessToken,
                RefreshToken = result.RefreshToken,
                IdToken = result.IdentityToken,
                ExpiresAt = ExpiryOf(result.AccessTokenExpiration),
                ObtainedAt = DateTimeOffset.UtcNow,
                Kind = AuthSessionKind.OAuth,
                Scopes = options.Scopes,
                ClientId = options.ClientId,
            };
            await callback.RespondAsync(true, $"Signed in to {endpoint.Host} as {session.UserName}.", cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var message = ex is ModelIdeException mie ? mie.Message : "The sign-in could not be completed.";
            await callback.RespondAsync(false, SecretRedactor.Redact(message), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Exchanges the refresh token; an expired or revoked one means the user must sign in again.</summary>
    public async Task<AuthSession> RefreshAsync(AuthSession current, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(current.RefreshToken))
        {
            throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired, $"The session at {current.Endpoint.Host} cannot be refreshed (no refresh token): sign in again.");
        }

        var endpoint = CheckEndpoint(current.Endpoint);
        var client = CreateClient(endpoint, current.ClientId ?? OidcSignInOptions.DefaultClientId, current.Scopes, redirectUri: null, expectedNonce: null);
        var result = await client.RefreshTokenAsync(current.RefreshToken, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.IsError)
        {
            throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired,
                $"Your session at {endpoint.Host} has expired or was revoked ({SecretRedactor.Redact(result.Error)}): sign in again.");
        }

        SecretRedactor.AddKnownSecret(result.AccessToken);
        SecretRedactor.AddKnownSecret(result.RefreshToken);
        SecretRedactor.AddKnownSecret(result.IdentityToken);
        return current with
        {
            AccessToken = result.AccessToken,
            RefreshToken = string.IsNullOrEmpty(result.RefreshToken) ? current.RefreshToken : result.RefreshToken,
            IdToken = string.IsNullOrEmpty(result.IdentityToken) ? current.IdToken : result.IdentityToken,
            ExpiresAt = ExpiryOf(result.AccessTokenExpiration),
            ObtainedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>Revokes the refresh and access tokens where the server has a revocation endpoint; false when it has none.</summary>
    public async Task<bool> RevokeAsync(Uri endpoint, string clientId, string? accessToken, string? refreshToken, CancellationToken cancellationToken)
    {
        endpoint = CheckEndpoint(endpoint);
        using var http = _httpFactory();
        var disco = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest { Address = endpoint.AbsoluteUri, Policy = DiscoveryPolicyFor(endpoint, _plainHttp) }, cancellationToken).ConfigureAwait(false);
        if (disco.IsError || string.IsNullOrEmpty(disco.RevocationEndpoint))
        {
            return false;
        }

        var revoked = false;
        foreach (var (token, hint) in new[] { (refreshToken, "refresh_token"), (accessToken, "access_token") })
        {
            if (string.IsNullOrEmpty(token))
            {
                continue;
            }

            var response = await http.RevokeTokenAsync(new TokenRevocationRequest
            {
                Address = disco.RevocationEndpoint,
                ClientId = clientId,
                ClientCredentialStyle = ClientCredentialStyle.PostBody,
                Token = token,
                TokenTypeHint = hint,
            }, cancellationToken).ConfigureAwait(false);
            revoked |= !response.IsError;
        }

        return revoked;
    }

    /// <summary>HTTPS everywhere except a hub on this machine (the local hub, a test server) or one the user allowed.</summary>
    public static DiscoveryPolicy DiscoveryPolicyFor(Uri endpoint, PlainHttpPolicy plainHttp) => new()
    {
        // Endpoints are validated to lie under the authority, so an allowed http authority allows only itself.
        RequireHttps = !(endpoint.Scheme == Uri.UriSchemeHttp && !IsLoopback(endpoint) && plainHttp.MaySendCredentials(endpoint)),
        AllowHttpOnLoopback = IsLoopback(endpoint),
        ValidateIssuerName = true,
        ValidateEndpoints = true,
        RequireKeySet = true,
    };

    public static bool IsLoopback(Uri endpoint) => PlainHttpPolicy.IsLoopback(endpoint);

    private Uri CheckEndpoint(Uri endpoint)
    {
        var normalized = ModelIde.Core.ModelScopeApi.HubEndpoints.Normalize(endpoint);
        _plainHttp.EnsureMaySendCredentials(normalized, "the browser sign-in's code and tokens");
        return normalized;
    }

    private OidcClient CreateClient(Uri endpoint, string clientId, IReadOnlyList<string> scopes, Uri? redirectUri, string? expectedNonce)
    {
        if (string.IsNullOrWhiteSpace(clientId))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "The OAuth client id is empty.");
        }

        var options = new OidcClientOptions
        {
            Authority = endpoint.AbsoluteUri.TrimEnd('/'),
            ClientId = clientId,
            Scope = string.Join(' ', scopes.Count > 0 ? scopes : OidcSignInOptions.DefaultScopes),
            RedirectUri = redirectUri?.AbsoluteUri ?? "http://127.0.0.1/",
            LoadProfile = false,
            DisablePushedAuthorization = true,
            HttpClientFactory = _ => _httpFactory(),
            IdentityTokenValidator = new JwksIdentityTokenValidator(expectedNonce),
            TokenClientCredentialStyle = ClientCredentialStyle.PostBody,
        };
        options.Policy.Discovery = DiscoveryPolicyFor(endpoint, _plainHttp);
        options.Policy.RequireIdentityTokenSignature = true;
        return new OidcClient(options);
    }

    private static string Base64UrlRandom() =>
        System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    private static string? UserNameOf(ClaimsPrincipal user) =>
        new[] { "preferred_username", "name", "username", "sub" }
            .Select(t => user.FindFirst(t)?.Value)
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static DateTimeOffset? ExpiryOf(DateTimeOffset expiration) =>
        expiration == default || expiration == DateTimeOffset.MaxValue ? null : expiration.ToUniversalTime();

    private static ModelIdeException Failed(Uri endpoint, string what, string? error, string? description)
    {
        var detail = string.IsNullOrWhiteSpace(description) ? error : $"{error}: {description}";
        return new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired,
            SecretRedactor.Redact($"Browser sign-in at {endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)} {what} ({detail ?? "unknown error"}). Try again."));
    }
}
