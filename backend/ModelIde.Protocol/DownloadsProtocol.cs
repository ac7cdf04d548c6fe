namespace ModelIde.Protocol;

/// <summary><c>downloads/*</c>: model downloads into the cache (docs/protocol.md).</summary>
public static class DownloadsMethods
{
    /// <summary>Downloads a model (or the files matching <c>include</c> globs) into the cache; resumes what an earlier run left.</summary>
    [RpcRequest(typeof(DownloadsStartParams), typeof(DownloadsStartResult), IsLong = true)]
    public const string Start = "downloads/start";

    /// <summary>About 5 per second per download.</summary>
    [RpcNotification(typeof(DownloadsProgressParams))]
    public const string Progress = "downloads/progress";

    /// <summary>Models in the cache.</summary>
    [RpcRequest(typeof(CacheDirParams), typeof(CachedModelsResult))]
    public const string CachedModels = "downloads/cachedModels";

    /// <summary>Removes a model (or one revision) from the cache.</summary>
    [RpcRequest(typeof(DeleteFromCacheParams), typeof(DeleteFromCacheResult))]
    public const string DeleteFromCache = "downloads/deleteFromCache";
}

/// <param name="DownloadId">Chosen by the client; progress notifications carry it.</param>
/// <param name="Offline">Serve the cached snapshot without asking the hub (the <c>modelscope.offline</c> setting; <c>MODELSCOPE_OFFLINE=1</c> in the sidecar's environment does the same).</param>
public sealed record DownloadsStartParams(string DownloadId, string ModelId, string? Revision = null, IReadOnlyList<string>? Include = null, string? CacheDir = null, bool Offline = false);

/// <param name="Notice">Set when the cache was used without the hub (offline, or the hub could not be reached): what was used and whether it is known to be complete.</param>
/// <param name="FilesWithoutSha256">Files the hub listed without a SHA-256: their sizes were checked, not their contents.</param>
public sealed record DownloadsStartResult(string LocalPath, int Files, long Bytes, string? Notice = null, int FilesWithoutSha256 = 0);

/// <summary>Progress of one model download. <see cref="BytesDone"/> counts cached and resumed bytes too.</summary>
public record DownloadProgress(
    string? File,
    long BytesDone,
    long BytesTotal,
    int FilesDone,
    int FilesTotal,
    double BytesPerSecond,
    double? EtaSeconds);

/// <summary>A download's progress, under the id the client started it with.</summary>
public sealed record DownloadsProgressParams : DownloadProgress
{
    public DownloadsProgressParams(string downloadId, DownloadProgress progress)
        : base(progress) => DownloadId = downloadId;

    [System.Text.Json.Serialization.JsonConstructor]
    public DownloadsProgressParams(string downloadId, string? file, long bytesDone, long bytesTotal, int filesDone, int filesTotal, double bytesPerSecond, double? etaSeconds)
        : base(file, bytesDone, bytesTotal, filesDone, filesTotal, bytesPerSecond, etaSeconds) => DownloadId = downloadId;

    public string DownloadId { get; init; }
}

public sealed record CacheDirParams(string? CacheDir = null);

public sealed record CachedModelDto(string ModelId, string? Revision, string LocalPath, long Bytes);

public sealed record CachedModelsResult(IReadOnlyList<CachedModelDto> Models);

public sealed record DeleteFromCacheParams(string ModelId, string? Revision = null, string? CacheDir = null);

public sealed record DeleteFromCacheResult(IReadOnlyList<string> Deleted);
