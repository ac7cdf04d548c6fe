using System.Text.RegularExpressions;

namespace ModelIde.Core.Diagnostics;

/// <summary>Removes anything token-shaped from text before it reaches a log, an error message or the UI.</summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    // ModelScope SDK tokens (ms-<uuid-ish>), bearer values, JWT-looking strings, oauth2:<token>@ in URLs,
    // and key=value pairs whose key names a secret.
    [GeneratedRegex(@"\bms-[A-Za-z0-9_\-]{6,}", RegexOptions.CultureInvariant)]
    private static partial Regex ModelScopeToken();

    [GeneratedRegex(@"(?i)\b(bearer\s+)[A-Za-z0-9_\-\.=:+/]{6,}", RegexOptions.CultureInvariant)]
    private static partial Regex BearerValue();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*", RegexOptions.CultureInvariant)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?i)(://[^/\s:@]*:)[^@\s/]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?i)\b((?:access_token|refresh_token|id_token|token|code_verifier|client_secret|password|m_session_id|git_token|MODELSCOPE_API_TOKEN|X-SLURM-USER-TOKEN)[""']?\s*(?<sep>[=:])(?<space>\s*)(?<quote>[""']?))(?<value>[^\s""'&,;}]{4,})", RegexOptions.CultureInvariant)]
    private static partial Regex NamedSecret();

    /// <summary>Secrets known at run time (the current token, a git token) that may not look like a token.</summary>
    private static readonly HashSet<string> s_knownSecrets = new(StringComparer.Ordinal);
    private static readonly Lock s_gate = new();

    public static void AddKnownSecret(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 6)
        {
            return;
        }

        lock (s_gate)
        {
            s_knownSecrets.Add(secret);
        }
    }

    /// <summary>
    /// "the token: sign in again" is a sentence, not a secret: after "key: " (colon, space, no quote) only a value
    /// shaped like a secret (a digit in it, or 16+ characters) is masked. <c>key=value</c>, <c>"key": "value"</c> and
    /// <c>key:value</c> are always masked.
    /// </summary>
    private static bool IsProse(Match m)
    {
        var value = m.Groups["value"].Value;
        return m.Groups["sep"].Value == ":" && m.Groups["space"].Length > 0 && m.Groups["quote"].Length == 0
            && value.Length < 16 && !value.Any(char.IsAsciiDigit);
    }

    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        lock (s_gate)
        {
            foreach (var secret in s_knownSecrets)
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        text = NamedSecret().Replace(text, m => IsProse(m) ? m.Value : m.Groups[1].Value + Mask);
        text = BearerValue().Replace(text, m => m.Groups[1].Value + Mask);
        text = UrlPassword().Replace(text, m => m.Groups[1].Value + Mask + "@");
        text = Jwt().Replace(text, Mask);
        text = ModelScopeToken().Replace(text, Mask);
        return text;
    }
}
