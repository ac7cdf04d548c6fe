using ModelIde.Core.Auth;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Hub;

namespace ModelIde.Core.Tests.Auth;

public sealed class AccessTokenSignInTests
{
    [Fact]
    public async Task Good_token_gives_the_user_name_and_the_git_token_from_login()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        using var http = ModelScopeApiClient.CreateHttpClient();
        var session = await new AccessTokenSignIn(http).ValidateAsync(hub.BaseUri, hub.DemoToken, CancellationToken.None);

        Assert.Equal("demo", session.UserName);
        Assert.Equal(hub.GitTokenFor("demo"), session.GitToken);
        Assert.Equal(hub.DemoToken, session.AccessToken);
        Assert.Equal(AuthSessionKind.AccessToken, session.Kind);
    }

    [Theory]
    [InlineData("ms-wrong-1234567890")]
    [InlineData("expired")]
    public async Task Wrong_or_expired_token_is_refused_with_a_clear_message(string token)
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        using var http = ModelScopeApiClient.CreateHttpClient();
        var actual = token == "expired" ? hub.ExpiredToken : token;
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new AccessTokenSignIn(http).ValidateAsync(hub.BaseUri, actual, CancellationToken.None));

        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
        Assert.StartsWith("The hub did not accept this access token", ex.Message);
        Assert.DoesNotContain(actual, ex.Message);
    }

    [Fact]
    public async Task A_token_that_expires_after_sign_in_is_refused_afterwards()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 10 }, CancellationToken.None);
        using var http = ModelScopeApiClient.CreateHttpClient();
        var token = hub.IssueToken("demo");
        Assert.Equal("demo", (await new AccessTokenSignIn(http).ValidateAsync(hub.BaseUri, token, CancellationToken.None)).UserName);
        Assert.True(hub.ExpireToken(token));
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new AccessTokenSignIn(http).ValidateAsync(hub.BaseUri, token, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
    }
}
