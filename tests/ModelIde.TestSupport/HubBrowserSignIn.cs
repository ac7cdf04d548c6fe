using System.Net;
using System.Text.RegularExpressions;

namespace ModelIde.TestSupport;

/// <summary>Plays the user's browser on the local hub's OAuth pages.</summary>
public static partial class HubBrowserSignIn
{
    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();

    /// <summary>Signs in as demo on the login form behind <paramref name="authorize"/>, then follows the redirect to the loopback listener.</summary>
    public static async Task<HttpStatusCode> SignInAsync(Uri authorize, string password)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var page = await http.GetStringAsync(authorize).ConfigureAwait(false);
        var fields = HiddenInput().Matches(page).Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        fields.Add(new("username", "demo"));
        fields.Add(new("password", password));
        using var post = await http.PostAsync(new Uri(authorize, "/oauth/authorize"), new FormUrlEncodedContent(fields)).ConfigureAwait(false);
        var location = post.Headers.Location ?? throw new InvalidOperationException($"The login form answered {(int)post.StatusCode} without a redirect.");
        using var callback = await http.GetAsync(location.IsAbsoluteUri ? location : new Uri(authorize, location)).ConfigureAwait(false);
        var body = await callback.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!body.Contains("Signed in", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The loopback listener did not say 'Signed in': " + body);
        }

        return callback.StatusCode;
    }
}
