using System.Net;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.ModelScopeApi;

public sealed class ModelScopeApiClientModelsTests
{
    private static (ModelScopeApiClient Api, FakeHubHandler Handler) Create(Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        var handler = new FakeHubHandler(answer);
        var session = new HubSession(new Uri("https://hub.test/"));
        session.SignIn("ms-test-token-123456", "t", null);
        return (new ModelScopeApiClient(new HttpClient(handler), session, RetryPolicy.None), handler);
    }

    [Fact]
    public async Task Search_sends_filters_and_parses_either_casing()
    {
        var (api, handler) = Create(_ => FakeHubHandler.Json("""
            {"Success": true, "Data": {"Models": [{"Id": "Org/M1", "Downloads": 7, "Likes": 2, "Tasks": [{"Name": "text-generation"}], "Private": true, "LastModified": 1760000000}],
             "TotalCount": 41, "PageNumber": 2, "PageSize": 20}}
            """));
        var page = await api.SearchModelsAsync(new ModelSearchQuery { Search = "qwen coder", Owner = "Org", Sort = ModelSortKind.LastModified, Task = "text-generation", License = "mit", PageNumber = 2 }, CancellationToken.None);

        var query = handler.Requests.Single().Uri.Query;
        Assert.Contains("search=qwen%20coder", query, StringComparison.Ordinal);
        Assert.Contains("owner=Org", query, StringComparison.Ordinal);
        Assert.Contains("sort=last_modified", query, StringComparison.Ordinal);
        Assert.Contains("filter.task=text-generation", query, StringComparison.Ordinal);
        Assert.Contains("filter.license=mit", query, StringComparison.Ordinal);
        Assert.Contains("page_number=2", query, StringComparison.Ordinal);
        var m = Assert.Single(page.Models);
        Assert.Equal("Org/M1", m.Id);
        Assert.Equal(7, m.Downloads);
        Assert.Equal(["text-generation"], m.Tasks);
        Assert.True(m.Private);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1760000000), m.LastModified);
        Assert.Equal(41, page.TotalCount);
    }

    [Theory]
    [InlineData(61, 50)]
    [InlineData(301, 10)]
    [InlineData(0, 10)]
    [InlineData(1, 51)]
    public async Task Pages_beyond_the_hub_window_are_refused_without_a_request(int page, int size)
    {
        var (api, handler) = Create(_ => throw new InvalidOperationException("no request expected"));
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => api.SearchModelsAsync(new ModelSearchQuery { PageNumber = page, PageSize = size }, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, ex.Kind);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Page_at_the_window_edge_is_allowed()
    {
        var (api, _) = Create(_ => FakeHubHandler.Json("""{"success": true, "data": {"models": [], "total_count": 0}}"""));
        var page = await api.SearchModelsAsync(new ModelSearchQuery { PageNumber = 60, PageSize = 50 }, CancellationToken.None);
        Assert.Empty(page.Models);
    }

    [Fact]
    public async Task Files_listing_maps_blobs_and_trees()
    {
        var (api, handler) = Create(_ => FakeHubHandler.Json("""
            {"Code": 200, "Success": true, "Data": {"Files": [
              {"Name": "onnx", "Path": "onnx", "Type": "tree", "Size": 0},
              {"Name": "m.onnx", "Path": "onnx/m.onnx", "Type": "blob", "Size": 12, "Sha256": "ABCDEF", "IsLFS": true, "Revision": "c0ffee"}]}}
            """));
        var files = await api.ListModelFilesAsync(ModelId.Parse("o/n"), "v1.0", CancellationToken.None);
        Assert.Contains("Revision=v1.0", handler.Requests[0].Uri.Query, StringComparison.Ordinal);
        Assert.Contains("Recursive=True", handler.Requests[0].Uri.Query, StringComparison.Ordinal);
        Assert.True(files[0].IsDirectory);
        Assert.Equal(new RepoFile("onnx/m.onnx", "m.onnx", false, 12, "abcdef", "c0ffee", true), files[1]);
    }

    [Fact]
    public void Auth_goes_only_to_the_endpoint_host()
    {
        var (api, _) = Create(_ => new HttpResponseMessage(HttpStatusCode.OK));
        using var toHub = api.CreateRequest(HttpMethod.Get, new Uri("https://hub.test/api/v1/models/o/n/repo?FilePath=a"));
        using var toBlob = api.CreateRequest(HttpMethod.Get, new Uri("https://blobs.test/o/n/a"));
        using var toOtherPort = api.CreateRequest(HttpMethod.Get, new Uri("https://hub.test:8080/o/n/a"));
        Assert.NotNull(toHub.Headers.Authorization);
        Assert.Null(toBlob.Headers.Authorization);
        Assert.False(toBlob.Headers.Contains("Cookie"));
        Assert.Null(toOtherPort.Headers.Authorization);
    }

    [Fact]
    public void Retry_after_from_the_server_decides_the_wait()
    {
        var policy = new RetryPolicy(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        var limited = new ModelIdeException(ModelIdeErrorKind.RateLimited, "slow down") { RetryAfter = TimeSpan.FromSeconds(7) };
        Assert.Equal(TimeSpan.FromSeconds(7), policy.DelayFor(limited, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(400), policy.DelayFor(new ModelIdeException(ModelIdeErrorKind.ServerError, "x"), 3));
        Assert.True(policy.ShouldRetry(limited, 4));
        Assert.False(policy.ShouldRetry(limited, 5));
        Assert.False(policy.ShouldRetry(new ModelIdeException(ModelIdeErrorKind.NotFound, "x"), 1));
    }
}
