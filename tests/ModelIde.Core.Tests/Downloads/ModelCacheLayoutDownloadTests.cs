using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;
using ModelIde.Hub;
using ModelIde.TestSupport;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>Where downloads land in a cache the Python SDK shares, driven through the downloader.</summary>
public sealed class ModelCacheLayoutDownloadTests(OldSdkCacheHub server) : IClassFixture<OldSdkCacheHub>
{
    private static readonly ModelId DottedModel = ModelId.Parse("modelide/" + OldSdkCacheHub.ModelName);

    /// <summary>Folders of the old SDK's layouts, by the form's name; each relative to the cache root ModelIde uses.</summary>
    public static TheoryData<string, string> OldSdkForms() => new()
    {
        { "MODELSCOPE_CACHE=<root>, modelscope <= 1.37", "models/modelide/tiny___coder-v1___5" },
        { "default ~/.cache/modelscope/hub, modelscope <= 1.37", "hub/models/modelide/tiny___coder-v1___5" },
        { "snapshot_download(cache_dir=<root>), modelscope <= 1.37", "modelide/tiny___coder-v1___5" },
        { "before models/ (moved into place by modelscope 1.x)", "hub/modelide/tiny___coder-v1___5" },
    };

    [Theory]
    [MemberData(nameof(OldSdkForms))]
    public async Task A_complete_old_sdk_cache_is_reused_with_no_byte_fetched(string form, string relative)
    {
        // Issue 15 item 4: the cache_dir= form was fetched again (20 MB) and the others only by luck of the order.
        var api = server.Client();
        using var root = new TempFolder();
        var legacy = Path.Combine(root.Path, relative);
        await WriteOldSdkCacheAsync(api, legacy);
        server.Hub.RequestLog.Clear();

        var result = await new ModelDownloader(api, server.Http, new ModelCacheLayout(root.Path)).DownloadAsync(DottedModel, null, null, null, CancellationToken.None);

        Assert.True(legacy == result.LocalPath, $"{form}: landed in {result.LocalPath}");
        Assert.Equal(0, result.BytesFetched);
        Assert.Equal(result.Files, result.FilesFromCache.Count);
        Assert.Empty(server.Hub.BlobRequestLog);
        Assert.DoesNotContain(server.Hub.RequestLog.Entries, r => r.Path.EndsWith("/repo", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(root.Path, "models", "modelide--" + OldSdkCacheHub.ModelName)), "a new-layout copy was made");
        // The SDK's own metadata is left as it was.
        Assert.True(File.Exists(Path.Combine(legacy, ".msc")) && File.Exists(Path.Combine(legacy, ".mdl")) && File.Exists(Path.Combine(legacy, ".mv")));
    }

    /// <summary>Lays the model out as the old SDK leaves it: its files plus .mdl/.msc/.mv written by Python.</summary>
    private async Task WriteOldSdkCacheAsync(ModelScopeApiClient api, string folder)
    {
        Directory.CreateDirectory(folder);
        // The SDK drops .gitignore/.gitattributes from what it downloads.
        var listed = (await api.ListModelFilesAsync(DottedModel, "master", CancellationToken.None)).Where(f => !f.IsDirectory && !f.Path.StartsWith(".git", StringComparison.Ordinal)).ToList();
        foreach (var file in listed)
        {
            File.Copy(Path.Combine(server.ModelFolder, file.Path), Path.Combine(folder, file.Path));
        }

        await PythonSdkLogin.RunAsync("legacy-cache", folder, "--id", "modelide/tiny___coder-v1___5", "--revision", "master", "--created-at", "1789459200",
            "--files", string.Join(',', listed.Select(f => $"{f.Path}={f.Revision}")));
    }

    [Theory]
    [InlineData("a/b--c", "a--b/c")]
    [InlineData("a--b/c", "a/b--c")]
    public async Task A_model_whose_sdk_folder_is_another_models_folder_is_refused_and_nothing_is_written(string id, string other)
    {
        // Issue 19 item 14: both ids map to models/a--b--c/, so the second download would take over the first's files.
        var handler = new FakeHubHandler(request => request.RequestUri!.AbsolutePath.EndsWith("/repo/files", StringComparison.Ordinal)
            ? FakeHubHandler.Json("""{"Code": 200, "Success": true, "Data": {"Files": [{"Name": "w.bin", "Path": "w.bin", "Type": "blob", "Size": 3}]}}""")
            : new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent("abc"u8.ToArray()) });
        var api = new ModelScopeApiClient(new HttpClient(handler), new HubSession(new Uri("http://hub.test/")), RetryPolicy.None);
        using var cache = new TempFolder();
        var downloader = new ModelDownloader(api, new HttpClient(handler), new ModelCacheLayout(cache.Path));

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => downloader.DownloadAsync(ModelId.Parse(id), null, null, null, CancellationToken.None));

        Assert.Equal(ModelIdeErrorKind.InvalidInput, ex.Kind);
        Assert.Contains(other, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(handler.Requests, r => !r.Uri.AbsolutePath.EndsWith("/repo/files", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Path));
    }
}
