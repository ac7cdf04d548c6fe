using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using ModelIde.Hub.Auth;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace ModelIde.Hub.Oidc;

/// <summary>
/// OAuth 2.0 / OpenID Connect server (OpenIddict): authorization code + PKCE (S256 only) + refresh tokens for the
/// public client <c>modelide</c> with loopback redirects; its access tokens are also accepted by the hub API.
/// </summary>
internal static class OidcServer
{
    public const string ClientId = "modelide";
    public const string AuthorizePath = "/oauth/authorize";
    public const string TokenPath = "/oauth/token";
    public const string UserInfoPath = "/oauth/userinfo";
    public const string RevokePath = "/oauth/revoke";

    public static void ConfigureServices(IServiceCollection services, HubContext hub)
    {
        var database = "modelide-hub-" + Guid.NewGuid().ToString("N");
        services.AddDbContext<OidcDbContext>(o =>
        {
            o.UseInMemoryDatabase(database);
            o.ConfigureWarnings(w => w.Ignore(InMemoryEventId.TransactionIgnoredWarning));
            o.UseOpenIddict();
        });
        services.AddAuthentication();
        services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<OidcDbContext>())
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris(AuthorizePath.TrimStart('/'))
                    .SetTokenEndpointUris(TokenPath.TrimStart('/'))
                    .SetUserInfoEndpointUris(UserInfoPath.TrimStart('/'))
                    .SetRevocationEndpointUris(RevokePath.TrimStart('/'))
                    .SetConfigurationEndpointUris(".well-known/openid-configuration")
                    .SetJsonWebKeySetEndpointUris(".well-known/jwks");
                o.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow();
                o.RequireProofKeyForCodeExchange();
                o.Configure(options => options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));
                o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess);
                o.SetAccessTokenLifetime(hub.Options.AccessTokenLifetime);
                o.SetRefreshTokenLifetime(hub.Options.RefreshTokenLifetime);
                // Ephemeral keys: tokens die with the hub, which is what a local test hub wants.
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                o.DisableAccessTokenEncryption();
                o.RemoveEventHandler(OpenIddict.Server.OpenIddictServerHandlers.Authentication.ValidateClientRedirectUri.Descriptor);
                o.AddEventHandler(LoopbackRedirectUriHandler.Descriptor);
                // Test control: remember what the token endpoint hands out, so end-to-end tests can look for it at rest.
                o.AddEventHandler<OpenIddict.Server.OpenIddictServerEvents.ApplyTokenResponseContext>(b => b
                    .UseInlineHandler(context =>
                    {
                        hub.IssuedOAuthTokens.Record(context.Response.AccessToken, context.Response.RefreshToken);
                        return ValueTask.CompletedTask;
                    })
                    .SetOrder(int.MinValue + 100_000));
                o.UseAspNetCore()
                    .DisableTransportSecurityRequirement() // plain HTTP on loopback
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough();
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
            });

        hub.OAuthBearerResolver = async http =>
        {
            var result = await http.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
            var name = result.Principal?.FindFirst(Claims.PreferredUsername)?.Value;
            var user = name is null ? null : hub.Users.Find(name);
            if (result.Succeeded && user is not null)
            {
                return (TokenState.Valid, user);
            }

            // The answer is 401 either way; an expired token should read as "expired" so clients know to refresh.
            return (IsExpiredJwt(http.Request.Headers.Authorization.ToString()) ? TokenState.Expired : TokenState.Unknown, null);
        };
    }

    /// <summary>Reads <c>exp</c> from a bearer JWT without trusting it (only used to pick the error code).</summary>
    internal static bool IsExpiredJwt(string authorization)
    {
        var parts = authorization.Replace("Bearer ", "", StringComparison.OrdinalIgnoreCase).Trim().Split('.');
        if (parts.Length < 2)
        {
            return false;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var doc = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(payload));
            return doc.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                && DateTimeOffset.FromUnixTimeSeconds(seconds) <= DateTimeOffset.UtcNow;
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            return false;
        }
    }

    public static void ConfigurePipeline(WebApplication app) => app.UseAuthentication();

    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        if (await manager.FindByClientIdAsync(ClientId, cancellationToken) is not null)
        {
            return;
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientType = ClientTypes.Public,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = "ModelIde (VS Code extension and CLI)",
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Email,
                Permissions.Prefixes.Scope + Scopes.OfflineAccess,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        // Registered for documentation; any loopback port and path is accepted (LoopbackRedirectUriHandler).
        descriptor.RedirectUris.Add(new Uri("http://127.0.0.1/callback"));
        await manager.CreateAsync(descriptor, cancellationToken);
    }

    public static void MapEndpoints(WebApplication app, HubContext hub)
    {
        app.MapMethods(AuthorizePath, ["GET", "POST"], async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest();
            if (request is null)
            {
                return Results.BadRequest("Not an OpenID Connect authorization request.");
            }

            var userName = (string?)request["username"];
            var password = (string?)request["password"];
            if (!HttpMethods.IsPost(http.Request.Method) || userName is null)
            {
                return LoginPage(request, null);
            }

            var user = hub.Users.Find(userName);
            if (user is null || !string.Equals(user.Password, password, StringComparison.Ordinal))
            {
                return LoginPage(request, "Wrong user name or password.");
            }

            return Results.SignIn(PrincipalFor(user, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });

        app.MapPost(TokenPath, async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest();
            if (request is null || !(request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType()))
            {
                return Forbid(Errors.UnsupportedGrantType, "Only authorization_code and refresh_token are supported.");
            }

            // OpenIddict has already checked the code/refresh token, PKCE and the redirect_uri.
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var name = result.Principal?.FindFirst(Claims.PreferredUsername)?.Value;
            var user = name is null ? null : hub.Users.Find(name);
            if (!result.Succeeded || user is null)
            {
                return Forbid(Errors.InvalidGrant, "The user no longer exists.");
            }

            return Results.SignIn(PrincipalFor(user, result.Principal!.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });

        app.MapMethods(UserInfoPath, ["GET", "POST"], async (HttpContext http) =>
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var name = result.Principal?.FindFirst(Claims.PreferredUsername)?.Value;
            var user = name is null ? null : hub.Users.Find(name);
            if (!result.Succeeded || user is null)
            {
                return Results.Challenge(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
            }

            return Results.Json(new Dictionary<string, object?>
            {
                [Claims.Subject] = user.Id,
                [Claims.Name] = user.UserName,
                [Claims.PreferredUsername] = user.UserName,
                [Claims.Email] = user.Email,
            });
        });
    }

    private static IResult Forbid(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    private static ClaimsPrincipal PrincipalFor(HubUser user, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id)
            .SetClaim(Claims.Name, user.UserName)
            .SetClaim(Claims.PreferredUsername, user.UserName)
            .SetClaim(Claims.Email, user.Email);
        identity.SetScopes(scopes);
        // The API reads preferred_username from the access token; the id token carries the profile too.
        identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return new ClaimsPrincipal(identity);
    }

    private static IResult LoginPage(OpenIddictRequest request, string? error)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to the ModelIde local hub</title></head><body>");
        html.Append("<h1>Sign in to the ModelIde local hub</h1>");
        if (error is not null)
        {
            html.Append("<p class=\"error\" role=\"alert\">").Append(WebUtility.HtmlEncode(error)).Append("</p>");
        }

        // Relative action: the page may be served through a proxy prefix (code-server's /proxy/<port>/).
        html.Append("<form method=\"post\" action=\"").Append(AuthorizePath[(AuthorizePath.LastIndexOf('/') + 1)..]).Append("\">");
        foreach (var (key, value) in request.GetParameters())
        {
            if (key is "username" or "password")
            {
                continue;
            }

            html.Append("<input type=\"hidden\" name=\"").Append(WebUtility.HtmlEncode(key))
                .Append("\" value=\"").Append(WebUtility.HtmlEncode((string?)value)).Append("\">");
        }

        html.Append("<label>User name <input name=\"username\" autocomplete=\"username\" required></label>");
        html.Append("<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>");
        html.Append("<button type=\"submit\">Sign in</button></form></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, error is null ? 200 : 401);
    }
}
