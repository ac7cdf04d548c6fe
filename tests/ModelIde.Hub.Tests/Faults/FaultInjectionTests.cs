using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ModelIde.Hub.Faults;

namespace ModelIde.Hub.Tests.Faults;

/// <summary>Faults change shared state, so this class runs its tests one at a time against its own hub.</summary>
public sealed class FaultInjectionTests(HubFixture fixture) : IClassFixture<HubFixture>, IDisposable
{
    private LocalHub Hub => fixture.Hub;

    public void Dispose() => Hub.Faults.Clear();

    [Fact]
    public async Task Rate_limit_fault_answers_429_with_retry_after_for_the_next_n_requests_only()
    {
        Hub.Faults.Add(new FaultRule { PathPrefix = "/openapi/v1/users/me", Status = 429, RetryAfterSeconds = 7, Count = 2 });
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, fixture.Url("openapi/v1/users/me"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Hub.DemoToken);
            using var response = await fixture.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter!.Delta);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(doc.RootElement.GetProperty("success").GetBoolean());
        }

        Assert.Equal(HttpStatusCode.OK, (await fixture.GetJsonAsync("openapi/v1/users/me", bearer: Hub.DemoToken)).Status);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task Server_error_fault_uses_the_envelope_of_the_path(int status)
    {
        Hub.Faults.Add(new FaultRule { PathPrefix = "/api/v1/models/modelide", Status = status, Count = 1 });
        var (code, body) = await fixture.GetJsonAsync("api/v1/models/modelide/tiny-stdlib-coder");
        Assert.Equal(status, (int)code);
        Assert.Equal(status, body.GetProperty("Code").GetInt32());
        Assert.False(body.GetProperty("Success").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await fixture.GetJsonAsync("api/v1/models/modelide/tiny-stdlib-coder")).Status);
    }

    [Fact]
    public async Task Admin_api_adds_lists_and_clears_faults()
    {
        var (status, body) = await fixture.SendJsonAsync(HttpMethod.Post, "_admin/faults",
            """[{"pathRegex": "^/openapi/v1/models\\?.*search=boom", "status": 503}, {"pathPrefix": "/nothing", "delayMs": 5, "count": 3}]""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, Envelope.AssertOpenApiOk(body).GetProperty("active").GetArrayLength());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await fixture.GetJsonAsync("openapi/v1/models?search=boom")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await fixture.GetJsonAsync("openapi/v1/models?search=boom")).Status);
        Assert.Equal(HttpStatusCode.OK, (await fixture.GetJsonAsync("openapi/v1/models?search=qwen")).Status);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, fixture.Url("_admin/faults"));
        var (_, cleared) = await fixture.SendJsonAsync(delete);
        Assert.Equal(0, Envelope.AssertOpenApiOk(cleared).GetProperty("active").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await fixture.GetJsonAsync("openapi/v1/models?search=boom")).Status);
    }

    [Fact]
    public async Task Bad_fault_rule_is_rejected()
    {
        var (status, body) = await fixture.SendJsonAsync(HttpMethod.Post, "_admin/faults", """{"pathRegex": "(unclosed"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidParameter", Envelope.AssertOpenApiError(body));
    }

    [Fact]
    public async Task Delay_fault_holds_the_request_then_answers_normally()
    {
        Hub.Faults.Add(new FaultRule { PathPrefix = "/openapi/v1/users/me", DelayMs = 300, Count = 1 });
        var (status, _) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: Hub.DemoToken);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(Hub.Faults.Active);
    }

    [Fact]
    public async Task Cut_after_bytes_closes_the_blob_connection_mid_body()
    {
        using var redirect = await fixture.Http.GetAsync(fixture.Url("api/v1/models/modelide/tiny-stdlib-coder/repo?Revision=master&FilePath=tokenizer.json"));
        var location = redirect.Headers.Location!;
        Hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", CutAfterBytes = 1000, Count = 1 });

        using var response = await fixture.Http.GetAsync(location, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = new FileInfo(Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder", "tokenizer.json")).Length;
        Assert.Equal(expected, response.Content.Headers.ContentLength);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var received = 0L;
        var buffer = new byte[8192];
        var failed = false;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                received += n;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            failed = true;
        }

        Assert.True(failed || received < expected, "the body should be cut short");
        Assert.True(received <= 1000, $"received {received}");

        // The next download (rule used up) is whole again.
        Assert.Equal(expected, (await fixture.Http.GetByteArrayAsync(location)).LongLength);
    }

    [Fact]
    public async Task Corrupt_sha256_fault_changes_the_listed_hash_of_one_file()
    {
        const string listing = "api/v1/models/modelide/tiny-stdlib-coder/repo/files?Revision=master&Recursive=True";
        static Dictionary<string, string> Hashes(JsonElement body) =>
            Envelope.AssertLegacyOk(body).GetProperty("Files").EnumerateArray().ToDictionary(f => f.GetProperty("Path").GetString()!, f => f.GetProperty("Sha256").GetString()!);
        var good = Hashes((await fixture.GetJsonAsync(listing)).Body);
        Hub.Faults.Add(new FaultRule { PathPrefix = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files", CorruptSha256 = "config.json", Count = 1 });
        var bad = Hashes((await fixture.GetJsonAsync(listing)).Body);
        Assert.Equal(["config.json"], good.Keys.Where(k => good[k] != bad[k]).ToArray());
        Assert.Equal(64, bad["config.json"].Length);
        Assert.Equal(good, Hashes((await fixture.GetJsonAsync(listing)).Body));
    }

    [Fact]
    public async Task Listed_without_sha256_alone_drops_every_hash_of_matching_listings_and_keeps_the_sizes()
    {
        const string listing = "api/v1/models/modelide/tiny-stdlib-coder/repo/files?Revision=master&Recursive=True";
        static JsonElement[] Files(JsonElement body) =>
            Envelope.AssertLegacyOk(body).GetProperty("Files").EnumerateArray().Where(f => f.GetProperty("Type").GetString() == "blob").ToArray();
        var good = Files((await fixture.GetJsonAsync(listing)).Body);
        Assert.All(good, f => Assert.Equal(64, f.GetProperty("Sha256").GetString()!.Length));
        Hub.Faults.Add(new FaultRule { PathPrefix = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files", ListedWithoutSha256 = true, Count = 1 });
        var bare = Files((await fixture.GetJsonAsync(listing)).Body);
        Assert.Equal(good.Length, bare.Length);
        Assert.All(bare, f => Assert.False(f.TryGetProperty("Sha256", out _), f.GetProperty("Path").GetString()));
        Assert.Equal(good.Select(f => f.GetProperty("Size").GetInt64()), bare.Select(f => f.GetProperty("Size").GetInt64()));
        Assert.All(Files((await fixture.GetJsonAsync(listing)).Body), f => Assert.True(f.TryGetProperty("Sha256", out _)));
    }

    [Fact]
    public async Task Request_log_records_auth_presence_and_range_without_the_secret()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, fixture.Url("openapi/v1/users/me?probe=log"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Hub.DemoToken);
        request.Headers.Range = new RangeHeaderValue(0, 9);
        using var _ = await fixture.Http.SendAsync(request);
        var entry = Hub.RequestLog.Entries.Last(e => e.Query.Contains("probe=log", StringComparison.Ordinal));
        Assert.True(entry.HasAuthorization);
        Assert.Equal("bytes=0-9", entry.Range);
        Assert.Equal(200, entry.Status);
        Assert.Equal(RequestLog.ApiHost, entry.Host);

        var (_, body) = await fixture.GetJsonAsync("_admin/requests");
        Assert.DoesNotContain(Hub.DemoToken, body.GetRawText(), StringComparison.Ordinal);
        Assert.Contains(Envelope.AssertOpenApiOk(body).GetProperty("requests").EnumerateArray(), r => r.GetProperty("Query").GetString()!.Contains("probe=log", StringComparison.Ordinal));
    }
}
