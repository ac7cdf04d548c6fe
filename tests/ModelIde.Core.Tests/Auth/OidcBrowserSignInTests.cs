using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelIde.Core.Auth;
using ModelIde.Hub;

namespace ModelIde.Core.Tests.Auth;

/// <summary>The whole browser flow against the local hub's real OpenIddict server, over HTTP on loopback.</summary>
public sealed class OidcBrowserSignInTests
{
    private static Task<LocalHub> StartHubAsync(TimeSpan? accessLifetime = null, TimeSpan? refreshLifetime = null) =>
        LocalHub.StartAsync(new LocalHubOptions
        {
            Port = 0,
            CatalogueSize = 10,
            AccessTokenLifetime = accessLifetime ?? TimeSpan.FromHours(1),
            RefreshTokenLifetime = refreshLifetime ?? TimeSpan.FromDays(1),
        }, CancellationToken.None);

    private static OidcSignInOptions OptionsFor(LocalHub hub) => new() { Endpoint = hub.BaseUri, ClientId = LocalHub.OAuthClientId, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>Runs a sign-in whose "browser" logs in and then delivers <paramref name="tamper"/>(redirect) to the listener.</summary>
    private static async Task<(Task<AuthSession> SignIn, Task<(HttpStatusCode, string)> Page, Uri StartUrl)> RunAsync(LocalHub hub, Func<Uri, Uri>? tamper = null, string? password = null)
    {
        var started = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<(HttpStatusCode, string)>? page = null;
        var signIn = new OidcBrowserSignIn().SignInAsync(OptionsFor(hub), (url, _) =>
        {
            page = Task.Run(async () =>
            {
                var redirect = await HubBrowser.LoginAsync(url, "demo", password ?? hub.DemoPassword);
                return await HubBrowser.FollowAsync(tamper is null ? redirect : tamper(redirect));
            });
            started.SetResult(url);
            return Task.CompletedTask;
        }, CancellationToken.None);
        var startUrl = await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return (signIn, page!, startUrl);
    }

    [Fact]
    public async Task Browser_sign_in_with_pkce_returns_tokens_that_the_hub_accepts()
    {
        await using var hub = await StartHubAsync();
        var (signIn, page, startUrl) = await RunAsync(hub);
        var session = await signIn;
        var (status, body) = await page;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Signed in", body);
        Assert.True(startUrl.Query.Contains("code_challenge_method=S256", StringComparison.Ordinal), startUrl.Query);
        Assert.True(startUrl.Query.Contains("&state=", StringComparison.Ordinal), startUrl.Query);
        Assert.True(startUrl.Query.Contains("&nonce=", StringComparison.Ordinal), startUrl.Query);
        Assert.StartsWith("http://127.0.0.1:", HubBrowser.QueryValue(startUrl, "redirect_uri"));
        Assert.Equal("demo", session.UserName);
        Assert.Equal(AuthSessionKind.OAuth, session.Kind);
        Assert.False(string.IsNullOrEmpty(session.RefreshToken));
        Assert.NotNull(session.ExpiresAt);

        using var http = ModelIde.Core.ModelScopeApi.ModelScopeApiClient.CreateHttpClient();
        var api = new ModelIde.Core.ModelScopeApi.ModelScopeApiClient(http, new ModelIde.Core.ModelScopeApi.HubSession(hub.BaseUri));
        var me = await api.GetCurrentUserAsync(CancellationToken.None, session.AccessToken);
        Assert.Equal("demo", me.UserName);
    }

    [Fact]
    public async Task Callback_with_a_wrong_state_fails_closed_and_says_so_in_the_browser()
    {
        await using var hub = await StartHubAsync();
        var (signIn, page, _) = await RunAsync(hub, redirect => HubBrowser.WithQueryValue(redirect, "state", "forged-state"));
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => signIn);
        var (status, body) = await page;

        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Sign-in failed", body);
    }

    [Fact]
    public async Task Listener_answers_other_paths_with_404_and_still_takes_the_real_callback()
    {
        await using var hub = await StartHubAsync();
        var (signIn, page, startUrl) = await RunAsync(hub, redirect =>
        {
            // A favicon request first, on the same listener, must not consume the one-shot callback.
            var favicon = new Uri(redirect, "/favicon.ico");
            var (status, _) = HubBrowser.FollowAsync(favicon).GetAwaiter().GetResult();
            Assert.Equal(HttpStatusCode.NotFound, status);
            return redirect;
        });
        Assert.Equal("demo", (await signIn).UserName);
        Assert.Equal(HttpStatusCode.OK, (await page).Item1);
        Assert.NotNull(startUrl);
    }

    [Fact]
    public async Task Refresh_returns_a_new_access_token_and_an_expired_refresh_token_fails_closed()
    {
        await using var hub = await StartHubAsync(refreshLifetime: TimeSpan.FromSeconds(3));
        var (signIn, page, _) = await RunAsync(hub);
        var session = await signIn;
        await page;

        var refreshed = await new OidcBrowserSignIn().RefreshAsync(session, CancellationToken.None);
        Assert.NotEqual(session.AccessToken, refreshed.AccessToken);
        Assert.Equal("demo", refreshed.UserName);

        await Task.Delay(TimeSpan.FromSeconds(5)); // let the refresh token's 3 s lifetime run out
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new OidcBrowserSignIn().RefreshAsync(refreshed, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
        Assert.Contains("sign in again", ex.Message);
    }

    [Fact]
    public async Task Sign_out_revokes_the_refresh_token_so_it_cannot_be_used_again()
    {
        await using var hub = await StartHubAsync();
        var (signIn, page, _) = await RunAsync(hub);
        var session = await signIn;
        await page;

        Assert.True(await new OidcBrowserSignIn().RevokeAsync(hub.BaseUri, LocalHub.OAuthClientId, session.AccessToken, session.RefreshToken, CancellationToken.None));
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new OidcBrowserSignIn().RefreshAsync(session, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
    }

    [Fact]
    public async Task A_code_redeemed_once_is_refused_the_second_time_and_a_missing_verifier_is_refused()
    {
        await using var hub = await StartHubAsync();
        using var http = HubBrowser.CreateClient();
        var (code, verifier, redirect) = await AuthorizeManuallyAsync(hub);

        using var noVerifier = await RedeemAsync(http, hub, code, verifier: null, redirect);
        Assert.Equal(HttpStatusCode.BadRequest, noVerifier.StatusCode);

        // The failed attempt may have consumed the code (RFC 6749 §4.1.2); use a fresh one for the replay check.
        (code, verifier, redirect) = await AuthorizeManuallyAsync(hub);
        using var first = await RedeemAsync(http, hub, code, verifier, redirect);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var replay = await RedeemAsync(http, hub, code, verifier, redirect);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        using var doc = JsonDocument.Parse(await replay.Content.ReadAsStringAsync());
        Assert.Equal("invalid_grant", doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Plain_http_discovery_is_refused_for_a_non_loopback_endpoint()
    {
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new OidcBrowserSignIn().SignInAsync(
            new OidcSignInOptions { Endpoint = new Uri("http://hub.example.com/") }, (_, _) => Task.CompletedTask, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, ex.Kind);
    }

    [Fact]
    public async Task Sign_in_times_out_when_the_browser_never_comes_back()
    {
        await using var hub = await StartHubAsync();
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new OidcBrowserSignIn().SignInAsync(
            OptionsFor(hub) with { Timeout = TimeSpan.FromSeconds(1) }, (_, _) => Task.CompletedTask, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
        Assert.Contains("not completed", ex.Message);
    }

    private static async Task<(string Code, string Verifier, string Redirect)> AuthorizeManuallyAsync(LocalHub hub)
    {
        var verifier = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        const string redirect = "http://127.0.0.1:9/callback";
        var url = new Uri(hub.BaseUri, "oauth/authorize?" + string.Join('&', new Dictionary<string, string>
        {
            ["client_id"] = LocalHub.OAuthClientId,
            ["response_type"] = "code",
            ["scope"] = "openid profile offline_access",
            ["redirect_uri"] = redirect,
            ["state"] = "s" + Guid.NewGuid().ToString("N"),
            ["nonce"] = "n" + Guid.NewGuid().ToString("N"),
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        }.Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value)}")));
        var location = await HubBrowser.LoginAsync(url, "demo", hub.DemoPassword);
        return (HubBrowser.QueryValue(location, "code"), verifier, redirect);
    }

    private static Task<HttpResponseMessage> RedeemAsync(HttpClient http, LocalHub hub, string code, string? verifier, string redirect)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = LocalHub.OAuthClientId,
            ["code"] = code,
            ["redirect_uri"] = redirect,
        };
        if (verifier is not null)
        {
            form["code_verifier"] = verifier;
        }

        return http.PostAsync(new Uri(hub.BaseUri, "oauth/token"), new FormUrlEncodedContent(form));
    }
}
