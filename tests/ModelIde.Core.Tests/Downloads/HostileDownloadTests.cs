using System.Diagnostics;
using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;
using ModelIde.Hub.Faults;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>
/// A hub whose listing lies about sizes, a cache folder with links planted in it, a listing whose names collide with
/// partial-file names (issue 19: 5, 6, 8): the download fails clearly or succeeds, never writes outside the cache,
/// never loses a file, never reports a wrong file as done.
/// </summary>
[Collection("LocalHub")]
public sealed class HostileDownloadTests(LocalHubFixture fixture) : IDisposable
{
    private static readonly ModelId Tiny = ModelId.Parse("modelide/tiny-stdlib-coder");
    private const string TinyFiles = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files";

    public void Dispose() => fixture.Hub.Faults.Clear();

    /// <summary>Every file above 1 MiB comes in 1 MiB ranged parts, two at a time: the multi-part path on the tiny model.</summary>
    private static DownloadOptions MultiPart() => new()
    {
        ParallelThresholdBytes = 1 << 20,
        PartSizeBytes = 1 << 20,
        MaxParallelParts = 2,
        Retry = new RetryPolicy(3, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1)),
    };

    private static string Original(string name) => Path.Combine(LocalHubFixture.RepoModelsDirectory(), name);

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Theory]
    [InlineData("config.json", 1L << 50)]
    [InlineData("config.json", 1L << 62)]
    [InlineData("model.onnx", 1L << 50)]
    [InlineData("model.onnx", 1L << 62)]
    [InlineData("config.json", -100)] // listed 100 bytes short of the real file
    [InlineData("model.onnx", 5_000_000)] // listed 5 MB longer than the real file
    public async Task A_listed_size_the_blob_host_does_not_have_fails_clearly_with_bounded_bookkeeping(string path, long listed)
    {
        var real = new FileInfo(Original(path)).Length;
        var size = listed > 1L << 40 ? listed : real + listed;
        var api = fixture.Client();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = TinyFiles, ListedSizePath = path, ListedSize = size, ListedWithoutSha256 = true });
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() =>
            new ModelDownloader(api, fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, [path], null, timeout.Token));

        Assert.Equal(ModelIdeErrorKind.IntegrityFailure, ex.Kind);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Contains(real.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        var folder = layout.SnapshotFolder(Tiny, "master");
        Assert.False(File.Exists(Path.Combine(folder, path)), "a file whose size does not match must not look finished");
        // Bookkeeping stays small whatever the listing claims: no huge resume state, nothing near the claimed size.
        var written = Directory.EnumerateFiles(cache.Path, "*", SearchOption.AllDirectories).Select(f => new FileInfo(f)).ToArray();
        Assert.All(written, f => Assert.True(f.Length < 64 << 10, $"{f.FullName} holds {f.Length} bytes"));
        // A size mismatch is not retried like a cut connection (the hub logs a request when it ends: let it settle).
        Assert.Equal(1, await fixture.Hub.SettledRequestCountAsync(r => r.Host == ModelIde.Hub.RequestLog.BlobHost));
    }

    [Theory]
    [InlineData("config.json", ".incomplete")]
    [InlineData("model.onnx", ".incomplete")]
    [InlineData("model.onnx", ".incomplete.parts.json")]
    [InlineData("config.json", "")]
    [InlineData("model.onnx", "")]
    [InlineData("config.json", ".modelide-partial")]
    [InlineData("model.onnx", ".modelide-partial")]
    [InlineData("model.onnx", ".modelide-partial.json")]
    public async Task A_symlink_planted_in_the_cache_is_never_followed_and_the_file_outside_stays_byte_identical(string path, string suffix)
    {
        using var cache = new TempFolder();
        using var outside = new TempFolder();
        var victim = Path.Combine(outside.Path, "victim.txt");
        var victimBytes = RandomNumberGenerator.GetBytes(300_000);
        File.WriteAllBytes(victim, victimBytes);
        var layout = new ModelCacheLayout(Path.Combine(cache.Path, "cache"));
        var folder = layout.SnapshotFolder(Tiny, "master");
        Directory.CreateDirectory(folder);
        var planted = Path.Combine(folder, path + suffix);
        File.CreateSymbolicLink(planted, victim);

        var result = await new ModelDownloader(fixture.Client(), fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, [path], null, CancellationToken.None);

        Assert.Equal(victimBytes, File.ReadAllBytes(victim));
        Assert.Equal(Sha(Original(path)), Sha(Path.Combine(result.LocalPath, path)));
        Assert.Null(new FileInfo(Path.Combine(result.LocalPath, path)).LinkTarget);
        Assert.Equal(new FileInfo(Original(path)).Length, result.BytesFetched);
    }

    [Theory]
    [InlineData("model.onnx", ".incomplete")]
    [InlineData("model.onnx", ".modelide-partial")]
    [InlineData("config.json", ".modelide-partial")]
    public async Task A_fifo_planted_at_a_partial_file_name_does_not_hang_the_download(string path, string suffix)
    {
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var folder = layout.SnapshotFolder(Tiny, "master");
        Directory.CreateDirectory(folder);
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(folder, path + suffix)))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var result = await new ModelDownloader(fixture.Client(), fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, [path], null, timeout.Token);

        Assert.Equal(Sha(Original(path)), Sha(Path.Combine(result.LocalPath, path)));
    }

    [Fact]
    public async Task A_symlinked_folder_inside_the_model_folder_is_refused_and_nothing_is_written_through_it()
    {
        using var models = new TempFolder();
        var model = Path.Combine(models.Path, "nested");
        Directory.CreateDirectory(Path.Combine(model, "sub"));
        File.WriteAllBytes(Path.Combine(model, "sub", "weights.bin"), RandomNumberGenerator.GetBytes(10_000));
        // More files in the same folder than download at once: none of them may skip the check another one is making.
        for (var i = 0; i < 24; i++)
        {
            File.WriteAllBytes(Path.Combine(model, "sub", $"shard-{i:D2}.bin"), RandomNumberGenerator.GetBytes(5_000));
        }

        File.WriteAllText(Path.Combine(model, "README.md"), "# nested\n");
        await using var hub = await ModelIde.Hub.LocalHub.StartAsync(new ModelIde.Hub.LocalHubOptions { Port = 0, CatalogueSize = 0, ModelsDirectory = models.Path }, CancellationToken.None);
        using var cache = new TempFolder();
        using var outside = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var id = ModelId.Parse("modelide/nested");
        var folder = layout.SnapshotFolder(id, "master");
        Directory.CreateDirectory(folder);
        Directory.CreateSymbolicLink(Path.Combine(folder, "sub"), outside.Path);

        var api = new ModelScopeApiClient(fixture.Http, new HubSession(hub.BaseUri), RetryPolicy.None);
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new ModelDownloader(api, fixture.Http, layout, MultiPart()).DownloadAsync(id, null, null, null, CancellationToken.None));

        Assert.Equal(ModelIdeErrorKind.UnsafeInput, ex.Kind);
        Assert.Contains("sub", ex.Message, StringComparison.Ordinal);
        Assert.Contains("link", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
    }

    [Fact]
    public async Task A_listing_with_X_and_its_partial_file_names_downloads_every_file_intact()
    {
        using var models = new TempFolder();
        var model = Path.Combine(models.Path, "collide");
        Directory.CreateDirectory(model);
        // w.bin in parts (3 MiB + change), and every name a partial file of w.bin has ever had, each with its own bytes.
        string[] names = ["w.bin", "w.bin.incomplete", "w.bin.incomplete.parts.json", "w.bin.modelide-partial", "w.bin.modelide-partial.json"];
        var bytes = names.ToDictionary(n => n, n => RandomNumberGenerator.GetBytes(n == "w.bin" ? (3 << 20) + 12_345 : 2_000_000 + n.Length));
        foreach (var (name, content) in bytes)
        {
            File.WriteAllBytes(Path.Combine(model, name), content);
        }

        await using var hub = await ModelIde.Hub.LocalHub.StartAsync(new ModelIde.Hub.LocalHubOptions { Port = 0, CatalogueSize = 0, ModelsDirectory = models.Path }, CancellationToken.None);
        using var cache = new TempFolder();
        var api = new ModelScopeApiClient(fixture.Http, new HubSession(hub.BaseUri), RetryPolicy.None);

        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), MultiPart()).DownloadAsync(ModelId.Parse("modelide/collide"), null, null, null, CancellationToken.None);

        Assert.Equal(names.Length, result.Files);
        foreach (var (name, content) in bytes)
        {
            Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(result.LocalPath, name))), $"{name} does not hold its own bytes");
        }

        Assert.Equal(names.Order(StringComparer.Ordinal), Directory.GetFiles(result.LocalPath).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(bytes.Values.Sum(b => (long)b.Length), result.BytesFetched);
    }
}
