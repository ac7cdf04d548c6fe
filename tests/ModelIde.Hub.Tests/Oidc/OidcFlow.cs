using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ModelIde.Hub.Tests.Oidc;

/// <summary>Drives the authorization code + PKCE flow over plain HTTP, the way a loopback native client would.</summary>
public sealed partial class OidcFlow(HubFixture fixture)
{
    public const string RedirectUri = "http://127.0.0.1:53682/callback";

    public string Verifier { get; } = Base64Url(RandomNumberGenerator.GetBytes(32));

    public string Challenge => Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public string AuthorizeQuery(string redirectUri = RedirectUri, string method = "S256", string? challenge = null) =>
        $"oauth/authorize?client_id=modelide&response_type=code&scope={Uri.EscapeDataString("openid profile offline_access")}" +
        $"&redirect_uri={Uri.EscapeDataString(redirectUri)}&state=st-123&code_challenge={challenge ?? Challenge}&code_challenge_method={method}";

    /// <summary>GET the login page, post the form back with credentials; returns the final response.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string userName, string password, string redirectUri = RedirectUri)
    {
        using var page = await fixture.Http.GetAsync(fixture.Url(AuthorizeQuery(redirectUri)));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var fields = HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        Assert.Contains("code_challenge", fields.Keys);
        fields["username"] = userName;
        fields["password"] = password;
        return await fixture.Http.PostAsync(fixture.Url("oauth/authorize"), new FormUrlEncodedContent(fields));
    }

    public async Task<string> GetCodeAsync(string redirectUri = RedirectUri)
    {
        using var response = await SignInAsync("demo", fixture.Hub.DemoPassword, redirectUri);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(redirectUri, location.ToString(), StringComparison.Ordinal);
        var query = System.Web.HttpUtility.ParseQueryString(location.Query);
        Assert.Equal("st-123", query["state"]);
        return query["code"]!;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(Dictionary<string, string> form)
    {
        using var response = await fixture.Http.PostAsync(fixture.Url("oauth/token"), new FormUrlEncodedContent(form));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> ExchangeAsync(string code, string? verifier = null, string redirectUri = RedirectUri) => TokenAsync(new()
    {
        ["grant_type"] = "authorization_code",
        ["client_id"] = "modelide",
        ["code"] = code,
        ["redirect_uri"] = redirectUri,
        ["code_verifier"] = verifier ?? Verifier,
    });

    public Task<(HttpStatusCode Status, JsonElement Body)> RefreshAsync(string refreshToken) => TokenAsync(new()
    {
        ["grant_type"] = "refresh_token",
        ["client_id"] = "modelide",
        ["refresh_token"] = refreshToken,
    });

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
