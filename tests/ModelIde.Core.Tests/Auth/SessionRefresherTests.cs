using ModelIde.Core.Auth;

namespace ModelIde.Core.Tests.Auth;

public sealed class SessionRefresherTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AuthSession Session(TimeSpan lifetime) => new()
    {
        Endpoint = new Uri("https://hub.example/"),
        UserName = "demo",
        AccessToken = "at-1",
        RefreshToken = "rt-1",
        ObtainedAt = s_t0,
        ExpiresAt = s_t0 + lifetime,
        Kind = AuthSessionKind.OAuth,
    };

    [Theory]
    [InlineData(3600, 0, false)]      // fresh
    [InlineData(3600, 3200, false)]   // 400 s left: more than 60 s and more than 10 % (360 s)
    [InlineData(3600, 3300, true)]    // 300 s left: under 10 % of the lifetime
    [InlineData(300, 200, false)]     // 100 s left of 300: over 60 s and over 10 %
    [InlineData(300, 250, true)]      // 50 s left: under 60 s
    [InlineData(300, 400, true)]      // already expired
    public void Needs_refresh_under_60_seconds_or_10_percent_of_the_lifetime(int lifetimeSeconds, int elapsedSeconds, bool expected)
    {
        Assert.Equal(expected, SessionRefresher.NeedsRefresh(Session(TimeSpan.FromSeconds(lifetimeSeconds)), s_t0.AddSeconds(elapsedSeconds)));
    }

    [Fact]
    public void A_token_without_expiry_is_never_refreshed()
    {
        Assert.False(SessionRefresher.NeedsRefresh(Session(TimeSpan.FromHours(1)) with { ExpiresAt = null }, s_t0.AddYears(1)));
    }

    [Fact]
    public async Task Refreshes_once_when_close_to_expiry_and_fails_closed_when_the_refresh_is_refused()
    {
        var time = new ManualTime(s_t0.AddSeconds(3590));
        var calls = 0;
        var refresher = new SessionRefresher(Session(TimeSpan.FromHours(1)), (s, _) =>
        {
            calls++;
            return calls == 1
                ? Task.FromResult(s with { AccessToken = "at-2", ObtainedAt = time.GetUtcNow(), ExpiresAt = time.GetUtcNow().AddHours(1) })
                : throw new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired, "expired: sign in again");
        }, time);

        Assert.Equal("at-2", (await refresher.GetFreshAsync(CancellationToken.None)).AccessToken);
        Assert.Equal("at-2", (await refresher.GetFreshAsync(CancellationToken.None)).AccessToken);
        Assert.Equal(1, calls);

        time.Now = time.Now.AddHours(2);
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => refresher.GetFreshAsync(CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
        Assert.Null(refresher.Current);
        await Assert.ThrowsAsync<ModelIdeException>(() => refresher.GetFreshAsync(CancellationToken.None));
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
