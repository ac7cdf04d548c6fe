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

    [Fact]
    public async Task Clone_with_git_token_from_a_credential_helper_gets_the_model_files_and_both_revisions()
    {
        var target = Path.Combine(_work, "tiny");
        var (code, output) = await GitAsync(fixture.Hub.GitTokenFor("demo"), "clone", "-q", fixture.Hub.GitUrl("modelide/tiny-stdlib-coder").ToString(), target);
        Assert.True(code == 0, output);
        var source = Path.Combine(HubFixture.RepoModelsDirectory(), "tiny-stdlib-coder");
        foreach (var file in Directory.GetFiles(source))
        {
            Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(target, Path.GetFileName(file))));
        }

        var (tagCode, tags) = await GitAsync(null, "-C", target, "tag", "--list");
        Assert.Equal(0, tagCode);
        Assert.Contains("v1.0", tags, StringComparison.Ordinal);
        var (diffCode, diff) = await GitAsync(null, "-C", target, "diff", "--name-only", "v1.0", "master");
        Assert.Equal(0, diffCode);
        Assert.Equal("README.md", diff.Trim());
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
    public async Task Clone_without_credentials_fails_with_a_basic_challenge()
    {
        var (code, _) = await GitAsync(null, "clone", "-q", fixture.Hub.GitUrl("modelide/tiny-stdlib-coder").ToString(), Path.Combine(_work, "anon"));
        Assert.NotEqual(0, code);
        using var response = await fixture.Http.GetAsync(new Uri(fixture.Hub.GitUrl("modelide/tiny-stdlib-coder") + "/info/refs?service=git-upload-pack"));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Clone_with_a_wrong_token_fails()
    {
        var (code, _) = await GitAsync("git-wrong", "clone", "-q", fixture.Hub.GitUrl("modelide/tiny-stdlib-coder").ToString(), Path.Combine(_work, "wrong"));
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
