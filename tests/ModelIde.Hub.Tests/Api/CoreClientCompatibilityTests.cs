using ModelIde.Core;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Hub.Faults;
using ModelIde.Protocol;

namespace ModelIde.Hub.Tests.Api;

/// <summary>The product's own API client (Core) against the local hub: the same code must work on modelscope.cn.</summary>
public sealed class CoreClientCompatibilityTests(HubFixture fixture) : IClassFixture<HubFixture>, IDisposable
{
    public void Dispose() => fixture.Hub.Faults.Clear();

    private ModelScopeApiClient Client(string? token, RetryPolicy? retry = null)
    {
        var session = new HubSession(fixture.Hub.BaseUri);
        if (token is not null)
        {
            session.SignIn(token, null, null);
        }

        return new ModelScopeApiClient(ModelScopeApiClient.CreateHttpClient(), session, retry ?? RetryPolicy.None);
    }

    [Fact]
    public async Task Core_client_reads_the_current_user_and_logs_in()
    {
        var client = Client(fixture.Hub.DemoToken);
        var user = await client.GetCurrentUserAsync(CancellationToken.None);
        Assert.Equal("demo", user.UserName);
        var login = await client.LoginAsync(fixture.Hub.DemoToken, CancellationToken.None);
        Assert.Equal("demo", login.UserName);
        Assert.Equal(fixture.Hub.GitTokenFor("demo"), login.GitToken);
    }

    [Fact]
    public async Task Core_client_maps_an_expired_token_to_authentication_required()
    {
        var error = await Assert.ThrowsAsync<ModelIdeException>(() => Client(fixture.Hub.ExpiredToken).GetCurrentUserAsync(CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, error.Kind);
    }

    [Fact]
    public async Task Core_client_maps_the_missing_models_404_to_not_found_with_the_business_code()
    {
        var error = await Assert.ThrowsAsync<ModelIdeException>(() => Client(null).SendLegacyAsync(HttpMethod.Get, "api/v1/models/nobody/missing", null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.NotFound, error.Kind);
        Assert.Equal("10010205001", error.ServerCode);
    }

    [Fact]
    public async Task Core_client_retries_through_an_injected_429()
    {
        var before = fixture.Hub.RequestLog.Entries.Count;
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = "/openapi/v1/users/me", Status = 429, RetryAfterSeconds = 0, Count = 1 });
        var client = Client(fixture.Hub.DemoToken, new RetryPolicy(3, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50)));
        Assert.Equal("demo", (await client.GetCurrentUserAsync(CancellationToken.None)).UserName);
        var seen = fixture.Hub.RequestLog.Entries.Skip(before).Where(e => e.Path == "/openapi/v1/users/me").Select(e => e.Status).ToArray();
        Assert.Equal([429, 200], seen);
    }
}
