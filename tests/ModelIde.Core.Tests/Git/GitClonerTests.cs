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
    }

    [Fact]
    public async Task Clone_without_a_token_fails_as_authentication_required_without_prompting()
    {
        fixture.Client();
        using var target = new TempFolder();
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new GitCloner().CloneAsync(fixture.Hub.BaseUri, Tiny, Path.Combine(target.Path, "c"), null, null, null, CancellationToken.None));
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
