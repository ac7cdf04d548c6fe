namespace ModelIde.Core.Auth;

/// <summary>A token found on this machine; still to be validated before use.</summary>
public sealed record LocalCredentials(LocalCredentialSource Source, string AccessToken, string? UserName, string? Email, string Origin)
{
    /// <summary>The host the SDK saved the token for (the cookie's domain), when known.</summary>
    public string? IssuedFor { get; init; }

    /// <summary>When the SDK's saved login stops being valid, when known.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public override string ToString() => $"LocalCredentials({Source}, {UserName ?? "?"}, {Origin})";
}

/// <summary>What a search found, and why a place that was looked at gave nothing (expired, unreadable), for the user.</summary>
public sealed record LocalCredentialSearch(LocalCredentials? Found, IReadOnlyList<string> Notes);

/// <summary>
/// Finds credentials other ModelScope tools left: <c>MODELSCOPE_API_TOKEN</c>, then the SDK's saved login. The SDK keeps
/// the API token only in the pickled cookie jar <c>credentials/cookies</c> (cookie <c>m_session_id</c>, 30 days), read
/// here without running pickle code (<see cref="SdkCookieJar"/>); <c>git_token</c> is the git token login returned,
/// which the API refuses, so it is never used; <c>user</c> is <c>name:email</c>. Folders, in order:
/// <c>MODELSCOPE_CREDENTIALS_PATH</c> as modelscope ≥ 1.38 reads it (the config folder, or a file in it:
/// <c>&lt;path&gt;/credentials</c>), then as ≤ 1.37 read it (the credentials folder itself); else
/// <c>$MODELSCOPE_HOME/credentials</c>; else <c>~/.modelscope/credentials</c>.
/// </summary>
public static class LocalCredentialDiscovery
{
    private const int MaxCookieJarBytes = 256 * 1024;

    public static LocalCredentials? Discover(Func<string, string?>? getEnvironment = null, string? homeDirectory = null) =>
        Search(getEnvironment, homeDirectory).Found;

    /// <param name="preferHost">When the jar has tokens for several hosts, the one saved for this host wins.</param>
    public static LocalCredentialSearch Search(Func<string, string?>? getEnvironment = null, string? homeDirectory = null, DateTimeOffset? now = null, string? preferHost = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var at = now ?? DateTimeOffset.UtcNow;
        var fromEnv = getEnvironment("MODELSCOPE_API_TOKEN")?.Trim();
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return new LocalCredentialSearch(new LocalCredentials(LocalCredentialSource.Environment, fromEnv, null, null, "MODELSCOPE_API_TOKEN"), []);
        }

        var notes = new List<string>();
        foreach (var folder in CredentialsFolders(getEnvironment, homeDirectory))
        {
            if (FromSdkFolder(folder, at, preferHost, notes) is { } found)
            {
                return new LocalCredentialSearch(found, notes);
            }
        }

        return new LocalCredentialSearch(null, notes);
    }

    /// <summary>The SDK credentials folders to look in, in order (see the class summary).</summary>
    public static IReadOnlyList<string> CredentialsFolders(Func<string, string?>? getEnvironment = null, string? homeDirectory = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var home = homeDirectory ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var explicitPath = getEnvironment("MODELSCOPE_CREDENTIALS_PATH");
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            var path = Path.GetFullPath(ExpandHome(explicitPath.Trim(), home));
            // modelscope >= 1.38 (hub/__init__.py _sync_config): a file, or a missing path named "credentials", is inside
            // the config folder; anything else is the config folder. Either way credentials live in <config>/credentials.
            var isFile = File.Exists(path) || (!Directory.Exists(path) && Path.GetFileName(path) == "credentials");
            var configFolder = isFile ? Path.GetDirectoryName(path)! : path;
            return new[] { Path.Combine(configFolder, "credentials"), path }.Distinct(StringComparer.Ordinal).ToArray();
        }

        var msHome = getEnvironment("MODELSCOPE_HOME");
        return !string.IsNullOrWhiteSpace(msHome)
            ? [Path.Combine(Path.GetFullPath(ExpandHome(msHome.Trim(), home)), "credentials")]
            : [Path.Combine(home, ".modelscope", "credentials")];
    }

    private static LocalCredentials? FromSdkFolder(string folder, DateTimeOffset now, string? preferHost, List<string> notes)
    {
        var jarPath = Path.Combine(folder, "cookies");
        IReadOnlyList<SdkCookie> cookies;
        try
        {
            var info = new FileInfo(jarPath);
            if (!info.Exists)
            {
                return null;
            }

            if (info.Length > MaxCookieJarBytes)
            {
                notes.Add($"{jarPath} is {info.Length} bytes, too large for a saved login; it was not read.");
                return null;
            }

            cookies = SdkCookieJar.Read(File.ReadAllBytes(jarPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            notes.Add($"{jarPath} could not be read as the SDK's saved login: {ex.Message}.");
            return null;
        }

        var sessions = cookies.Where(c => c.Name == SdkCookieJar.SessionCookie && IsTokenText(c.Value)).ToList();
        var live = sessions.Where(c => !c.IsExpired(now))
            .OrderByDescending(c => preferHost is not null && string.Equals(c.Domain.TrimStart('.'), preferHost, StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault();
        if (live is null)
        {
            if (sessions.Count > 0)
            {
                var expired = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(sessions.Max(c => c.Expires ?? 0), 0, 253_402_300_799));
                notes.Add($"The ModelScope SDK's saved login in {jarPath} expired on {expired:yyyy-MM-dd HH:mm} UTC; run `modelscope login` again or sign in here.");
            }
            else
            {
                notes.Add($"{jarPath} holds no {SdkCookieJar.SessionCookie} token.");
            }

            return null;
        }

        var (user, email) = ReadUser(folder);
        return new LocalCredentials(LocalCredentialSource.Sdk, live.Value, user, email, jarPath)
        {
            IssuedFor = string.IsNullOrEmpty(live.Domain) ? null : live.Domain.TrimStart('.'),
            ExpiresAt = live.Expires is { } e ? DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(e, 0, 253_402_300_799)) : null,
        };
    }

    private static bool IsTokenText(string value) => value.Length is > 0 and <= 4096 && !value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c));

    private static (string? User, string? Email) ReadUser(string folder)
    {
        var text = ReadSmallText(Path.Combine(folder, "user"));
        if (string.IsNullOrEmpty(text))
        {
            return (null, null);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (text, null) : (NullIfEmpty(text[..colon]), NullIfEmpty(text[(colon + 1)..]));
    }

    private static string? ReadSmallText(string path)
    {
        try
        {
            var info = new FileInfo(path);
            // A user file is tiny; anything large is not what we look for.
            if (!info.Exists || info.Length > 4096)
            {
                return null;
            }

            var text = File.ReadAllText(path).Trim();
            return text.Length == 0 || text.Any(char.IsControl) ? null : text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string ExpandHome(string path, string home) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(home, path.Length > 2 ? path[2..] : string.Empty)
            : path;

    private static string? NullIfEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
