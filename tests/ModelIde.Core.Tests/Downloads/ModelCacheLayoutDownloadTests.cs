using ModelIde.Core.Downloads;
using ModelIde.Core.Hub;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>Where downloads land in a cache the Python SDK shares, driven through the downloader.</summary>
public sealed class ModelCacheLayoutDownloadTests
{
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
