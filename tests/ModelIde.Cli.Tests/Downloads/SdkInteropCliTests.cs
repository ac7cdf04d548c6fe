using System.Security.Cryptography;
using ModelIde.Hub;
using ModelIde.TestSupport;

namespace ModelIde.Cli.Tests.Downloads;

/// <summary>
/// `modelide login|download|clone` beside the ModelScope Python SDK (issue 15), as child processes with their own HOME:
/// the SDK's saved login written by Python, old SDK caches, offline use with the hub stopped, LFS in clones.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SdkInteropCliTests : IDisposable
{
    private const string Tiny = "modelide/tiny-stdlib-coder";
    private readonly string _home = Directory.CreateTempSubdirectory("modelide-cli-sdk-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private string Cache => Path.Combine(_home, "cache");

    private Task<CliResult> RunAsync(Uri endpoint, IReadOnlyDictionary<string, string?>? extra, params string[] args)
    {
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = _home,
            ["XDG_CONFIG_HOME"] = Path.Combine(_home, "config"),
            ["MODELIDE_CREDENTIAL_STORE"] = "file",
            ["MODELSCOPE_ENDPOINT"] = endpoint.ToString(),
            ["MODELSCOPE_CACHE"] = Cache,
        };
        foreach (var name in new[] { "MODELSCOPE_API_TOKEN", "MODELSCOPE_DOMAIN", "MODELSCOPE_CREDENTIALS_PATH", "MODELSCOPE_HOME", "MODELSCOPE_OFFLINE", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY" })
        {
            env[name] = null;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            env[key] = value;
        }

        return CliProcess.RunAsync(CliProcess.StartInfo(CliHost.Dll, args, env));
    }

    [Fact]
    public async Task Login_uses_the_sdks_saved_login_the_api_token_from_its_cookie_jar()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        // As modelscope 1.37's HubApi.login leaves it: cookies (pickled jar), git_token (the git token), user.
        await PythonSdkLogin.RunAsync("login", Path.Combine(_home, ".modelscope", "credentials"), "--token", hub.DemoToken, "--endpoint", hub.BaseUri.ToString());

        var login = await RunAsync(hub.BaseUri, null, "login");

        Assert.True(login.Code == 0, login.Err);
        Assert.Contains($"Using the ModelScope SDK's saved login ({Path.Combine(_home, ".modelscope", "credentials", "cookies")}, user demo).", login.Err, StringComparison.Ordinal);
        Assert.Contains("as demo", login.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(hub.DemoToken, login.Err + login.Out, StringComparison.Ordinal);
        var whoami = await RunAsync(hub.BaseUri, null, "whoami");
        Assert.Equal("demo", whoami.Out.Trim());
    }

    [Fact]
    public async Task An_expired_sdk_login_is_not_sent_and_login_says_when_it_expired()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        await PythonSdkLogin.RunAsync("save-token", Path.Combine(_home, ".modelscope", "credentials"), "--token", hub.DemoToken, "--endpoint", hub.BaseUri.ToString(), "--expires-in", "-60");
        hub.RequestLog.Clear();

        var login = await RunAsync(hub.BaseUri, null, "login");

        Assert.NotEqual(0, login.Code);
        Assert.Contains("The ModelScope SDK's saved login in", login.Err, StringComparison.Ordinal);
        Assert.Contains("expired on", login.Err, StringComparison.Ordinal);
        Assert.Empty(hub.RequestLog.Entries);
    }

    [Fact]
    public async Task Download_offline_and_with_the_hub_stopped_serves_the_cached_snapshot_and_says_so()
    {
        Uri endpoint;
        string folder;
        await using (var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None))
        {
            endpoint = hub.BaseUri;
            var online = await RunAsync(endpoint, null, "download", Tiny);
            Assert.True(online.Code == 0, online.Err);
            folder = online.Out.Trim();
        }

        // The hub is stopped now.
        foreach (var (how, extra, args) in new (string, Dictionary<string, string?>?, string[])[]
        {
            ("--offline", null, ["download", Tiny, "--offline"]),
            ("MODELSCOPE_OFFLINE=1", new() { ["MODELSCOPE_OFFLINE"] = "1" }, ["download", Tiny]),
        })
        {
            var offline = await RunAsync(endpoint, extra, args);
            Assert.True(offline.Code == 0, $"{how}: {offline.Err}");
            Assert.Equal(folder, offline.Out.Trim());
            Assert.Contains($"Offline: using the cached {Tiny}@master in {folder} without asking the hub (ModelIde downloaded all", offline.Err, StringComparison.Ordinal);
            Assert.Contains("fetched 0 bytes", offline.Err, StringComparison.Ordinal);
        }

        var fallback = await RunAsync(endpoint, null, "download", Tiny, "--quiet");
        Assert.True(fallback.Code == 0, fallback.Err);
        Assert.Equal(folder, fallback.Out.Trim());
        Assert.Contains("The hub could not be reached", fallback.Err, StringComparison.Ordinal);

        var nothing = await RunAsync(endpoint, null, "download", "modelide/not-cached", "--offline");
        Assert.NotEqual(0, nothing.Code);
        Assert.Contains("Offline, and modelide/not-cached@master is not in the cache", nothing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_reuses_a_snapshot_download_cache_dir_folder_of_the_old_sdk_with_no_byte_fetched()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        // modelscope <= 1.37, snapshot_download(model_id, cache_dir=D) → D/<owner>/<name, dots as ___>
        var old = Path.Combine(Cache, "modelide", "tiny-stdlib-coder");
        Directory.CreateDirectory(old);
        foreach (var file in Directory.EnumerateFiles(RepoPaths.TinyModelDir()))
        {
            File.Copy(file, Path.Combine(old, Path.GetFileName(file)));
        }

        await PythonSdkLogin.RunAsync("legacy-cache", old, "--id", Tiny, "--revision", "master", "--files", "config.json=x");
        hub.RequestLog.Clear();

        var result = await RunAsync(hub.BaseUri, null, "download", Tiny, "--cache-dir", Cache);

        Assert.True(result.Code == 0, result.Err);
        Assert.Equal(old, result.Out.Trim());
        Assert.Contains("fetched 0 bytes", result.Err, StringComparison.Ordinal);
        Assert.Empty(hub.BlobRequestLog);
        Assert.DoesNotContain(hub.RequestLog.Entries, r => r.Path.EndsWith("/repo", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_single_file_and_a_snapshot_land_in_the_revision_folder_the_sdk_uses_master_without_a_revision_the_tag_with_one()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        // modelscope_hub's download_file and download_repo (behind `modelscope download`, snapshot_download and
        // modelscope_hub's model_file_download): <cache>/models/<owner>--<name>/snapshots/<revision, else master>/<path>.
        var snapshots = Path.Combine(Cache, "models", "modelide--tiny-stdlib-coder", "snapshots");

        foreach (var (revision, folder) in new[] { ((string?)null, "master"), ("v1.0", "v1.0") })
        {
            string[] at = revision is null ? [] : ["--revision", revision];
            var expected = Path.Combine(snapshots, folder);

            var file = await RunAsync(hub.BaseUri, null, ["download", Tiny, "--include", "README.md", "--quiet", .. at]);
            Assert.True(file.Code == 0, file.Err);
            Assert.Equal(expected, file.Out.Trim());
            Assert.Equal(["README.md"], Directory.GetFiles(expected).Select(f => Path.GetFileName(f)).ToArray());

            // The snapshot of the same revision finds that file where it left it.
            var snapshot = await RunAsync(hub.BaseUri, null, ["download", Tiny, "--quiet", .. at]);
            Assert.True(snapshot.Code == 0, snapshot.Err);
            Assert.Equal(expected, snapshot.Out.Trim());
            Assert.Contains("(1 already cached)", snapshot.Err, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(expected, "model.onnx")), snapshot.Err);
        }

        Assert.Equal(["master", "v1.0"], Directory.GetDirectories(snapshots).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray());
        // Each folder holds its own revision: the tag's README is the older one.
        Assert.Contains("(v1.0)", File.ReadAllText(Path.Combine(snapshots, "v1.0", "README.md")), StringComparison.Ordinal);
        Assert.DoesNotContain("(v1.0)", File.ReadAllText(Path.Combine(snapshots, "master", "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clone_fetches_lfs_files_from_the_hub_or_leaves_pointers_with_no_lfs()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        var weights = Path.Combine(RepoPaths.TinyModelDir(), "model.onnx");
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weights)));

        var full = await RunAsync(hub.BaseUri, null, "clone", Tiny, Path.Combine(_home, "full"));
        Assert.True(full.Code == 0, full.Err);
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_home, "full", "model.onnx")))));

        var pointers = await RunAsync(hub.BaseUri, null, "clone", Tiny, Path.Combine(_home, "pointers"), "--no-lfs");
        Assert.True(pointers.Code == 0, pointers.Err);
        Assert.Contains($"oid sha256:{sha}", File.ReadAllText(Path.Combine(_home, "pointers", "model.onnx")), StringComparison.Ordinal);
    }
}
