using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;
using ModelIde.Core.Tests.Jobs;
using ModelIde.Hub;
using ModelIde.TestSupport;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>Offline use and the hub-unreachable fallback (issue 15 item 5), with the hub really stopped.</summary>
public sealed class CachedSnapshotsTests : IDisposable
{
    private static readonly ModelId Tiny = ModelId.Parse("modelide/tiny-stdlib-coder");
    private readonly TempFolder _root = new();
    private readonly HttpClient _http = ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        _http.Dispose();
        _root.Dispose();
    }

    private ModelCacheLayout Layout => new(_root.Path);

    private ModelDownloader Downloader(Uri endpoint, HttpClient? http = null)
    {
        var session = new HubSession(endpoint);
        session.SignIn(LocalHubOptions.DefaultDemoToken, "demo", null);
        var api = new ModelScopeApiClient(http ?? _http, session, new RetryPolicy(2, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100)));
        return new ModelDownloader(api, http ?? _http, Layout, new DownloadOptions { Retry = new RetryPolicy(2, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100)) });
    }

    /// <summary>Downloads from a hub of its own, then stops it (its client goes first: the hub waits for open connections).</summary>
    private async Task<(Uri Endpoint, DownloadResult Online)> DownloadThenStopTheHubAsync(IReadOnlyList<string>? include = null)
    {
        var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        try
        {
            using var http = ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(30));
            return (hub.BaseUri, await Downloader(hub.BaseUri, http).DownloadAsync(Tiny, null, include, null, CancellationToken.None));
        }
        finally
        {
            await hub.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_model_downloaded_while_online_is_served_offline_and_when_the_hub_is_down()
    {
        var (endpoint, online) = await DownloadThenStopTheHubAsync();
        var snapshots = new CachedSnapshots(Layout);

        var notices = new List<string>();
        var offline = snapshots.ServeOffline(Tiny, null, null, notices.Add);
        Assert.Equal((online.LocalPath, online.Files, online.Bytes, 0L), (offline.LocalPath, offline.Files, offline.Bytes, offline.BytesFetched));
        Assert.StartsWith("Offline: using the cached modelide/tiny-stdlib-coder@master", Assert.Single(notices), StringComparison.Ordinal);
        Assert.Contains($"ModelIde downloaded all {online.Files} files of master", notices[0], StringComparison.Ordinal);

        // Not offline, but the hub is stopped: the download fails to connect, and the complete snapshot is used.
        notices.Clear();
        var fallback = await snapshots.DownloadOrUseCacheAsync(Downloader(endpoint), Tiny, null, null, null, notices.Add, CancellationToken.None);
        Assert.Equal(online.LocalPath, fallback.LocalPath);
        Assert.Contains("The hub could not be reached", Assert.Single(notices), StringComparison.Ordinal);
        Assert.Contains("is complete in the cache", notices[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snapshot_with_a_file_missing_is_not_used_when_the_hub_is_down_and_offline_says_which()
    {
        var (endpoint, online) = await DownloadThenStopTheHubAsync();
        File.Delete(Path.Combine(online.LocalPath, "tokenizer.json"));
        var snapshots = new CachedSnapshots(Layout);

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => snapshots.DownloadOrUseCacheAsync(Downloader(endpoint), Tiny, null, null, null, null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.Network, ex.Kind);

        var notices = new List<string>();
        var offline = snapshots.ServeOffline(Tiny, null, null, notices.Add);
        Assert.Equal(online.Files - 1, offline.Files);
        Assert.Contains($"may be incomplete: 1 of the {online.Files} files ModelIde downloaded", Assert.Single(notices), StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", notices[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_download_of_some_files_covers_the_same_request_offline_but_not_the_whole_model()
    {
        var (endpoint, _) = await DownloadThenStopTheHubAsync(["*.json"]);
        var snapshots = new CachedSnapshots(Layout);
        Assert.True(snapshots.Find(Tiny, "master", ["*.json"])!.Complete);
        var whole = snapshots.Find(Tiny, "master", null)!;
        Assert.False(whole.Complete);
        await Assert.ThrowsAsync<ModelIdeException>(() => snapshots.DownloadOrUseCacheAsync(Downloader(endpoint), Tiny, null, null, null, null, CancellationToken.None));
    }

    [Fact]
    public async Task An_old_sdk_snapshot_is_served_offline_as_complete_from_its_mv_and_msc()
    {
        var folder = Path.Combine(_root.Path, "hub", "models", "modelide", "tiny-stdlib-coder");
        var files = WriteModelFiles(folder);
        await PythonSdkLogin.RunAsync("legacy-cache", folder, "--id", "modelide/tiny-stdlib-coder", "--revision", "master", "--created-at", "1789459200",
            "--files", string.Join(',', files.Select(f => f + "=0123456789abcdef")));
        var notices = new List<string>();

        var result = new CachedSnapshots(Layout).ServeOffline(Tiny, null, null, notices.Add);

        Assert.Equal(folder, result.LocalPath);
        Assert.Equal(files.Count, result.Files);
        Assert.Contains($"the ModelScope SDK finished a snapshot of master here (.mv) and recorded its {files.Count} files (.msc)", Assert.Single(notices), StringComparison.Ordinal);
        // Another revision is not what the SDK's record says is there.
        Assert.False(new CachedSnapshots(Layout).Find(Tiny, "v1.0", null)!.Complete);
    }

    [Fact]
    public async Task A_new_layout_folder_with_no_record_is_served_when_offline_is_asked_but_never_silently()
    {
        var folder = Layout.SnapshotFolder(Tiny, "master");
        var files = WriteModelFiles(folder);
        // What interrupted downloads leave beside them (ModelIde's and the SDK's partial files) is not a model file.
        foreach (var partial in new[] { "model.onnx.modelide-partial", "model.onnx.modelide-partial.json", "config.json.modelide-partial~1", "tokenizer.json.incomplete" })
        {
            File.WriteAllText(Path.Combine(folder, partial), "partial");
        }

        var notices = new List<string>();

        var served = new CachedSnapshots(Layout).ServeOffline(Tiny, null, null, notices.Add);
        Assert.Equal(folder, served.LocalPath);
        Assert.Equal(files.Count, served.Files);
        Assert.Contains("may be incomplete", Assert.Single(notices), StringComparison.Ordinal);
        Assert.Contains("nothing records that the snapshot of master is complete", notices[0], StringComparison.Ordinal);

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new CachedSnapshots(Layout).DownloadOrUseCacheAsync(Downloader(ClosedEndpoint()), Tiny, null, null, null, null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.Network, ex.Kind);
    }

    [Fact]
    public void Offline_with_nothing_cached_is_a_clear_not_found_and_asks_nobody()
    {
        var ex = Assert.Throws<ModelIdeException>(() => new CachedSnapshots(Layout).ServeOffline(Tiny, null, null, null));
        Assert.Equal(ModelIdeErrorKind.NotFound, ex.Kind);
        Assert.Contains("Offline, and modelide/tiny-stdlib-coder@master is not in the cache", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData(" YES ", true)]
    [InlineData("0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void The_offline_variable(string? value, bool offline)
    {
        Assert.Equal(offline, CachedSnapshots.IsOfflineRequested(name => name == CachedSnapshots.OfflineVariable ? value : null));
    }

    private static Uri ClosedEndpoint() => new($"http://127.0.0.1:{TcpRelay.ClosedPort()}/");

    private static List<string> WriteModelFiles(string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        foreach (var file in Directory.EnumerateFiles(LocalHubFixture.RepoModelsDirectory()))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            files.Add(Path.GetFileName(file));
        }

        return files;
    }
}
