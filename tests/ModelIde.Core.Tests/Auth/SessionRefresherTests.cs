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
}
