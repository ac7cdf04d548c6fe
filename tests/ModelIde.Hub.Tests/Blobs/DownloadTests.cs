using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace ModelIde.Hub.Tests.Blobs;

public sealed class DownloadTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private LocalHub Hub => fixture.Hub;

    private async Task<Uri> RedirectFor(string repo, string path, string revision = "master", string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, fixture.Url($"api/v1/models/{repo}/repo?Revision={Uri.EscapeDataString(revision)}&FilePath={Uri.EscapeDataString(path)}"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Cookie", $"m_session_id={token}");
        }

        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return response.Headers.Location!;
    }

    [Fact]
    public async Task Download_redirects_to_the_blob_host_on_another_port()
    {
        var location = await RedirectFor("modelide/tiny-stdlib-coder", "config.json", token: Hub.DemoToken);
        Assert.Equal(Hub.BlobBaseUri.Port, location.Port);
        Assert.NotEqual(Hub.BaseUri.Port, location.Port);
        Assert.DoesNotContain(Hub.DemoToken, location.ToString(), StringComparison.Ordinal);

        var bytes = await fixture.Http.GetByteArrayAsync(location);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder", "config.json")), bytes);
    }

    [Fact]
    public async Task Blob_host_honours_range_with_206()
    {
        var location = await RedirectFor("modelide/tiny-stdlib-coder", "model.onnx");
        var full = await File.ReadAllBytesAsync(Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder", "model.onnx"));
        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("bytes", string.Join(",", response.Headers.AcceptRanges));
        Assert.Equal(1000, response.Content.Headers.ContentRange!.From);
        Assert.Equal(1999, response.Content.Headers.ContentRange.To);
        Assert.Equal(full.Length, response.Content.Headers.ContentRange.Length);
        Assert.Equal(full.AsSpan(1000, 1000).ToArray(), await response.Content.ReadAsByteArrayAsync());

        using var open = new HttpRequestMessage(HttpMethod.Get, location);
        open.Headers.Range = new RangeHeaderValue(full.Length - 10, null);
        using var tail = await fixture.Http.SendAsync(open);
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(full.AsSpan(full.Length - 10).ToArray(), await tail.Content.ReadAsByteArrayAsync());

        using var beyond = new HttpRequestMessage(HttpMethod.Get, location);
        beyond.Headers.Range = new RangeHeaderValue(full.Length, null);
        using var unsatisfiable = await fixture.Http.SendAsync(beyond);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
    }

    [Fact]
    public async Task Request_log_counts_the_body_bytes_the_blob_host_sent()
    {
        var location = await RedirectFor("modelide/tiny-stdlib-coder", "model.onnx");
        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.Headers.Range = new RangeHeaderValue(4096, 4096 + 12_344);
        using var response = await fixture.Http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        var entry = Hub.BlobRequestLog.Last(r => r.Range == "bytes=4096-16440");
        Assert.Equal(12_345, body.Length);
        Assert.Equal(body.Length, entry.BytesSent);
    }

    [Fact]
    public async Task Blob_host_never_sees_the_token_when_the_client_drops_it_on_redirect()
    {
        var location = await RedirectFor(Hub.PrivateModelId, "notes.txt", token: Hub.DemoToken);
        var before = Hub.BlobRequestLog.Count;
        var bytes = await fixture.Http.GetByteArrayAsync(location);
        Assert.NotEmpty(bytes);
        var blobRequests = Hub.BlobRequestLog.Skip(before).ToList();
        Assert.DoesNotContain(blobRequests, r => r.HasAuthorization || r.HasSessionCookie);
        Assert.NotEmpty(blobRequests);
        Assert.All(blobRequests, r =>
        {
            Assert.False(r.HasAuthorization);
            Assert.False(r.HasSessionCookie);
        });
    }

    [Fact]
    public async Task Blob_log_records_a_request_that_did_carry_a_token()
    {
        var location = await RedirectFor("modelide/tiny-stdlib-coder", "config.json");
        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "leaky");
        using var response = await fixture.Http.SendAsync(request);
        // The hub logs a request once its body is sent (to count the bytes), which can be just after the client has it.
        for (var i = 0; i < 100 && !Hub.BlobRequestLog.Any(r => r.HasAuthorization); i++)
        {
            await Task.Delay(20);
        }

        Assert.Contains(Hub.BlobRequestLog, r => r.HasAuthorization && r.Path.EndsWith("/config.json", StringComparison.Ordinal));
        Assert.True(Hub.BlobHostSawCredentials);
    }

    [Fact]
    public async Task Tampered_blob_signature_is_refused()
    {
        var location = await RedirectFor("modelide/tiny-stdlib-coder", "config.json");
        var tampered = new Uri(location.ToString().Replace("config.json", "README.md", StringComparison.Ordinal));
        using var response = await fixture.Http.GetAsync(tampered);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Old_revision_downloads_the_old_readme()
    {
        var location = await RedirectFor("modelide/tiny-stdlib-coder", "README.md", "v1.0");
        var bytes = await fixture.Http.GetByteArrayAsync(location);
        Assert.NotEqual(await File.ReadAllBytesAsync(Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder", "README.md")), bytes);
        var (_, listing) = await fixture.GetJsonAsync("api/v1/models/modelide/tiny-stdlib-coder/repo/files?Revision=v1.0");
        var expected = Envelope.AssertLegacyOk(listing).GetProperty("Files").EnumerateArray().Single(f => f.GetProperty("Path").GetString() == "README.md").GetProperty("Sha256").GetString();
        Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public async Task Private_file_download_without_token_is_404()
    {
        using var response = await fixture.Http.GetAsync(fixture.Url($"api/v1/models/{Hub.PrivateModelId}/repo?Revision=master&FilePath=notes.txt"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Missing_file_download_is_404()
    {
        using var response = await fixture.Http.GetAsync(fixture.Url("api/v1/models/modelide/tiny-stdlib-coder/repo?Revision=master&FilePath=nope.bin"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Head_probe_of_the_download_url_answers_the_redirect()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, fixture.Url("api/v1/models/modelide/tiny-stdlib-coder/repo?Revision=master&FilePath=model.onnx"));
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        using var head = new HttpRequestMessage(HttpMethod.Head, response.Headers.Location);
        using var blob = await fixture.Http.SendAsync(head);
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        Assert.Equal(new FileInfo(Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder", "model.onnx")).Length, blob.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("bytes=-100", 206)]
    [InlineData("bytes=0-0", 206)]
    [InlineData("bytes=0-1,5-6", 200)]
    [InlineData("items=0-10", 200)]
    [InlineData("bytes=-0", 416)]
    public async Task Range_forms_are_answered_per_rfc(string range, int expected)
    {
        var location = await RedirectFor("modelide/tiny-stdlib-coder", "config.json");
        var full = await File.ReadAllBytesAsync(Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder", "config.json"));
        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.Headers.TryAddWithoutValidation("Range", range);
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(expected, (int)response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        switch (expected)
        {
            case 200:
                Assert.Equal(full, body);
                break;
            case 206 when range == "bytes=-100":
                Assert.Equal(full.AsSpan(full.Length - 100).ToArray(), body);
                break;
            case 206:
                Assert.Equal([full[0]], body);
                break;
            default:
                Assert.Equal($"bytes */{full.Length}", response.Content.Headers.ContentRange?.ToString());
                break;
        }
    }
}
