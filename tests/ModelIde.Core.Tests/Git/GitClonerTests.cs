using System.Text;
using ModelIde.Core.Git;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;
using ModelIde.Hub;

namespace ModelIde.Core.Tests.Git;

/// <summary>git clone against the hub's git smart HTTP, with the token passed only through GIT_ASKPASS.</summary>
[Collection("LocalHub")]
public sealed class GitClonerTests(LocalHubFixture fixture)
{
    private static readonly ModelId Tiny = ModelId.Parse("modelide/tiny-stdlib-coder");

    [Fact]
    public async Task Clone_works_and_no_token_is_left_anywhere_in_dot_git()
    {
        var api = fixture.Client();
        var login = await api.LoginAsync(LocalHubOptions.DefaultDemoToken, CancellationToken.None);
        using var target = new TempFolder();
        var dir = Path.Combine(target.Path, "clone");
        var phases = new List<string>();

        var path = await new GitCloner().CloneAsync(fixture.Hub.BaseUri, Tiny, dir, null, login.GitToken, p => phases.Add(p.Phase), CancellationToken.None);

        var original = Path.Combine(LocalHubFixture.RepoModelsDirectory(), "config.json");
        Assert.Equal(await File.ReadAllBytesAsync(original), await File.ReadAllBytesAsync(Path.Combine(path, "config.json")));
        var config = await File.ReadAllTextAsync(Path.Combine(path, ".git", "config"));
        Assert.Contains(fixture.Hub.GitUrl(Tiny.ToString()).ToString(), config, StringComparison.Ordinal);
        foreach (var secret in new[] { login.GitToken, LocalHubOptions.DefaultDemoToken })
        {
            var needle = Encoding.UTF8.GetBytes(secret);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(path, ".git"), "*", SearchOption.AllDirectories))
            {
                Assert.True(IndexOf(await File.ReadAllBytesAsync(file), needle) < 0, $"{file} contains a token");
            }
        }

        Assert.DoesNotContain("oauth2", config, StringComparison.Ordinal);
        Assert.Contains(fixture.Hub.RequestLog.Entries, r => r.Path.Contains(".git/", StringComparison.Ordinal) && r.Status == 200);
        // git-lfs fetched the weights (an LFS pointer in git) from the hub's blob host, which never saw a credential.
        var weights = Path.Combine(LocalHubFixture.RepoModelsDirectory(), "model.onnx");
        Assert.Equal(Sha256(weights), Sha256(Path.Combine(path, "model.onnx")));
        Assert.Contains(fixture.Hub.BlobRequestLog, r => r.Path.EndsWith("/model.onnx", StringComparison.Ordinal));
        Assert.False(fixture.Hub.BlobHostSawCredentials);
    }

    [Fact]
    public async Task A_private_repos_lfs_files_are_fetched_with_the_git_token_through_the_batch_api()
    {
        var api = fixture.Client();
        var login = await api.LoginAsync(LocalHubOptions.DefaultDemoToken, CancellationToken.None);
        using var target = new TempFolder();

        var path = await new GitCloner().CloneAsync(fixture.Hub.BaseUri, ModelId.Parse(fixture.Hub.PrivateModelId), Path.Combine(target.Path, "private"), null, login.GitToken, null, CancellationToken.None);

        var weights = await File.ReadAllBytesAsync(Path.Combine(path, "weights", "notes-embedding.bin"));
        Assert.Equal(4096, weights.Length);
        Assert.DoesNotContain("git-lfs.github.com", Encoding.ASCII.GetString(weights), StringComparison.Ordinal);
        var batch = fixture.Hub.RequestLog.Entries.Where(r => r.Path.EndsWith("/info/lfs/objects/batch", StringComparison.Ordinal)).ToList();
        Assert.Contains(batch, r => r.Status == 200 && r.HasAuthorization);
        Assert.False(fixture.Hub.BlobHostSawCredentials);
    }

    [Fact]
    public async Task Skipping_lfs_by_choice_leaves_pointers_and_asks_the_blob_host_nothing()
    {
        fixture.Client();
        using var target = new TempFolder();

        var path = await new GitCloner { SkipLfs = true }.CloneAsync(fixture.Hub.BaseUri, Tiny, Path.Combine(target.Path, "pointers"), null, null, null, CancellationToken.None);

        var pointer = await File.ReadAllTextAsync(Path.Combine(path, "model.onnx"));
        Assert.StartsWith("version https://git-lfs.github.com/spec/v1\noid sha256:" + Sha256(Path.Combine(LocalHubFixture.RepoModelsDirectory(), "model.onnx")), pointer, StringComparison.Ordinal);
        Assert.Empty(fixture.Hub.BlobRequestLog);
        Assert.DoesNotContain(fixture.Hub.RequestLog.Entries, r => r.Path.EndsWith("/info/lfs/objects/batch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_public_repo_clones_without_a_token_as_on_the_real_hub()
    {
        fixture.Client();
        using var target = new TempFolder();
        var path = await new GitCloner().CloneAsync(fixture.Hub.BaseUri, Tiny, Path.Combine(target.Path, "anon"), null, null, null, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(path, "config.json")));
    }

    [Fact]
    public async Task Without_git_lfs_the_clone_says_its_weights_are_pointers_and_how_to_fetch_them()
    {
        fixture.Client();
        using var target = new TempFolder();
        // A machine without git-lfs: git's own programs stay reachable (its exec path), git-lfs (found on PATH) is not, and
        // no git config enables its filter (Debian's package enables it in /etc/gitconfig).
        var cloner = new GitCloner("/usr/bin/git", new Dictionary<string, string> { ["PATH"] = target.Path, ["HOME"] = target.Path, ["GIT_CONFIG_NOSYSTEM"] = "1" });

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => cloner.CloneAsync(fixture.Hub.BaseUri, Tiny, Path.Combine(target.Path, "nolfs"), null, null, null, CancellationToken.None));

        Assert.True(ex.Message.Contains("git-lfs is not installed", StringComparison.Ordinal), ex.Message);
        Assert.Contains("git lfs pull", ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(target.Path, "nolfs", "config.json")));
    }

    private static string Sha256(string file) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));

    [Fact]
    public async Task A_private_repo_without_a_token_fails_as_authentication_required_without_prompting()
    {
        fixture.Client();
        using var target = new TempFolder();
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new GitCloner().CloneAsync(fixture.Hub.BaseUri, ModelId.Parse(fixture.Hub.PrivateModelId), Path.Combine(target.Path, "c"), null, null, null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
    }

    [Fact]
    public async Task Clone_into_a_non_empty_folder_is_a_conflict()
    {
        using var target = new TempFolder();
        File.WriteAllText(Path.Combine(target.Path, "x"), "x");
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new GitCloner().CloneAsync(fixture.Hub.BaseUri, Tiny, target.Path, null, "t", null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.Conflict, ex.Kind);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
