using System.Net;
using System.Text.Json;

namespace ModelIde.Hub.Tests.Api;

public sealed class OpenApiTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private LocalHub Hub => fixture.Hub;

    [Fact]
    public async Task Users_me_with_bearer_token_returns_demo_in_openapi_envelope()
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: Hub.DemoToken);
        Assert.Equal(HttpStatusCode.OK, status);
        var data = Envelope.AssertOpenApiOk(body);
        Assert.Equal("demo", data.GetProperty("username").GetString());
        foreach (var field in new[] { "id", "email", "avatar_url", "description" })
        {
            Assert.True(data.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task Root_page_names_the_discovery_document_and_blob_host()
    {
        var text = await fixture.Http.GetStringAsync(Hub.BaseUri);
        Assert.Contains(".well-known/openid-configuration", text, StringComparison.Ordinal);
        Assert.Contains(Hub.BlobBaseUri.ToString(), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_responses_carry_a_request_id_header()
    {
        using var response = await fixture.Http.GetAsync(fixture.Url("openapi/v1/models?page_size=1"));
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("x-request-id").Single()));
    }

    [Fact]
    public async Task Users_me_accepts_the_session_cookie_instead_of_bearer()
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/users/me", cookie: Hub.DemoToken);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("demo", Envelope.AssertOpenApiOk(body).GetProperty("username").GetString());
    }

    [Theory]
    [InlineData(null, "Unauthorized")]
    [InlineData("ms-wrong-token", "InvalidToken")]
    public async Task Users_me_without_a_valid_token_is_401_with_openapi_error(string? token, string code)
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(code, Envelope.AssertOpenApiError(body));
    }

    [Fact]
    public async Task Expired_token_is_rejected_with_token_expired()
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: Hub.ExpiredToken);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("TokenExpired", Envelope.AssertOpenApiError(body));
    }

    [Fact]
    public async Task Expiring_a_token_makes_it_fail_from_then_on()
    {
        var token = Hub.IssueToken("demo");
        Assert.Equal(HttpStatusCode.OK, (await fixture.GetJsonAsync("openapi/v1/users/me", bearer: token)).Status);
        var (adminStatus, _) = await fixture.SendJsonAsync(HttpMethod.Post, "_admin/tokens/expire", JsonSerializer.Serialize(new { token }));
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/users/me", bearer: token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("TokenExpired", Envelope.AssertOpenApiError(body));
    }

    [Fact]
    public async Task Model_list_items_have_the_documented_fields()
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/models?page_number=1&page_size=5");
        Assert.Equal(HttpStatusCode.OK, status);
        var data = Envelope.AssertOpenApiOk(body);
        Assert.Equal(["models", "page_number", "page_size", "total_count"], Envelope.Names(data).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(5, data.GetProperty("models").GetArrayLength());
        var item = data.GetProperty("models")[0];
        foreach (var field in new[] { "id", "display_name", "description", "downloads", "likes", "license", "tags", "tasks", "private", "gated", "login_required", "file_size", "created_at", "last_modified" })
        {
            Assert.True(item.TryGetProperty(field, out _), field);
        }

        Assert.Contains("/", item.GetProperty("id").GetString()!, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, item.GetProperty("tasks").ValueKind);
    }

    [Fact]
    public async Task Catalogue_has_ten_thousand_unique_models_and_the_offset_limit_is_enforced()
    {
        var (_, first) = await fixture.GetJsonAsync("openapi/v1/models?page_number=1&page_size=50");
        var total = Envelope.AssertOpenApiOk(first).GetProperty("total_count").GetInt32();
        Assert.True(total >= 10_000, $"total_count {total}");

        // The last page inside the 3000 offset limit works; one more is rejected like the real hub.
        var (okStatus, okBody) = await fixture.GetJsonAsync("openapi/v1/models?page_number=60&page_size=50");
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal(50, Envelope.AssertOpenApiOk(okBody).GetProperty("models").GetArrayLength());
        var (badStatus, badBody) = await fixture.GetJsonAsync("openapi/v1/models?page_number=61&page_size=50");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("InvalidParameter", Envelope.AssertOpenApiError(badBody));
        Assert.Contains("3000", badBody.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Page_size_above_fifty_is_rejected()
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/models?page_size=51");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidParameter", Envelope.AssertOpenApiError(body));
    }

    [Fact]
    public async Task Paging_an_owner_to_its_last_page_yields_total_count_distinct_models()
    {
        var (_, probe) = await fixture.GetJsonAsync("openapi/v1/models?owner=Qwen&page_size=1");
        var total = Envelope.AssertOpenApiOk(probe).GetProperty("total_count").GetInt32();
        Assert.InRange(total, 51, 3000);
        var ids = new HashSet<string>();
        var lastPageSize = -1;
        for (var page = 1; page <= (total + 49) / 50; page++)
        {
            var (_, body) = await fixture.GetJsonAsync($"openapi/v1/models?owner=Qwen&page_size=50&page_number={page}");
            var models = Envelope.AssertOpenApiOk(body).GetProperty("models");
            lastPageSize = models.GetArrayLength();
            foreach (var m in models.EnumerateArray())
            {
                Assert.StartsWith("Qwen/", m.GetProperty("id").GetString());
                Assert.True(ids.Add(m.GetProperty("id").GetString()!));
            }
        }

        Assert.Equal(total, ids.Count);
        Assert.Equal(total % 50 == 0 ? 50 : total % 50, lastPageSize);
        var (_, beyond) = await fixture.GetJsonAsync($"openapi/v1/models?owner=Qwen&page_size=50&page_number={((total + 49) / 50) + 1}");
        Assert.Equal(0, Envelope.AssertOpenApiOk(beyond).GetProperty("models").GetArrayLength());
    }

    [Theory]
    [InlineData("downloads")]
    [InlineData("likes")]
    public async Task Sort_orders_by_the_count_descending(string sort)
    {
        var (_, body) = await fixture.GetJsonAsync($"openapi/v1/models?sort={sort}&page_size=50&page_number=3");
        var values = Envelope.AssertOpenApiOk(body).GetProperty("models").EnumerateArray().Select(m => m.GetProperty(sort).GetInt64()).ToList();
        Assert.Equal(50, values.Count);
        Assert.Equal(values.OrderByDescending(v => v).ToList(), values);
        Assert.True(values[0] > values[^1], "values should vary");
    }

    [Fact]
    public async Task Sort_by_last_modified_is_newest_first()
    {
        var (_, body) = await fixture.GetJsonAsync("openapi/v1/models?sort=last_modified&page_size=50");
        var values = Envelope.AssertOpenApiOk(body).GetProperty("models").EnumerateArray().Select(m => DateTimeOffset.Parse(m.GetProperty("last_modified").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(values.OrderByDescending(v => v).ToList(), values);
    }

    [Fact]
    public async Task Search_and_filters_narrow_the_list()
    {
        var (_, all) = await fixture.GetJsonAsync("openapi/v1/models?page_size=1");
        var total = Envelope.AssertOpenApiOk(all).GetProperty("total_count").GetInt32();

        var (_, searched) = await fixture.GetJsonAsync("openapi/v1/models?search=coder&page_size=50");
        var searchData = Envelope.AssertOpenApiOk(searched);
        Assert.InRange(searchData.GetProperty("total_count").GetInt32(), 1, total - 1);
        Assert.All(searchData.GetProperty("models").EnumerateArray(), m => Assert.Contains("coder", m.GetProperty("id").GetString()!, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(searchData.GetProperty("models").EnumerateArray(), m => m.GetProperty("id").GetString() == "modelide/tiny-stdlib-coder");

        var (_, filtered) = await fixture.GetJsonAsync("openapi/v1/models?filter.task=text-to-image&filter.license=apache-2.0&page_size=50");
        var filterData = Envelope.AssertOpenApiOk(filtered);
        Assert.InRange(filterData.GetProperty("total_count").GetInt32(), 1, total - 1);
        Assert.All(filterData.GetProperty("models").EnumerateArray(), m =>
        {
            Assert.Contains("text-to-image", m.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal("apache-2.0", m.GetProperty("license").GetString());
        });

        var (_, library) = await fixture.GetJsonAsync("openapi/v1/models?filter.library=diffusers&page_size=50");
        Assert.All(Envelope.AssertOpenApiOk(library).GetProperty("models").EnumerateArray(), m => Assert.Equal("diffusers", m.GetProperty("library").GetString()));
    }

    [Fact]
    public async Task Private_model_is_listed_and_readable_only_with_the_owners_token()
    {
        var (_, anonymous) = await fixture.GetJsonAsync("openapi/v1/models?owner=demo");
        Assert.Equal(0, Envelope.AssertOpenApiOk(anonymous).GetProperty("total_count").GetInt32());
        var (_, signedIn) = await fixture.GetJsonAsync("openapi/v1/models?owner=demo", bearer: Hub.DemoToken);
        var models = Envelope.AssertOpenApiOk(signedIn).GetProperty("models");
        Assert.Equal(Hub.PrivateModelId, models[0].GetProperty("id").GetString());
        Assert.True(models[0].GetProperty("private").GetBoolean());

        var (hiddenStatus, hidden) = await fixture.GetJsonAsync($"openapi/v1/models/{Hub.PrivateModelId}");
        Assert.Equal(HttpStatusCode.NotFound, hiddenStatus);
        Assert.Equal("NotFound", Envelope.AssertOpenApiError(hidden));
        var (visibleStatus, visible) = await fixture.GetJsonAsync($"openapi/v1/models/{Hub.PrivateModelId}", cookie: Hub.DemoToken);
        Assert.Equal(HttpStatusCode.OK, visibleStatus);
        Assert.Equal(Hub.PrivateModelId, Envelope.AssertOpenApiOk(visible).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Model_detail_of_the_folder_model_reports_its_size()
    {
        var (status, body) = await fixture.GetJsonAsync("openapi/v1/models/modelide/tiny-stdlib-coder");
        Assert.Equal(HttpStatusCode.OK, status);
        var data = Envelope.AssertOpenApiOk(body);
        // The folder's files plus the .gitattributes the hub adds (as a repository created on the real hub has one).
        var (_, listing) = await fixture.GetJsonAsync("api/v1/models/modelide/tiny-stdlib-coder/repo/files?Revision=master&Recursive=True");
        var attributes = Envelope.AssertLegacyOk(listing).GetProperty("Files").EnumerateArray().Single(f => f.GetProperty("Path").GetString() == ".gitattributes").GetProperty("Size").GetInt64();
        var expected = Directory.GetFiles(Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder")).Sum(f => new FileInfo(f).Length) + attributes;
        Assert.Equal(expected, data.GetProperty("file_size").GetInt64());
        Assert.False(data.GetProperty("private").GetBoolean());
    }
}
