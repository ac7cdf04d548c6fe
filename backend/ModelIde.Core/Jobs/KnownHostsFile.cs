using System.Globalization;
using System.Security.Cryptography;

namespace ModelIde.Core.Jobs;

public enum HostKeyStatus
{
    Unknown,
    Trusted,
    Mismatch,
}

/// <summary>
/// ModelIde's own list of trusted SSH host keys (not ~/.ssh/known_hosts, which it only reads). Lines are
/// <c>[host]:port key-type SHA256:fingerprint</c>; OpenSSH-style lines (<c>host key-type base64-key</c>, not
/// hashed) are understood too, so a file written by <c>ssh-keyscan</c> works.
/// </summary>
public sealed class KnownHostsFile(string path, IReadOnlyList<string>? extraReadOnlyFiles = null)
{
    private static readonly Lock s_gate = new();

    public string Path { get; } = path;

    /// <summary>The fingerprint as OpenSSH prints it: <c>SHA256:</c> + base64 without padding.</summary>
    public static string Fingerprint(byte[] hostKeyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(hostKeyBlob)).TrimEnd('=');

    public static string NormalizeFingerprint(string fingerprint)
    {
        var f = fingerprint.Trim();
        if (f.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase))
        {
            f = f[7..];
        }

        return "SHA256:" + f.TrimEnd('=');
    }

    /// <summary>Whether the text is an OpenSSH SHA256 fingerprint (<c>SHA256:</c> and 43 base64 characters, padding optional).</summary>
    public static bool IsSha256Fingerprint(string fingerprint)
    {
        var f = NormalizeFingerprint(fingerprint);
        return f.Length == 7 + 43 && f.AsSpan(7).IndexOfAnyExcept(s_base64) < 0;
    }

    private static readonly System.Buffers.SearchValues<char> s_base64 =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

    public static string HostPattern(string host, int port) =>
        port == 22 ? host : string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}");

    public HostKeyStatus Check(string host, int port, string fingerprint)
    {
        var wanted = NormalizeFingerprint(fingerprint);
        var pattern = HostPattern(host, port);
        var seen = false;
        foreach (var (hosts, fp) in ReadAll())
        {
            if (!hosts.Contains(pattern, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(fp, wanted, StringComparison.Ordinal))
            {
                return HostKeyStatus.Trusted;
            }

            seen = true;
        }

        return seen ? HostKeyStatus.Mismatch : HostKeyStatus.Unknown;
    }

    /// <summary>Records the key the user confirmed; replaces an older entry for the same host and port.</summary>
    public void Trust(string host, int port, string fingerprint, string keyType = "ssh-key")
    {
        var pattern = HostPattern(host, port);
        lock (s_gate)
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }

            var lines = File.Exists(Path) ? File.ReadAllLines(Path).ToList() : ["# ModelIde trusted SSH host keys: [host]:port key-type SHA256:fingerprint"];
            lines.RemoveAll(l =>
            {
                var parts = l.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 3 && !l.TrimStart().StartsWith('#') && parts[0].Split(',').Contains(pattern, StringComparer.OrdinalIgnoreCase)
                    && parts[2].StartsWith("SHA256:", StringComparison.Ordinal);
            });
            lines.Add($"{pattern} {keyType} {NormalizeFingerprint(fingerprint)}");
            var tmp = Path + ".tmp";
            File.WriteAllLines(tmp, lines);
            File.Move(tmp, Path, overwrite: true);
        }
    }

    private IEnumerable<(string[] Hosts, string Fingerprint)> ReadAll()
    {
        var files = new List<string> { Path };
        files.AddRange(extraReadOnlyFiles ?? []);
        foreach (var file in files)
        {
            string[] lines;
            try
            {
                lines = File.Exists(file) ? File.ReadAllLines(file) : [];
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var line in lines)
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 3 || parts[0].StartsWith('#') || parts[0].StartsWith('|') || parts[0].StartsWith('@'))
                {
                    continue;
                }

                string? fp = null;
                if (parts[2].StartsWith("SHA256:", StringComparison.Ordinal))
                {
                    fp = NormalizeFingerprint(parts[2]);
                }
                else
                {
                    try
                    {
                        fp = Fingerprint(Convert.FromBase64String(parts[2]));
                    }
                    catch (FormatException)
                    {
                    }
                }

                if (fp is not null)
                {
                    yield return (parts[0].Split(','), fp);
                }
            }
        }
    }
}
