using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace ModelIde.Hub.Tests.Api;

public sealed class LegacyApiTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private const string Tiny = "modelide/tiny-stdlib-coder";
    private LocalHub Hub => fixture.Hub;
    private static string TinyDir => Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder");

    [Fact]
    public async Task Get_model_returns_legacy_envelope_with_readme()
    {
        var (status, body) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}");
        Assert.Equal(HttpStatusCode.OK, status);
        var data = Envelope.AssertLegacyOk(body);
        foreach (var field in new[] { "Id", "Name", "ChineseName", "Visibility", "IsPublished", "IsOnline", "AlreadyStar", "Description", "License", "Downloads", "Stars", "CreatedTime", "LastUpdatedTime", "Architectures", "ModelType", "Tasks", "ReadMeContent", "Organization", "CreatedBy", "Tags", "IsAccessible", "Revision", "Path" })
        {
            Assert.True(data.TryGetProperty(field, out _), field);
        }

        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(TinyDir, "README.md")), data.GetProperty("ReadMeContent").GetString());
        Assert.Equal("modelide", data.GetProperty("Path").GetString());
        Assert.Equal(5, data.GetProperty("Visibility").GetInt32());
    }

    [Theory]
    [InlineData("api/v1/models/nobody/no-such-model")]
    [InlineData("api/v1/models/nobody/no-such-model/repo/files?Revision=master&Recursive=True")]
    [InlineData("api/v1/models/nobody/no-such-model/revisions")]
    [InlineData("api/v1/models/demo/private-notes")] // private to demo: the same answer as a missing model
    public async Task Missing_model_is_http_404_with_the_error_envelope_and_business_code(string path)
    {
        // Issue 15 item 6: modelscope.cn answers 404 here (this hub used to answer HTTP 200 with the business code).
        var (status, body) = await fixture.GetJsonAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(10010205001, body.GetProperty("Code").GetInt64());
        Assert.NotEqual(200, body.GetProperty("Code").GetInt64());
        Assert.False(body.GetProperty("Success").GetBoolean());
        Assert.Contains("模型不存在", body.GetProperty("Message").GetString());
        Assert.True(body.TryGetProperty("RequestId", out _));
    }

    [Fact]
    public async Task Private_model_needs_the_owners_cookie_on_the_legacy_api()
    {
        var (_, hidden) = await fixture.GetJsonAsync($"api/v1/models/{Hub.PrivateModelId}");
        Assert.False(hidden.GetProperty("Success").GetBoolean());
        var (_, visible) = await fixture.GetJsonAsync($"api/v1/models/{Hub.PrivateModelId}", cookie: Hub.DemoToken);
        Assert.Equal(1, Envelope.AssertLegacyOk(visible).GetProperty("Visibility").GetInt32());
    }

    [Fact]
    public async Task Wrong_token_on_legacy_api_is_401_in_legacy_envelope()
    {
        var (status, body) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}", cookie: "ms-not-a-real-token");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, body.GetProperty("Code").GetInt32());
        Assert.False(body.GetProperty("Success").GetBoolean());
    }

    [Fact]
    public async Task File_listing_matches_the_folder_sizes_and_sha256()
    {
        var (status, body) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/repo/files?Revision=master&Recursive=True");
        Assert.Equal(HttpStatusCode.OK, status);
        var files = Envelope.AssertLegacyOk(body).GetProperty("Files").EnumerateArray().ToList();
        var onDisk = Directory.GetFiles(TinyDir).Select(Path.GetFileName).Append(".gitattributes").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(onDisk, files.Select(f => f.GetProperty("Path").GetString()).Order(StringComparer.Ordinal).ToList());
        foreach (var f in files.Where(f => f.GetProperty("Path").GetString() != ".gitattributes"))
        {
            foreach (var field in new[] { "Name", "Path", "Type", "Size", "Sha256", "Revision", "CommitMessage", "CommittedDate", "CommitterName", "InCheck", "IsLFS", "Mode" })
            {
                Assert.True(f.TryGetProperty(field, out _), field);
            }

            var full = Path.Combine(TinyDir, f.GetProperty("Path").GetString()!);
            Assert.Equal("blob", f.GetProperty("Type").GetString());
            Assert.Equal(new FileInfo(full).Length, f.GetProperty("Size").GetInt64());
            await using var stream = File.OpenRead(full);
            Assert.Equal(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)), f.GetProperty("Sha256").GetString());
        }

        // IsLFS follows the repository's .gitattributes: the weights are LFS, the JSON files are not.
        Assert.Equal(["model.onnx"], files.Where(f => f.GetProperty("IsLFS").GetBoolean()).Select(f => f.GetProperty("Path").GetString()!).ToArray());
    }

    [Fact]
    public async Task Revisions_differ_in_the_readme_only()
    {
        var (_, master) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/repo/files?Revision=master&Recursive=True");
        var (_, v1) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/repo/files?Revision=v1.0&Recursive=True");
        static Dictionary<string, string> Hashes(JsonElement body) =>
            Envelope.AssertLegacyOk(body).GetProperty("Files").EnumerateArray().ToDictionary(f => f.GetProperty("Path").GetString()!, f => f.GetProperty("Sha256").GetString()!);
        var a = Hashes(master);
        var b = Hashes(v1);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.Equal(["README.md"], a.Keys.Where(k => a[k] != b[k]).ToArray());
    }

    [Fact]
    public async Task Unknown_revision_is_a_business_error()
    {
        var (status, body) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/repo/files?Revision=v9.9");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("Success").GetBoolean());
    }

    [Fact]
    public async Task Non_recursive_listing_shows_directories_as_trees()
    {
        var (_, flat) = await fixture.GetJsonAsync($"api/v1/models/{Hub.PrivateModelId}/repo/files?Revision=master&Recursive=False", bearer: Hub.DemoToken);
        var entries = Envelope.AssertLegacyOk(flat).GetProperty("Files").EnumerateArray().ToList();
        Assert.Contains(entries, e => e.GetProperty("Path").GetString() == "data" && e.GetProperty("Type").GetString() == "tree");
        Assert.DoesNotContain(entries, e => e.GetProperty("Path").GetString() == "data/train.jsonl");

        var (_, deep) = await fixture.GetJsonAsync($"api/v1/models/{Hub.PrivateModelId}/repo/files?Revision=master&Recursive=True", bearer: Hub.DemoToken);
        Assert.Contains(Envelope.AssertLegacyOk(deep).GetProperty("Files").EnumerateArray(), e => e.GetProperty("Path").GetString() == "data/train.jsonl");
    }

    [Fact]
    public async Task Revisions_endpoint_lists_branches_and_tags()
    {
        var (_, body) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/revisions");
        var map = Envelope.AssertLegacyOk(body).GetProperty("RevisionMap");
        Assert.Equal(["master"], map.GetProperty("Branches").EnumerateArray().Select(b => b.GetProperty("Revision").GetString()!).ToArray());
        Assert.Equal(["v1.0"], map.GetProperty("Tags").EnumerateArray().Select(b => b.GetProperty("Revision").GetString()!).ToArray());
        Assert.True(map.GetProperty("Tags")[0].GetProperty("CreatedAt").GetInt64() > 0);
    }

    [Fact]
    public async Task Login_returns_a_git_token_that_differs_from_the_sdk_token()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, fixture.Url("api/v1/login"))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { AccessToken = Hub.DemoToken }), System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("m_session_id=", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var data = Envelope.AssertLegacyOk(doc.RootElement);
        Assert.Equal("demo", data.GetProperty("Username").GetString());
        Assert.False(string.IsNullOrEmpty(data.GetProperty("Email").GetString()));
        var git = data.GetProperty("AccessToken").GetString();
        Assert.NotEqual(Hub.DemoToken, git);
        Assert.Equal(Hub.GitTokenFor("demo"), git);
    }

    [Fact]
    public async Task Login_with_a_wrong_token_fails()
    {
        var (status, body) = await fixture.SendJsonAsync(HttpMethod.Post, "api/v1/login", JsonSerializer.Serialize(new { AccessToken = "ms-nope" }));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.False(body.GetProperty("Success").GetBoolean());
    }

    [Fact]
    public async Task Legacy_list_pages_through_the_whole_catalogue()
    {
        var ids = new HashSet<string>();
        var total = -1;
        for (var page = 1; ; page++)
        {
            var (status, body) = await fixture.SendJsonAsync(HttpMethod.Put, "api/v1/models/", JsonSerializer.Serialize(new { Path = "", PageNumber = page, PageSize = 100 }));
            Assert.Equal(HttpStatusCode.OK, status);
            var data = Envelope.AssertLegacyOk(body);
            total = data.GetProperty("TotalCount").GetInt32();
            var models = data.GetProperty("Models").EnumerateArray().ToList();
            foreach (var m in models)
            {
                Assert.True(ids.Add($"{m.GetProperty("Path").GetString()}/{m.GetProperty("Name").GetString()}"));
            }

            if (models.Count < 100)
            {
                break;
            }
        }

        Assert.True(total >= 10_000);
        Assert.Equal(total, ids.Count);
    }

    [Fact]
    public async Task Legacy_list_filters_by_owner_path()
    {
        var (_, body) = await fixture.SendJsonAsync(HttpMethod.Put, "api/v1/models/", JsonSerializer.Serialize(new { Path = "modelide", PageNumber = 1, PageSize = 10 }));
        var data = Envelope.AssertLegacyOk(body);
        Assert.Equal(1, data.GetProperty("TotalCount").GetInt32());
        Assert.Equal("tiny-stdlib-coder", data.GetProperty("Models")[0].GetProperty("Name").GetString());
    }

    [Fact]
    public async Task Commits_of_master_include_the_v1_commit_newest_first()
    {
        var (_, body) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/commits?Ref=master&PageNumber=1&PageSize=50");
        var data = Envelope.AssertLegacyOk(body);
        Assert.Equal(2, data.GetProperty("TotalCount").GetInt32());
        var commits = data.GetProperty("Commit").EnumerateArray().ToList();
        Assert.True(commits[0].GetProperty("CommittedDate").GetInt64() > commits[1].GetProperty("CommittedDate").GetInt64());
        var (_, files) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/repo/files?Revision=master");
        var readmeCommit = Envelope.AssertLegacyOk(files).GetProperty("Files").EnumerateArray().Single(f => f.GetProperty("Path").GetString() == "README.md").GetProperty("Revision").GetString();
        Assert.Equal(readmeCommit, commits[0].GetProperty("Id").GetString());
        var (_, v1) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/commits?Ref=v1.0");
        Assert.Equal(1, Envelope.AssertLegacyOk(v1).GetProperty("TotalCount").GetInt32());
    }
}
