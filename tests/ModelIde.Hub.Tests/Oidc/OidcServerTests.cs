using System.Net;

namespace ModelIde.Hub.Tests.Oidc;

public sealed class OidcServerTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    [Fact]
    public async Task Discovery_document_lists_the_endpoints_and_only_s256()
    {
        var (status, doc) = await fixture.GetJsonAsync(".well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fixture.Url("oauth/authorize").ToString(), doc.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(fixture.Url("oauth/token").ToString(), doc.GetProperty("token_endpoint").GetString());
        Assert.Equal(fixture.Url("oauth/userinfo").ToString(), doc.GetProperty("userinfo_endpoint").GetString());
        Assert.Equal(fixture.Url("oauth/revoke").ToString(), doc.GetProperty("revocation_endpoint").GetString());
        Assert.Equal(["S256"], doc.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var grants = doc.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("authorization_code", grants);
        Assert.Contains("refresh_token", grants);
    }

    [Fact]
    public async Task Full_flow_code_pkce_userinfo_refresh_and_api_call_with_the_oauth_token()
    {
        var flow = new OidcFlow(fixture);
        var code = await flow.GetCodeAsync("http://127.0.0.1:40123/any/path");
        var (status, tokens) = await flow.ExchangeAsync(code, redirectUri: "http://127.0.0.1:40123/any/path");
        Assert.Equal(HttpStatusCode.OK, status);
        var access = tokens.GetProperty("access_token").GetString()!;
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("id_token").GetString()));
        var refresh = tokens.GetProperty("refresh_token").GetString()!;

        using var userInfoRequest = new HttpRequestMessage(HttpMethod.Get, fixture.Url("oauth/userinfo"));
        userInfoRequest.Headers.Authorization = new("Bearer", access);
        var (uiStatus, userInfo) = await fixture.SendJsonAsync(userInfoRequest);
        Assert.Equal(HttpStatusCode.OK, uiStatus);
        Assert.Equal("demo", userInfo.GetProperty("preferred_username").GetString());

        var (meStatus, me) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: access);
        Assert.Equal(HttpStatusCode.OK, meStatus);
        Assert.Equal("demo", Envelope.AssertOpenApiOk(me).GetProperty("username").GetString());
        var (privateStatus, _) = await fixture.GetJsonAsync($"openapi/v1/models/{fixture.Hub.PrivateModelId}", bearer: access);
        Assert.Equal(HttpStatusCode.OK, privateStatus);

        using var login = new HttpRequestMessage(HttpMethod.Post, fixture.Url("api/v1/login"))
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { AccessToken = access }), System.Text.Encoding.UTF8, "application/json"),
        };
        login.Headers.Authorization = new("Bearer", access);
        var (loginStatus, loginBody) = await fixture.SendJsonAsync(login);
        Assert.Equal(HttpStatusCode.OK, loginStatus);
        Assert.Equal(fixture.Hub.GitTokenFor("demo"), Envelope.AssertLegacyOk(loginBody).GetProperty("AccessToken").GetString());

        var (refreshStatus, refreshed) = await flow.RefreshAsync(refresh);
        Assert.Equal(HttpStatusCode.OK, refreshStatus);
        var newAccess = refreshed.GetProperty("access_token").GetString()!;
        Assert.NotEqual(access, newAccess);
        Assert.Equal(HttpStatusCode.OK, (await fixture.GetJsonAsync("openapi/v1/users/me", bearer: newAccess)).Status);
    }

    [Fact]
    public async Task Admin_list_of_issued_oauth_tokens_has_every_token_the_client_received()
    {
        var flow = new OidcFlow(fixture);
        var (_, tokens) = await flow.ExchangeAsync(await flow.GetCodeAsync());
        var (_, refreshed) = await flow.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);

        var (status, body) = await fixture.GetJsonAsync("_admin/oauth/issued");
        Assert.Equal(HttpStatusCode.OK, status);
        var data = Envelope.AssertOpenApiOk(body);
        var access = data.GetProperty("accessTokens").EnumerateArray().Select(e => e.GetString()).ToList();
        var refresh = data.GetProperty("refreshTokens").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(tokens.GetProperty("access_token").GetString(), access);
        Assert.Contains(refreshed.GetProperty("access_token").GetString(), access);
        Assert.Contains(tokens.GetProperty("refresh_token").GetString(), refresh);
        Assert.Contains(refreshed.GetProperty("refresh_token").GetString(), refresh);
    }

    [Fact]
    public async Task Ipv6_loopback_redirect_with_any_port_is_accepted()
    {
        var flow = new OidcFlow(fixture);
        var code = await flow.GetCodeAsync("http://[::1]:61023/oauth2redirect");
        var (status, _) = await flow.ExchangeAsync(code, redirectUri: "http://[::1]:61023/oauth2redirect");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Code_exchange_with_a_different_redirect_uri_fails()
    {
        var flow = new OidcFlow(fixture);
        var code = await flow.GetCodeAsync();
        var (status, body) = await flow.ExchangeAsync(code, redirectUri: "http://127.0.0.1:1/other");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Wrong_pkce_verifier_fails()
    {
        var flow = new OidcFlow(fixture);
        var code = await flow.GetCodeAsync();
        var (status, body) = await flow.ExchangeAsync(code, verifier: OidcFlow.Base64Url(new byte[32]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Replayed_code_fails()
    {
        var flow = new OidcFlow(fixture);
        var code = await flow.GetCodeAsync();
        Assert.Equal(HttpStatusCode.OK, (await flow.ExchangeAsync(code)).Status);
        var (status, body) = await flow.ExchangeAsync(code);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Wrong_password_shows_the_form_again_without_a_code()
    {
        var flow = new OidcFlow(fixture);
        using var response = await flow.SignInAsync("demo", "not-the-password");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_loopback_redirect_uri_is_refused()
    {
        var flow = new OidcFlow(fixture);
        using var response = await fixture.Http.GetAsync(fixture.Url(flow.AuthorizeQuery("http://evil.example/callback")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Plain_code_challenge_method_is_refused()
    {
        var flow = new OidcFlow(fixture);
        using var response = await fixture.Http.GetAsync(fixture.Url(flow.AuthorizeQuery(method: "plain", challenge: flow.Verifier)));
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        if (response.Headers.Location is { } location)
        {
            Assert.Contains("error=invalid_request", location.Query, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Revoked_refresh_token_can_no_longer_be_used()
    {
        var flow = new OidcFlow(fixture);
        var (_, tokens) = await flow.ExchangeAsync(await flow.GetCodeAsync());
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        using var revoke = await fixture.Http.PostAsync(fixture.Url("oauth/revoke"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = "modelide",
            ["token"] = refresh,
            ["token_type_hint"] = "refresh_token",
        }));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var (status, body) = await flow.RefreshAsync(refresh);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Garbage_bearer_token_is_401_on_the_api()
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: "eyJhbGciOiJub25lIn0.e30.");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("InvalidToken", Envelope.AssertOpenApiError(body));
    }
}

public sealed class ShortAccessTokenFixture : HubFixture
{
    protected override LocalHubOptions Options => new() { CatalogueSize = 20, AccessTokenLifetime = TimeSpan.FromSeconds(1) };
}

public sealed class ShortRefreshTokenFixture : HubFixture
{
    protected override LocalHubOptions Options => new() { CatalogueSize = 20, RefreshTokenLifetime = TimeSpan.FromSeconds(2) };
}

public sealed class OidcAccessTokenExpiryTests(ShortAccessTokenFixture fixture) : IClassFixture<ShortAccessTokenFixture>
{
    [Fact]
    public async Task Expired_access_token_is_refused_and_refresh_gives_a_working_one()
    {
        var flow = new OidcFlow(fixture);
        var (_, tokens) = await flow.ExchangeAsync(await flow.GetCodeAsync());
        var access = tokens.GetProperty("access_token").GetString()!;
        await Task.Delay(TimeSpan.FromSeconds(2));
        var (expiredStatus, expired) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: access);
        Assert.Equal(HttpStatusCode.Unauthorized, expiredStatus);
        Assert.Equal("TokenExpired", Envelope.AssertOpenApiError(expired));

        var (status, refreshed) = await flow.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, status);
        var (meStatus, me) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: refreshed.GetProperty("access_token").GetString());
        // The new token may itself expire on a very slow machine; it must at least not be "invalid".
        Assert.True(meStatus == HttpStatusCode.OK || Envelope.AssertOpenApiError(me) == "TokenExpired", $"{meStatus}");
    }
}

public sealed class OidcRefreshTokenExpiryTests(ShortRefreshTokenFixture fixture) : IClassFixture<ShortRefreshTokenFixture>
{
    [Fact]
    public async Task Expired_refresh_token_fails()
    {
        var flow = new OidcFlow(fixture);
        var (_, tokens) = await flow.ExchangeAsync(await flow.GetCodeAsync());
        await Task.Delay(TimeSpan.FromSeconds(3));
        var (status, body) = await flow.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }
}
