namespace ModelIde.Core.Auth;

public enum LocalCredentialSource
{
    /// <summary><c>MODELSCOPE_API_TOKEN</c>.</summary>
    Environment,
    /// <summary>The ModelScope SDK's credentials folder (<c>git_token</c>, <c>user</c>).</summary>
    Sdk,
}

/// <summary>A token found on this machine; still to be validated before use.</summary>
public sealed record LocalCredentials(LocalCredentialSource Source, string AccessToken, string? UserName, string? Email, string Origin)
{
    public override string ToString() => $"LocalCredentials({Source}, {UserName ?? "?"}, {Origin})";
}

/// <summary>
/// Finds credentials other ModelScope tools left: <c>MODELSCOPE_API_TOKEN</c>, then the SDK credentials folder
/// (<c>MODELSCOPE_CREDENTIALS_PATH</c>, else <c>$MODELSCOPE_HOME/credentials</c>, else <c>~/.modelscope/credentials</c>).
/// The pickled <c>cookies</c> file is not read (no pickle codec, and unpickling is unsafe); <c>git_token</c> is the
/// token the SDK stored at login, <c>user</c> holds <c>username:email</c>.
/// </summary>
public static class LocalCredentialDiscovery
{
    public static LocalCredentials? Discover(Func<string, string?>? getEnvironment = null, string? homeDirectory = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var fromEnv = getEnvironment("MODELSCOPE_API_TOKEN")?.Trim();
        var folder = CredentialsFolder(getEnvironment, homeDirectory);
        var (user, email) = ReadUser(folder);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return new LocalCredentials(LocalCredentialSource.Environment, fromEnv, null, null, "MODELSCOPE_API_TOKEN");
        }

        var gitTokenFile = Path.Combine(folder, "git_token");
        var token = ReadSmallText(gitTokenFile);
        return string.IsNullOrEmpty(token) ? null : new LocalCredentials(LocalCredentialSource.Sdk, token, user, email, gitTokenFile);
    }

    public static string CredentialsFolder(Func<string, string?>? getEnvironment = null, string? homeDirectory = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var explicitPath = getEnvironment("MODELSCOPE_CREDENTIALS_PATH");
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return ExpandHome(explicitPath.Trim(), homeDirectory);
        }

        var msHome = getEnvironment("MODELSCOPE_HOME");
        if (!string.IsNullOrWhiteSpace(msHome))
        {
            return Path.Combine(ExpandHome(msHome.Trim(), homeDirectory), "credentials");
        }

        return Path.Combine(homeDirectory ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".modelscope", "credentials");
    }

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
            // A token file is tiny; anything large is not what we look for.
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

    private static string ExpandHome(string path, string? home) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(home ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : string.Empty)
            : path;

    private static string? NullIfEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
