namespace ModelIde.Protocol;

/// <summary><c>downloads/*</c>: model downloads into the cache (docs/protocol.md).</summary>
public static class DownloadsMethods
{
    /// <summary>Request (long). Downloads a model into the cache; cancel with <c>$/cancelRequest</c>.</summary>
    public const string Start = "downloads/start";

    /// <summary>Notification, sidecar → client, about 5 per second per download.</summary>
    public const string Progress = "downloads/progress";

    /// <summary>Request. Models in the cache.</summary>
    public const string CachedModels = "downloads/cachedModels";

    /// <summary>Request. Removes a model (or one revision) from the cache.</summary>
    public const string DeleteFromCache = "downloads/deleteFromCache";
}

public sealed record DownloadsStartParams(string DownloadId, string ModelId, string? Revision = null, IReadOnlyList<string>? Include = null, string? CacheDir = null);

public sealed record DownloadsStartResult(string LocalPath, int Files, long Bytes);

public sealed record DownloadsProgressParams(
    string DownloadId,
    string? File,
    long BytesDone,
    long BytesTotal,
    int FilesDone,
    int FilesTotal,
    double BytesPerSecond,
    double? EtaSeconds);

public sealed record CacheDirParams(string? CacheDir = null);

public sealed record CachedModelDto(string ModelId, string? Revision, string LocalPath, long Bytes);

public sealed record CachedModelsResult(IReadOnlyList<CachedModelDto> Models);

public sealed record DeleteFromCacheParams(string ModelId, string? Revision = null, string? CacheDir = null);

public sealed record DeleteFromCacheResult(IReadOnlyList<string> Deleted);
