using System.Net;
using System.Text.RegularExpressions;

namespace ModelIde.Core.Tests.Auth;

/// <summary>Plays the user's browser over HTTP: opens the authorize URL, fills the hub's login form, returns the redirect.</summary>
internal static partial class HubBrowser
{
    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();

    public static HttpClient CreateClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    /// <summary>Returns the Location the hub redirects the browser to after a successful login (the client's redirect_uri).</summary>
    public static async Task<Uri> LoginAsync(Uri authorizeUrl, string user, string password)
    {
        using var http = CreateClient();
        var page = await http.GetStringAsync(authorizeUrl);
        Assert.Contains("name=\"password\"", page);
        var fields = HiddenInput().Matches(page).Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        Assert.NotEmpty(fields);
        fields.Add(new("username", user));
        fields.Add(new("password", password));
        using var post = await http.PostAsync(new Uri(authorizeUrl, "/oauth/authorize"), new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Found, post.StatusCode);
        var location = post.Headers.Location!;
        return location.IsAbsoluteUri ? location : new Uri(authorizeUrl, location);
    }

    /// <summary>Follows a redirect to the loopback listener like a browser would; returns the status and page.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> FollowAsync(Uri url)
    {
        using var http = CreateClient();
        using var response = await http.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static Uri WithQueryValue(Uri url, string name, string value)
    {
        var query = url.Query.TrimStart('?').Split('&')
            .Select(p => p.StartsWith(name + "=", StringComparison.Ordinal) ? $"{name}={Uri.EscapeDataString(value)}" : p);
        return new UriBuilder(url) { Query = string.Join('&', query) }.Uri;
    }

    public static string QueryValue(Uri url, string name) =>
        url.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).First(p => p[0] == name)[1] is var v ? Uri.UnescapeDataString(v) : "";
}
