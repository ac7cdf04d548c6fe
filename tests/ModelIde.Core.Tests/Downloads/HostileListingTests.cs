using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>A hub that lists hostile paths: the download is refused before anything is written.</summary>
public sealed class HostileListingTests
{
    [Theory]
    [InlineData("../../outside.txt")]
    [InlineData("/tmp/abs.txt")]
    [InlineData("C:/evil.dll")]
    [InlineData("sub\\\\..\\\\..\\\\x")]
    [InlineData("CON")]
    [InlineData("a//b")]
    [InlineData("ok\\u0007.txt")]
    public async Task Download_refuses_a_listing_with_an_unsafe_path_and_writes_nothing(string hostilePath)
    {
        var handler = new FakeHubHandler(request =>
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/repo/files", StringComparison.Ordinal))
            {
                return FakeHubHandler.Json($$$"""
                    {"Code": 200, "Success": true, "Data": {"Files": [
                      {"Name": "fine.txt", "Path": "fine.txt", "Type": "blob", "Size": 3},
                      {"Name": "x", "Path": "{{{hostilePath}}}", "Type": "blob", "Size": 3}]}}
                    """);
            }

            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent("abc"u8.ToArray()) };
        });
        var api = new ModelScopeApiClient(new HttpClient(handler), new HubSession(new Uri("http://hub.test/")), RetryPolicy.None);
        using var cache = new TempFolder();
        var downloader = new ModelDownloader(api, new HttpClient(handler), new ModelCacheLayout(Path.Combine(cache.Path, "cache")));

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => downloader.DownloadAsync(ModelId.Parse("o/n"), null, null, null, CancellationToken.None));

        Assert.Equal(ModelIdeErrorKind.UnsafeInput, ex.Kind);
        Assert.Contains("unsafe", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Single(handler.Requests); // only the listing
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Path));
    }
}
