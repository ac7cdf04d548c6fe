using ModelIde.Core.Downloads;
using ModelIde.Core.Models;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary><c>downloads/*</c>: model downloads into the shared cache, with progress notifications.</summary>
public sealed class DownloadsRpcTarget(SidecarContext context) : IRpcTarget
{
    [JsonRpcMethod(DownloadsMethods.Start, UseSingleObjectParameterDeserialization = true)]
    public async Task<DownloadsStartResult> StartAsync(DownloadsStartParams p, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(p.ModelId);
        var cache = ModelCacheLayout.Resolve(p.CacheDir);
        var snapshots = new CachedSnapshots(cache);
        string? notice = null;
        if (p.Offline || CachedSnapshots.IsOfflineRequested())
        {
            var cached = await Task.Run(() => snapshots.ServeOffline(id, p.Revision, p.Include, n => notice = n), cancellationToken).ConfigureAwait(false);
            return new DownloadsStartResult(cached.LocalPath, cached.Files, cached.Bytes, notice);
        }

        var downloader = new ModelDownloader(context.Api, context.Http, cache, DownloadOptions.FromEnvironment());
        // The downloader already throttles callbacks to about 5 per second.
        var result = await snapshots.DownloadOrUseCacheAsync(
            downloader,
            id,
            p.Revision,
            p.Include,
            progress => _ = context.Notifier.NotifyAsync(DownloadsMethods.Progress, new DownloadsProgressParams(p.DownloadId, progress)),
            n => notice = n,
            cancellationToken).ConfigureAwait(false);
        return new DownloadsStartResult(result.LocalPath, result.Files, result.Bytes, notice, result.FilesWithoutSha256);
    }

    [JsonRpcMethod(DownloadsMethods.CachedModels, UseSingleObjectParameterDeserialization = true)]
    public Task<CachedModelsResult> CachedModelsAsync(CacheDirParams p, CancellationToken cancellationToken) =>
        Task.Run(() => new CachedModelsResult(ModelCacheLayout.Resolve(p.CacheDir).ListCached().Select(m => new CachedModelDto(m.ModelId, m.Revision, m.LocalPath, m.Bytes)).ToArray()), cancellationToken);

    [JsonRpcMethod(DownloadsMethods.DeleteFromCache, UseSingleObjectParameterDeserialization = true)]
    public Task<DeleteFromCacheResult> DeleteFromCacheAsync(DeleteFromCacheParams p, CancellationToken cancellationToken)
    {
        var id = ModelId.Parse(p.ModelId);
        var revision = p.Revision is null ? null : ModelId.ValidateRevision(p.Revision);
        return Task.Run(() => new DeleteFromCacheResult(ModelCacheLayout.Resolve(p.CacheDir).Delete(id, revision)), cancellationToken);
    }
}
