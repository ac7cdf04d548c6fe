using System.Diagnostics;

namespace ModelIde.Hub.Tests.Git;

public sealed class GitCloneTests(HubFixture fixture) : IClassFixture<HubFixture>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("modelide-git-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs git with no user/system config; the password comes from a credential helper, never the URL.</summary>
    private async Task<(int ExitCode, string Output)> GitAsync(string? password, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = _work, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("credential.helper=");
        if (password is not null)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("credential.helper=!f() { echo username=oauth2; echo \"password=$MODELIDE_TEST_GIT_PASSWORD\"; }; f");
            psi.Environment["MODELIDE_TEST_GIT_PASSWORD"] = password;
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_ASKPASS"] = "/bin/false";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private const string Tiny = "modelide/tiny-stdlib-coder";

    private static string Sha256Of(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task Clone_with_git_token_from_a_credential_helper_gets_the_model_files_and_both_revisions()
    {
        var target = Path.Combine(_work, "tiny");
        var (code, output) = await GitAsync(fixture.Hub.GitTokenFor("demo"), "clone", "-q", fixture.Hub.GitUrl(Tiny).ToString(), target);
        Assert.True(code == 0, output);
        var source = Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder");
        foreach (var file in Directory.GetFiles(source))
        {
            var cloned = Path.Combine(target, Path.GetFileName(file));
            if (Path.GetExtension(file) == ".onnx")
            {
                // Without git-lfs the weights are the LFS pointer, naming the original's SHA-256 and size.
                Assert.Equal($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256Of(file)}\nsize {new FileInfo(file).Length}\n", await File.ReadAllTextAsync(cloned));
            }
            else
            {
                Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(cloned));
            }
        }

        Assert.Contains("*.onnx filter=lfs diff=lfs merge=lfs -text", await File.ReadAllTextAsync(Path.Combine(target, ".gitattributes")));
        var (tagCode, tags) = await GitAsync(null, "-C", target, "tag", "--list");
        Assert.Equal(0, tagCode);
        Assert.Contains("v1.0", tags, StringComparison.Ordinal);
        var (diffCode, diff) = await GitAsync(null, "-C", target, "diff", "--name-only", "v1.0", "master");
        Assert.Equal(0, diffCode);
        Assert.Equal("README.md", diff.Trim());
    }

    [Fact]
    public async Task The_api_commit_ids_are_the_commits_git_clones_and_pinning_one_works_on_both()
    {
        // Issue 15 item 6: on modelscope.cn the API's commit ids are git's; this hub's used to be made up.
        var target = Path.Combine(_work, "ids");
        var (code, output) = await GitAsync(null, "clone", "-q", fixture.Hub.GitUrl(Tiny).ToString(), target);
        Assert.True(code == 0, output);
        var (_, revisions) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/revisions");
        var map = Envelope.AssertLegacyOk(revisions).GetProperty("RevisionMap");
        var master = map.GetProperty("Branches").EnumerateArray().Single(b => b.GetProperty("Revision").GetString() == "master").GetProperty("CommitId").GetString()!;
        var v1 = map.GetProperty("Tags").EnumerateArray().Single(t => t.GetProperty("Revision").GetString() == "v1.0").GetProperty("CommitId").GetString()!;

        Assert.Equal(master, (await GitAsync(null, "-C", target, "rev-parse", "master")).Output.Trim());
        Assert.Equal(v1, (await GitAsync(null, "-C", target, "rev-parse", "v1.0^{commit}")).Output.Trim());
        Assert.Equal(v1, (await GitAsync(null, "-C", target, "rev-parse", "master^")).Output.Trim());
        var fsck = await GitAsync(null, "-C", target, "fsck", "--strict", "--no-dangling");
        Assert.True(fsck.ExitCode == 0, fsck.Output);

        // Each listed file's Revision is the commit that last changed it, as `git log` says.
        var (_, listing) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/repo/files?Revision=master&Recursive=True");
        foreach (var file in Envelope.AssertLegacyOk(listing).GetProperty("Files").EnumerateArray())
        {
            var path = file.GetProperty("Path").GetString()!;
            Assert.Equal((await GitAsync(null, "-C", target, "log", "-1", "--format=%H", "master", "--", path)).Output.Trim(), file.GetProperty("Revision").GetString());
        }

        // Pinning by commit: git checks it out, and the API lists and serves that revision.
        var checkout = await GitAsync(null, "-C", target, "checkout", "-q", v1);
        Assert.True(checkout.ExitCode == 0, checkout.Output);
        Assert.Contains("(v1.0)", await File.ReadAllTextAsync(Path.Combine(target, "README.md")));
        var (status, pinned) = await fixture.GetJsonAsync($"api/v1/models/{Tiny}/repo/files?Revision={v1}&Recursive=True");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        var readme = Envelope.AssertLegacyOk(pinned).GetProperty("Files").EnumerateArray().Single(f => f.GetProperty("Path").GetString() == "README.md");
        Assert.Equal(Sha256Of(Path.Combine(target, "README.md")), readme.GetProperty("Sha256").GetString());
    }

    [Fact]
    public async Task Lfs_files_come_through_the_batch_api_from_the_blob_host_without_the_token()
    {
        var target = Path.Combine(_work, "lfs");
        var token = fixture.Hub.GitTokenFor("demo");
        Assert.Equal(0, (await GitAsync(token, "clone", "-q", fixture.Hub.GitUrl(Tiny).ToString(), target)).ExitCode);
        var before = fixture.Hub.BlobRequestLog.Count;

        var install = await GitAsync(null, "-C", target, "lfs", "install", "--local");
        Assert.True(install.ExitCode == 0, install.Output);
        var pull = await GitAsync(token, "-C", target, "lfs", "pull");
        Assert.True(pull.ExitCode == 0, pull.Output);

        var original = Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder", "model.onnx");
        Assert.Equal(Sha256Of(original), Sha256Of(Path.Combine(target, "model.onnx")));
        Assert.Contains(fixture.Hub.RequestLog.Entries, r => r.Path.EndsWith("/info/lfs/objects/batch", StringComparison.Ordinal) && r.Status == 200);
        Assert.Single(fixture.Hub.BlobRequestLog.Skip(before), r => r.Path.EndsWith("/model.onnx", StringComparison.Ordinal));
        Assert.False(fixture.Hub.BlobHostSawCredentials);
    }

    [Fact]
    public async Task The_lfs_batch_api_answers_an_unknown_object_per_object_and_refuses_uploads()
    {
        async Task<(System.Net.HttpStatusCode Status, System.Text.Json.JsonElement Body)> BatchAsync(string json)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Hub.GitUrl(Tiny) + "/info/lfs/objects/batch"))
            {
                Content = new StringContent(json, System.Text.Encoding.UTF8, "application/vnd.git-lfs+json"),
            };
            using var response = await fixture.Http.SendAsync(request);
            return (response.StatusCode, System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }

        var (status, body) = await BatchAsync($$"""{"operation":"download","transfers":["basic"],"objects":[{"oid":"{{new string('0', 64)}}","size":1}]}""");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal(404, body.GetProperty("objects")[0].GetProperty("error").GetProperty("code").GetInt32());
        var (upload, _) = await BatchAsync("""{"operation":"upload","objects":[]}""");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, upload);
    }

    [Fact]
    public async Task A_public_repo_clones_without_credentials_as_on_the_real_hub()
    {
        var (code, output) = await GitAsync(null, "clone", "-q", fixture.Hub.GitUrl(Tiny).ToString(), Path.Combine(_work, "anon"));
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(_work, "anon", "config.json")));
    }

    [Fact]
    public async Task Clone_of_the_private_repo_via_legacy_url_accepts_the_sdk_token_as_password()
    {
        var url = new Uri(fixture.Hub.BaseUri, $"{fixture.Hub.PrivateModelId}.git").ToString();
        var (code, output) = await GitAsync(fixture.Hub.DemoToken, "clone", "-q", url, Path.Combine(_work, "private"));
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(_work, "private", "data", "train.jsonl")));
    }

    [Fact]
    public async Task A_private_repo_without_credentials_fails_with_a_basic_challenge()
    {
        var (code, _) = await GitAsync(null, "clone", "-q", fixture.Hub.GitUrl(fixture.Hub.PrivateModelId).ToString(), Path.Combine(_work, "anon"));
        Assert.NotEqual(0, code);
        using var response = await fixture.Http.GetAsync(new Uri(fixture.Hub.GitUrl(fixture.Hub.PrivateModelId) + "/info/refs?service=git-upload-pack"));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Clone_with_a_wrong_token_fails()
    {
        var (code, _) = await GitAsync("git-wrong", "clone", "-q", fixture.Hub.GitUrl(fixture.Hub.PrivateModelId).ToString(), Path.Combine(_work, "wrong"));
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task Private_repo_is_not_found_for_another_user()
    {
        var url = fixture.Hub.GitUrl(fixture.Hub.PrivateModelId);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url + "/info/refs?service=git-upload-pack"));
        var other = fixture.Hub.IssueToken("expired");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"oauth2:{other}")));
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
