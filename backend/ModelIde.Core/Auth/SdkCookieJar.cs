using ModelIde.Core.Sdk;

namespace ModelIde.Core.Auth;

/// <summary>One cookie of the SDK's jar; <see cref="Expires"/> is Unix seconds, null for a session cookie (never expires).</summary>
public sealed record SdkCookie(string Name, string Value, string Domain, string Path, long? Expires)
{
    public bool IsExpired(DateTimeOffset now) => Expires is { } at && at <= now.ToUnixTimeSeconds();

    public override string ToString() => $"SdkCookie({Name}, {Domain}{Path}, expires {Expires?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "never"})";
}

/// <summary>
/// The ModelScope SDK's saved login, <c>credentials/cookies</c>: a pickled <c>requests.cookies.RequestsCookieJar</c>
/// whose <c>m_session_id</c> cookie holds the API token (both SDK generations; docs/modelscope-api.md §2.1). Read with
/// <see cref="RestrictedUnpickler"/>: only the jar, its policy and its cookies are built, and nothing runs.
/// </summary>
public static class SdkCookieJar
{
    public const string SessionCookie = "m_session_id";

    private static readonly RestrictedUnpickler s_reader = new(
    [
        new PickleClass("requests.cookies", "RequestsCookieJar"),
        new PickleClass("http.cookiejar", "Cookie"),
        new PickleClass("http.cookiejar", "DefaultCookiePolicy"),
        // Protocol 2 pickles name Python 2's module (pickle's fix_imports maps http.cookiejar back to cookielib).
        new PickleClass("cookielib", "Cookie"),
        new PickleClass("cookielib", "DefaultCookiePolicy"),
    ]);

    /// <summary>The jar's cookies, or throws <see cref="InvalidDataException"/> when the bytes are not such a jar.</summary>
    public static IReadOnlyList<SdkCookie> Read(ReadOnlySpan<byte> pickle)
    {
        if (s_reader.Load(pickle) is not PickledObject { Type.Name: "RequestsCookieJar" } jar)
        {
            throw new InvalidDataException("the file is not a pickled RequestsCookieJar");
        }

        // _cookies: {domain: {path: {name: Cookie}}}
        var cookies = new List<SdkCookie>();
        foreach (var byPath in Values(jar.Attribute("_cookies")))
        {
            foreach (var byName in Values(byPath))
            {
                foreach (var value in Values(byName))
                {
                    if (value is PickledObject { Type.Name: "Cookie" } cookie
                        && cookie.Attribute("name") is string name
                        && cookie.Attribute("value") is string text)
                    {
                        cookies.Add(new SdkCookie(name, text, cookie.Attribute("domain") as string ?? "", cookie.Attribute("path") as string ?? "/", Expiry(cookie.Attribute("expires"))));
                    }
                }
            }
        }

        return cookies;
    }

    private static IEnumerable<object?> Values(object? dict) =>
        dict as Dictionary<object, object?> is { } d ? d.Values : throw new InvalidDataException("the jar's cookies are not nested dictionaries");

    private static long? Expiry(object? expires) => expires switch
    {
        null => null,
        long seconds => seconds,
        double seconds when double.IsFinite(seconds) => seconds >= 9e18 ? long.MaxValue : seconds <= -9e18 ? long.MinValue : (long)seconds,
        _ => throw new InvalidDataException("a cookie's expiry is not a number"),
    };
}
