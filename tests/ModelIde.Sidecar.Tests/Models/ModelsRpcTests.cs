using System.Security.Cryptography;
using ModelIde.Hub;
using ModelIde.Protocol;
using ModelIde.Sidecar;
using ModelIde.Sidecar.Tests.Rpc;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Models;

/// <summary>models/*, downloads/* and git/clone through the real JSON-RPC stack against the local hub.</summary>
public sealed class ModelsRpcTests : IAsyncLifetime
{
    private readonly List<DownloadsProgressParams> _progress = [];
    private readonly List<GitProgressParams> _gitProgress = [];
    private LocalHub _hub = null!;
    private SidecarConnection _sidecar = null!;

    public async Task InitializeAsync()
    {
        _hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 200 }, CancellationToken.None);
        _sidecar = SidecarConnection.Start(_hub.BaseUri.ToString(), new ProgressSink(_progress, _gitProgress));
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _hub.DisposeAsync();
    }

    [Fact]
    public async Task Search_files_card_download_cache_and_delete_over_rpc()
    {
        var search = await _sidecar.Client.InvokeWithParameterObjectAsync<ModelsSearchResult>(ModelsMethods.Search, new ModelsSearchParams(Query: "tiny-stdlib", PageNumber: 1, PageSize: 10));
        Assert.Contains(search.Models, m => m.Id == "modelide/tiny-stdlib-coder");

        var files = await _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams("modelide/tiny-stdlib-coder"));
        Assert.Contains(files.Files, f => f.Path == "model.onnx" && f.Type == RepoFileKind.File && f.Sha256 is { Length: 64 });

        var card = await _sidecar.Client.InvokeWithParameterObjectAsync<ModelsCardResult>(ModelsMethods.Card, new ModelsCardParams("modelide/tiny-stdlib-coder"));
        Assert.False(string.IsNullOrWhiteSpace(card.Markdown));
        Assert.Contains("master", card.Detail.Revisions);

        var cache = Directory.CreateTempSubdirectory("modelide-rpc-").FullName;
        try
        {
            var result = await _sidecar.Client.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, new DownloadsStartParams("d1", "modelide/tiny-stdlib-coder", CacheDir: cache));
            var original = Path.Combine(ModelIde.TestSupport.RepoPaths.TinyModelDir(), "model.onnx");
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(original)), SHA256.HashData(File.ReadAllBytes(Path.Combine(result.LocalPath, "model.onnx"))));
            lock (_progress)
            {
                Assert.NotEmpty(_progress);
                Assert.All(_progress, p => Assert.Equal("d1", p.DownloadId));
            }

            var cached = await _sidecar.Client.InvokeWithParameterObjectAsync<CachedModelsResult>(DownloadsMethods.CachedModels, new CacheDirParams(cache));
            var entry = Assert.Single(cached.Models);
            Assert.Equal(("modelide/tiny-stdlib-coder", "master", result.Bytes), (entry.ModelId, entry.Revision, entry.Bytes));
            Assert.Null(result.Notice);
            Assert.Equal(0, result.FilesWithoutSha256);

            // A hub that lists one file without its SHA-256: the result says how many files were checked by size only.
            _hub.Faults.Add(new ModelIde.Hub.Faults.FaultRule { PathPrefix = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files", ListedSizePath = "config.json", ListedSize = new FileInfo(Path.Combine(result.LocalPath, "config.json")).Length, ListedWithoutSha256 = true, Count = 1 });
            var again = await _sidecar.Client.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, new DownloadsStartParams("d1b", "modelide/tiny-stdlib-coder", CacheDir: cache));
            Assert.Equal((result.LocalPath, result.Files, 1), (again.LocalPath, again.Files, again.FilesWithoutSha256));

            // The modelscope.offline setting: the cached snapshot is served, the hub is not asked, and the result says so.
            _hub.RequestLog.Clear();
            var offline = await _sidecar.Client.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, new DownloadsStartParams("d2", "modelide/tiny-stdlib-coder", CacheDir: cache, Offline: true));
            Assert.Equal((result.LocalPath, result.Files, result.Bytes), (offline.LocalPath, offline.Files, offline.Bytes));
            Assert.StartsWith("Offline: using the cached modelide/tiny-stdlib-coder@master", offline.Notice, StringComparison.Ordinal);
            Assert.Empty(_hub.RequestLog.Entries);
            var notCached = await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, new DownloadsStartParams("d3", "modelide/not-cached", CacheDir: cache, Offline: true)));
            Assert.Equal(RpcErrorCodes.NotFound, notCached.ErrorCode);

            var deleted = await _sidecar.Client.InvokeWithParameterObjectAsync<DeleteFromCacheResult>(DownloadsMethods.DeleteFromCache, new DeleteFromCacheParams("modelide/tiny-stdlib-coder", CacheDir: cache));
            Assert.NotEmpty(deleted.Deleted);
            Assert.False(Directory.Exists(result.LocalPath));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_model_id_and_private_model_signed_out_map_to_rpc_error_codes()
    {
        var bad = await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<ModelsFilesResult>(ModelsMethods.Files, new ModelsFilesParams("../etc")));
        Assert.Equal(RpcErrorCodes.InvalidInput, bad.ErrorCode);

        var hidden = await Assert.ThrowsAsync<RemoteInvocationException>(() => _sidecar.Client.InvokeWithParameterObjectAsync<ModelDetailDto>(ModelsMethods.Get, new ModelIdParams(_hub.PrivateModelId)));
        Assert.Equal(RpcErrorCodes.NotFound, hidden.ErrorCode);

        _sidecar.Context.Session.SignIn(_hub.DemoToken, "demo", _hub.GitTokenFor("demo"));
        var visible = await _sidecar.Client.InvokeWithParameterObjectAsync<ModelDetailDto>(ModelsMethods.Get, new ModelIdParams(_hub.PrivateModelId));
        Assert.True(visible.Private);
    }

    [Fact]
    public async Task Git_clone_over_rpc_uses_the_session_git_token_and_stores_none()
    {
        var gitToken = _hub.GitTokenFor("demo");
        _sidecar.Context.Session.SignIn(_hub.DemoToken, "demo", gitToken);
        var target = Path.Combine(Directory.CreateTempSubdirectory("modelide-clone-").FullName, "repo");
        try
        {
            var result = await _sidecar.Client.InvokeWithParameterObjectAsync<GitCloneResult>(GitMethods.Clone, new GitCloneParams("modelide/tiny-stdlib-coder", target));
            Assert.True(File.Exists(Path.Combine(result.Path, "config.json")));
            // The weights are LFS files on the hub: the clone holds their content, not pointers.
            var weights = SHA256.HashData(File.ReadAllBytes(Path.Combine(ModelIde.TestSupport.RepoPaths.TinyModelDir(), "model.onnx")));
            Assert.Equal(weights, SHA256.HashData(File.ReadAllBytes(Path.Combine(result.Path, "model.onnx"))));
            var config = await File.ReadAllTextAsync(Path.Combine(result.Path, ".git", "config"));
            Assert.DoesNotContain(gitToken, config, StringComparison.Ordinal);
            Assert.DoesNotContain(_hub.DemoToken, config, StringComparison.Ordinal);
            lock (_gitProgress)
            {
                // git's own phases arrive as git/progress, the last one of each phase at 100 %.
                Assert.Contains(_gitProgress, g => g.ModelId == "modelide/tiny-stdlib-coder" && g.Percent == 100 && g.Phase.Length > 0);
            }

            var pointers = await _sidecar.Client.InvokeWithParameterObjectAsync<GitCloneResult>(GitMethods.Clone, new GitCloneParams("modelide/tiny-stdlib-coder", target + "-pointers", SkipLfs: true));
            Assert.StartsWith("version https://git-lfs.github.com/spec/v1", File.ReadAllText(Path.Combine(pointers.Path, "model.onnx")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(target)!, recursive: true);
        }
    }

    private sealed class ProgressSink(List<DownloadsProgressParams> sink, List<GitProgressParams> gitSink)
    {
        [JsonRpcMethod(GitMethods.Progress, UseSingleObjectParameterDeserialization = true)]
        public void GitProgress(GitProgressParams p)
        {
            lock (gitSink)
            {
                gitSink.Add(p);
            }
        }

        [JsonRpcMethod(DownloadsMethods.Progress, UseSingleObjectParameterDeserialization = true)]
        public void Progress(DownloadsProgressParams p)
        {
            lock (sink)
            {
                sink.Add(p);
            }
        }
    }
}
