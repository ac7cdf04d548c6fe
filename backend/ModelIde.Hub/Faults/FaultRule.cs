using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ModelIde.Hub.Faults;

/// <summary>
/// One injected fault. A rule matches requests (on the API or the blob host) by path prefix and/or regex and
/// optional method; it applies to the next <see cref="Count"/> matching requests (null = until cleared).
/// Effects combine: delay first, then a status answer, else the request runs with a cut or paced body, or a listing
/// that lies (wrong hash, wrong size).
/// </summary>
public sealed record FaultRule
{
    /// <summary>Request path must start with this (e.g. <c>/api/v1/models/modelide/tiny-stdlib-coder/repo</c> or <c>/blobs/</c>).</summary>
    [JsonPropertyName("pathPrefix")]
    public string? PathPrefix { get; init; }

    /// <summary>Request path plus query must match this regex.</summary>
    [JsonPropertyName("pathRegex")]
    public string? PathRegex { get; init; }

    [JsonPropertyName("method")]
    public string? Method { get; init; }

    /// <summary>Answer with this status instead of running the request (429, 500, 502, 503, ...).</summary>
    [JsonPropertyName("status")]
    public int? Status { get; init; }

    /// <summary>Retry-After seconds sent with <see cref="Status"/>.</summary>
    [JsonPropertyName("retryAfterSeconds")]
    public int? RetryAfterSeconds { get; init; }

    /// <summary>How many matching requests this rule hits; null = every one until cleared.</summary>
    [JsonPropertyName("count")]
    public int? Count { get; init; }

    [JsonPropertyName("delayMs")]
    public int? DelayMs { get; init; }

    /// <summary>Blob downloads: send this many body bytes, then abort the connection.</summary>
    [JsonPropertyName("cutAfterBytes")]
    public long? CutAfterBytes { get; init; }

    /// <summary>File listings report a wrong SHA-256 for this repo path (e.g. <c>config.json</c>).</summary>
    [JsonPropertyName("corruptSha256")]
    public string? CorruptSha256 { get; init; }

    /// <summary>
    /// Blob downloads: pace each response body to this many bytes per second. An HTTP/1.1 connection carries one
    /// response at a time, so this is a per-connection limit, like a CDN that throttles each connection.
    /// </summary>
    [JsonPropertyName("rateLimitBytesPerSecond")]
    public long? RateLimitBytesPerSecond { get; init; }

    /// <summary>
    /// File listings report <see cref="ListedSize"/> (and no SHA-256 when <see cref="ListedWithoutSha256"/>) for this repo
    /// path.
    /// </summary>
    [JsonPropertyName("listedSizePath")]
    public string? ListedSizePath { get; init; }

    [JsonPropertyName("listedSize")]
    public long? ListedSize { get; init; }

    /// <summary>
    /// With <see cref="ListedSizePath"/>: that file is listed without its SHA-256. Alone: every file of a matching listing
    /// is (a hub that does not know its files' hashes; clients can then check sizes only).
    /// </summary>
    [JsonPropertyName("listedWithoutSha256")]
    public bool ListedWithoutSha256 { get; init; }

    internal bool Matches(string method, string path, string pathAndQuery)
    {
        if (Method is not null && !string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (PathPrefix is not null && !path.StartsWith(PathPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        return PathRegex is null || Regex.IsMatch(pathAndQuery, PathRegex, RegexOptions.None, TimeSpan.FromSeconds(1));
    }
}

/// <summary>The effects that apply to one request after matching the rules.</summary>
public sealed record FaultEffects(int? Status, int? RetryAfterSeconds, int DelayMs, long? CutAfterBytes, IReadOnlySet<string> CorruptSha256Paths)
{
    public static FaultEffects None { get; } = new(null, null, 0, null, new HashSet<string>());

    /// <summary>Bytes per second each blob response is paced to; null = as fast as the host can send.</summary>
    public long? RateLimitBytesPerSecond { get; init; }

    /// <summary>Repo path → the size (and whether to drop the SHA-256) a listing reports instead of the truth.</summary>
    public IReadOnlyDictionary<string, (long Size, bool WithoutSha256)> ListedSizes { get; init; } = new Dictionary<string, (long, bool)>();

    /// <summary>Every file of the listing is reported without its SHA-256.</summary>
    public bool ListedWithoutSha256 { get; init; }

    /// <summary>Rewrites one file entry of a listing as the matching listing rules say (a hub that lies about sizes or omits hashes).</summary>
    public void RewriteListedFile(Dictionary<string, object?> entry, string path)
    {
        if (ListedWithoutSha256)
        {
            entry.Remove("Sha256");
        }

        if (ListedSizes.TryGetValue(path, out var lie))
        {
            entry["Size"] = lie.Size;
            if (lie.WithoutSha256)
            {
                entry.Remove("Sha256");
            }
        }
    }
}

/// <summary>Thread-safe set of active fault rules, shared by the API host and the blob host.</summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<(FaultRule Rule, int? Left)> _rules = [];

    public void Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.RateLimitBytesPerSecond is <= 0)
        {
            throw new ArgumentException("rateLimitBytesPerSecond must be positive.", nameof(rule));
        }

        if (rule.PathRegex is not null)
        {
            _ = new Regex(rule.PathRegex); // reject a bad pattern now, not on some later request
        }

        lock (_gate)
        {
            _rules.Add((rule, rule.Count));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    public IReadOnlyList<FaultRule> Active
    {
        get
        {
            lock (_gate)
            {
                return _rules.Select(r => r.Rule with { Count = r.Left }).ToList();
            }
        }
    }

    /// <summary>Consumes one use of every rule that matches and merges their effects.</summary>
    public FaultEffects Take(string method, string path, string pathAndQuery)
    {
        lock (_gate)
        {
            if (_rules.Count == 0)
            {
                return FaultEffects.None;
            }

            int? status = null;
            int? retryAfter = null;
            var delay = 0;
            long? cut = null;
            long? rate = null;
            var corrupt = new HashSet<string>(StringComparer.Ordinal);
            var sizes = new Dictionary<string, (long, bool)>(StringComparer.Ordinal);
            var withoutSha256 = false;
            for (var i = 0; i < _rules.Count; i++)
            {
                var (rule, left) = _rules[i];
                if (!rule.Matches(method, path, pathAndQuery))
                {
                    continue;
                }

                status ??= rule.Status;
                retryAfter ??= rule.RetryAfterSeconds;
                delay += rule.DelayMs ?? 0;
                cut ??= rule.CutAfterBytes;
                rate ??= rule.RateLimitBytesPerSecond;
                if (rule.CorruptSha256 is not null)
                {
                    corrupt.Add(rule.CorruptSha256.TrimStart('/'));
                }

                if (rule.ListedSizePath is not null && rule.ListedSize is { } listed)
                {
                    sizes[rule.ListedSizePath.TrimStart('/')] = (listed, rule.ListedWithoutSha256);
                }
                else if (rule.ListedSizePath is null && rule.ListedWithoutSha256)
                {
                    withoutSha256 = true;
                }

                if (left is not null)
                {
                    _rules[i] = (rule, left - 1);
                }
            }

            _rules.RemoveAll(r => r.Left is <= 0);
            return new FaultEffects(status, retryAfter, delay, cut, corrupt) { RateLimitBytesPerSecond = rate, ListedSizes = sizes, ListedWithoutSha256 = withoutSha256 };
        }
    }
}
