using System.Globalization;

namespace ModelIde.Core.Jobs;

public enum JobBackendKind
{
    Ssh,
    Slurm,
}

/// <summary>A parsed <c>ssh://user@host[:port]</c> or <c>slurm://user@host[:port]</c>.</summary>
public sealed record JobBackendAddress(JobBackendKind Kind, string User, string Host, int Port)
{
    public static bool TryParse(string? text, out JobBackendAddress? address, out string? error)
    {
        address = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "backend is required (ssh://user@host[:port] or slurm://user@host[:port]).";
            return false;
        }

        var sep = text.IndexOf("://", StringComparison.Ordinal);
        var scheme = sep > 0 ? text[..sep].ToLowerInvariant() : "";
        JobBackendKind kind;
        switch (scheme)
        {
            case "ssh": kind = JobBackendKind.Ssh; break;
            case "slurm": kind = JobBackendKind.Slurm; break;
            default:
                error = $"backend '{text}' must start with ssh:// or slurm://.";
                return false;
        }

        var rest = text[(sep + 3)..].TrimEnd('/');
        var at = rest.LastIndexOf('@');
        if (at <= 0)
        {
            error = $"backend '{text}' needs a user name: {scheme}://user@host[:port].";
            return false;
        }

        var user = rest[..at];
        var hostPort = rest[(at + 1)..];
        var port = 22;
        var colon = hostPort.LastIndexOf(':');
        if (colon > 0 && !hostPort.EndsWith(']'))
        {
            if (!int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                error = $"backend '{text}' has an invalid port.";
                return false;
            }

            hostPort = hostPort[..colon];
        }

        var host = hostPort.Trim('[', ']');
        if (!IsValidHost(host))
        {
            error = $"backend '{text}' has an invalid host.";
            return false;
        }

        if (user.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            error = $"backend '{text}' has an invalid user name.";
            return false;
        }

        address = new JobBackendAddress(kind, user, host, port);
        return true;
    }

    /// <summary>
    /// A host name or address as SSH and known_hosts take it: letters, digits and <c>. - _</c>, an IPv6 address's
    /// <c>:</c> and zone <c>%</c>. Nothing else, as the host reaches a known_hosts line (a comma there would trust a second
    /// host, a line break add a line of its own) and error messages.
    /// </summary>
    public static bool IsValidHost(string? host) =>
        host is { Length: > 0 and <= 253 } && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '%') && host[0] != '-';

    public static JobBackendAddress Parse(string? text) =>
        TryParse(text, out var a, out var error) ? a! : throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, error!);

    public override string ToString() =>
        $"{(Kind == JobBackendKind.Ssh ? "ssh" : "slurm")}://{User}@{Host}{(Port == 22 ? "" : ":" + Port.ToString(CultureInfo.InvariantCulture))}";
}
