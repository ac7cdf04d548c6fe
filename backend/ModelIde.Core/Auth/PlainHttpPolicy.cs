using System.Globalization;
using System.Net;

namespace ModelIde.Core.Auth;

/// <summary>
/// Whether a credential (hub token and cookie, git token, OAuth code and tokens, Slurm JWT) may be sent to a URL.
/// https always; plain http only to this machine (127.0.0.0/8, ::1, localhost) or to a host the user named
/// explicitly, because anyone on the network path reads a token sent in clear. The opt-in is per host (any port) or
/// per host:port, from <see cref="EnvironmentVariable"/>, the CLI's <c>--allow-http</c> or the extension's
/// <c>modelscope.allowHttpHosts</c> setting (which a workspace cannot set).
/// </summary>
public sealed class PlainHttpPolicy
{
    /// <summary>Hosts allowed over plain http, separated by commas, semicolons or spaces: <c>hub.lan,10.0.0.5:8765</c>.</summary>
    public const string EnvironmentVariable = "MODELIDE_ALLOW_HTTP_HOSTS";

    /// <summary>
    /// How the program that started this process tells its user to opt in, with <c>{host}</c> for the host (the
    /// extension sets it for the sidecar: its users allow a host in a setting, not in the environment).
    /// </summary>
    public const string OptInHintVariable = "MODELIDE_ALLOW_HTTP_OPT_IN";

    /// <summary><see cref="ModelIdeException.ServerCode"/> of the refusal, so a client can offer the opt-in.</summary>
    public const string PlainHttpRefusedCode = "plainHttpRefused";

    private static readonly char[] s_separators = [',', ';', ' ', '\t', '\n', '\r'];
    private readonly List<(string Host, int? Port)> _allowed;

    public PlainHttpPolicy(IEnumerable<string> allowedHosts)
    {
        _allowed = [];
        foreach (var entry in allowedHosts)
        {
            foreach (var part in Entries(entry))
            {
                _allowed.Add(TryParseEntry(part, out var parsed)
                    ? parsed
                    : throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"'{part}' is not a host name or host:port to allow plain HTTP for."));
            }
        }
    }

    /// <summary>No host allowed over http except this machine.</summary>
    public static PlainHttpPolicy LoopbackOnly { get; } = new([]);

    private const string DefaultOptInHint = "set " + EnvironmentVariable + "={host}";

    /// <summary>How the refusal tells the user to opt in; <c>{host}</c> becomes the host (with port when not 80).</summary>
    public string OptInHint { get; init; } = DefaultOptInHint;

    /// <summary>The allowed entries as written back: <c>host</c> or <c>host:port</c>.</summary>
    public IReadOnlyList<string> AllowedHosts => _allowed.Select(a => a.Port is { } p ? $"{FormatHost(a.Host)}:{p.ToString(CultureInfo.InvariantCulture)}" : FormatHost(a.Host)).ToList();

    /// <summary>
    /// The policy of this process: loopback plus the hosts in <see cref="EnvironmentVariable"/> (an entry that is not a
    /// host is skipped: it allows nothing, and a process must not fail to start over it), and the opt-in hint of
    /// <see cref="OptInHintVariable"/> when set.
    /// </summary>
    public static PlainHttpPolicy FromEnvironment(Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var hosts = Entries(getEnvironment(EnvironmentVariable) ?? string.Empty).Where(e => TryParseEntry(e, out _)).ToList();
        var hint = getEnvironment(OptInHintVariable);
        var withHint = hint is not null && hint.Contains("{host}", StringComparison.Ordinal);
        return hosts.Count == 0 && !withHint ? LoopbackOnly : new PlainHttpPolicy(hosts) { OptInHint = withHint ? hint! : DefaultOptInHint };
    }

    private static IEnumerable<string> Entries(string list) => list.Split(s_separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>This policy plus more hosts (a CLI flag on top of the environment).</summary>
    public PlainHttpPolicy Allowing(IEnumerable<string> moreHosts) => new(AllowedHosts.Concat(moreHosts)) { OptInHint = OptInHint };

    public static bool IsLoopback(Uri uri)
    {
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Uri.IsLoopback is true for 127.0.0.0/8 and ::1; an IPv4-mapped ::ffff:127.x is loopback too.
        return uri.IsLoopback
            || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip));
    }

    /// <summary>True for https, and for http to this machine or to a host the user allowed.</summary>
    public bool MaySendCredentials(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return true;
        }

        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            return false;
        }

        if (IsLoopback(uri))
        {
            return true;
        }

        var host = NormalizeHost(uri.Host);
        return _allowed.Any(a => a.Host == host && (a.Port is null || a.Port == uri.Port));
    }

    /// <summary>Throws a clear <see cref="ModelIdeErrorKind.InvalidInput"/> error unless <see cref="MaySendCredentials"/>.</summary>
    /// <param name="credential">What would be sent, for the message: "your ModelScope token", "the Slurm token".</param>
    public void EnsureMaySendCredentials(Uri uri, string credential)
    {
        if (MaySendCredentials(uri))
        {
            return;
        }

        var where = uri.GetLeftPart(UriPartial.Authority);
        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Refusing to send {credential} to {where}: only https:// (or http:// to this machine) is used for credentials.");
        }

        throw new ModelIdeException(
            ModelIdeErrorKind.InvalidInput,
            $"Refusing to send {credential} to {where} over plain HTTP: anyone on the network path could read it. " +
            $"Use https://, or, only on a network you trust, allow plain HTTP for this host: {OptInHint.Replace("{host}", HostKey(uri), StringComparison.Ordinal)}.")
        {
            ServerCode = PlainHttpRefusedCode,
        };
    }

    /// <summary>The opt-in entry for <paramref name="uri"/>: <c>host</c>, or <c>host:port</c> when the port is not 80.</summary>
    public static string HostKey(Uri uri) =>
        uri.Port == 80 ? FormatHost(NormalizeHost(uri.Host)) : $"{FormatHost(NormalizeHost(uri.Host))}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";

    private static bool TryParseEntry(string entry, out (string Host, int? Port) parsed)
    {
        parsed = default;
        var text = entry.Contains("://", StringComparison.Ordinal) ? entry : "http://" + entry;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        // An explicit port narrows the opt-in to that port; "http://host" and "host" allow every port of the host.
        var authority = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/', '?', '#')[0];
        var afterHost = authority.LastIndexOf(']') is var bracket and >= 0 ? authority[(bracket + 1)..] : authority;
        var explicitPort = afterHost.Contains(':', StringComparison.Ordinal);
        parsed = (NormalizeHost(uri.Host), explicitPort ? uri.Port : null);
        return true;
    }

    private static string NormalizeHost(string host) => host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
}
