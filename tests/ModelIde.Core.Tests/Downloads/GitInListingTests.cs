using System.Diagnostics;
using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>
/// Issue 19 case 7: a listing that plants a git repository in the model folder. Real git (Debian's) is the oracle: the
/// same files, written by the test, make <c>git status</c> in that folder run the config's <c>core.fsmonitor</c>; the
/// download refuses the listing and writes nothing.
/// </summary>
public sealed class GitInListingTests
{
    /// <summary>Listed paths and what the hostile hub would serve for them; <c>{marker}</c> is the file the command creates.</summary>
    public static TheoryData<string, string[]> PlantedRepositories => new()
    {
        // A .git folder at the top: git status in the model folder.
        { string.Empty, [".git/HEAD", "ref: refs/heads/main\n", ".git/config", "[core]\n\tfsmonitor = \"touch {marker}; false\"\n", ".git/objects/info/packs", "", ".git/refs/heads/main.lock", ""] },
        // A folder shaped like a repository (no .git anywhere): git status inside it.
        { "evil", ["evil/HEAD", "ref: refs/heads/main\n", "evil/config", "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n\tfsmonitor = \"touch {marker}; false\"\n", "evil/objects/info/packs", "", "evil/refs/heads/main.lock", ""] },
    };

    [Theory]
    [MemberData(nameof(PlantedRepositories))]
    public async Task A_listing_that_plants_a_git_repository_is_refused_and_nothing_is_written(string gitFolder, string[] pathsAndBodies)
    {
        using var work = new TempFolder();
        var marker = Path.Combine(work.Path, "PWNED");
        var files = pathsAndBodies.Chunk(2).Select(p => (Path: p[0], Body: p[1].Replace("{marker}", marker, StringComparison.Ordinal))).Append((Path: "config.json", Body: "{}")).ToArray();

        // The oracle: these files, in a folder, run a command when git looks at it.
        var planted = Path.Combine(work.Path, "planted");
        foreach (var (path, body) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(planted, path))!);
            await File.WriteAllTextAsync(Path.Combine(planted, path), body);
        }

        await RunGitStatusAsync(Path.Combine(planted, gitFolder));
        Assert.True(File.Exists(marker), "real git did not run the planted fsmonitor: the case tests nothing");
        File.Delete(marker);

        var listing = string.Join(",", files.Select(f => $$"""{"Name": "{{Path.GetFileName(f.Path)}}", "Path": "{{f.Path}}", "Type": "blob", "Size": {{f.Body.Length}}}"""));
        var handler = new FakeHubHandler(request => request.RequestUri!.AbsolutePath.EndsWith("/repo/files", StringComparison.Ordinal)
            ? FakeHubHandler.Json($$$"""{"Code": 200, "Success": true, "Data": {"Files": [{{{listing}}}]}}""")
            : new HttpResponseMessage(System.Net.HttpStatusCode.NotFound));
        var api = new ModelScopeApiClient(new HttpClient(handler), new HubSession(new Uri("http://hub.test/")), RetryPolicy.None);
        var cache = Path.Combine(work.Path, "cache");
        var downloader = new ModelDownloader(api, new HttpClient(handler), new ModelCacheLayout(cache));

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => downloader.DownloadAsync(ModelId.Parse("o/n"), null, null, null, CancellationToken.None));

        Assert.Equal(ModelIdeErrorKind.UnsafeInput, ex.Kind);
        Assert.Contains(gitFolder.Length == 0 ? "is a git folder" : "make 'evil' a git repository", ex.Message, StringComparison.Ordinal);
        Assert.Single(handler.Requests); // only the listing
        Assert.False(Directory.Exists(cache) && Directory.EnumerateFileSystemEntries(cache).Any());
    }

    [Fact]
    public void A_repository_lookalike_needs_head_objects_and_refs_in_one_folder()
    {
        Assert.Equal(string.Empty, RepoPathValidator.GitRepositoryLookalike(["HEAD", "objects/x", "refs/heads/y", "config.json"]));
        Assert.Equal("a/b", RepoPathValidator.GitRepositoryLookalike(["a/b/HEAD", "a/b/objects/x", "a/b/refs/y"]));
        Assert.Null(RepoPathValidator.GitRepositoryLookalike(["a/HEAD", "a/objects/x", "b/refs/y"]));
        Assert.Null(RepoPathValidator.GitRepositoryLookalike(["HEAD", "objects/x"]));
        Assert.Null(RepoPathValidator.GitRepositoryLookalike(["xHEAD", "objects/x", "refs/y"]));
    }

    private static async Task RunGitStatusAsync(string folder)
    {
        var psi = new ProcessStartInfo("git", ["status", "--porcelain"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in new[] { "GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES", "GIT_CONFIG_PARAMETERS" })
        {
            psi.Environment.Remove(name);
        }

        using var git = Process.Start(psi)!;
        var output = Task.WhenAll(git.StandardOutput.ReadToEndAsync(), git.StandardError.ReadToEndAsync());
        await git.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await output;
    }
}
