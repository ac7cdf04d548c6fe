using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Tuning of <see cref="ModelDownloader"/>. Defaults: 8 files at a time, each on one connection that reads it in a
/// single request; files of 64 MiB and more may use up to 8 connections when more connections are measured to pay off
/// (a host that throttles each connection), each new one taking half of a range of at least 2 x 16 MiB. The SDK's
/// 500 MB / 160 MiB fixed parts come from one-worker Python threads; here parts follow the observed throughput.
/// </summary>
public sealed record DownloadOptions
{
    public long ParallelThresholdBytes { get; init; } = 64L << 20;

    /// <summary>The smallest range handed to another connection; a crash re-fetches at most this much (see <see cref="StateSaveInterval"/>).</summary>
    public long PartSizeBytes { get; init; } = 16L << 20;

    /// <summary>Connections one file may use at once.</summary>
    public int MaxParallelParts { get; init; } = 8;

    public int MaxParallelFiles { get; init; } = 8;

    /// <summary>
    /// Progress is written to the resume state after at most this many new bytes of a file (and never less often than
    /// every <see cref="PartSizeBytes"/>), so a killed download re-fetches at most about this much.
    /// </summary>
    public long StateSaveInterval { get; init; } = 4L << 20;

    /// <summary>A body read that stalls this long counts as a cut connection (then retried from the bytes written).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of one connection's range on 429, 5xx and network errors; Retry-After is honoured.</summary>
    public RetryPolicy Retry { get; init; } = new(6, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));

    /// <summary>How many times a file is fetched from scratch after its SHA-256 did not match (1 = one retry).</summary>
    public int IntegrityRetries { get; init; } = 1;

    /// <summary>How retries wait; tests replace it to observe the waits (Retry-After) without sleeping.</summary>
    internal Func<TimeSpan, CancellationToken, Task> Wait { get; init; } = Task.Delay;

    /// <summary>Progress callbacks at most this often (plus one at each file's end).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Defaults, overridden by MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB, MODELSCOPE_DOWNLOAD_PART_SIZE_MB and
    /// MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS (connections to one file at a time), read the same way by the CLI and the sidecar.
    /// </summary>
    public static DownloadOptions FromEnvironment()
    {
        var options = new DownloadOptions();
        if (MegabytesFromEnv("MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB", "MODELSCOPE_PARALLEL_DOWNLOAD_THRESHOLD_MB") is { } threshold)
        {
            options = options with { ParallelThresholdBytes = threshold };
        }

        if (MegabytesFromEnv("MODELSCOPE_DOWNLOAD_PART_SIZE_MB") is { } part && part > 0)
        {
            options = options with { PartSizeBytes = part };
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var workers) && workers > 0)
        {
            options = options with { MaxParallelParts = workers };
        }

        return options;
    }

    private static long? MegabytesFromEnv(params string[] names)
    {
        foreach (var name in names)
        {
            var text = Environment.GetEnvironmentVariable(name);
            if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var mb) && mb >= 0)
            {
                return (long)(mb * 1024 * 1024);
            }
        }

        return null;
    }
}

/// <param name="FilesWithoutSha256">Files the hub listed without a SHA-256: only their sizes could be checked.</param>
public sealed record DownloadResult(string LocalPath, int Files, long Bytes, long BytesFetched, IReadOnlyList<string> FilesFromCache, int FilesWithoutSha256 = 0);
