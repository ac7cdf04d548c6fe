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
