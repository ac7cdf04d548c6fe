using System.Net;
using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;
using ModelIde.Hub;
using ModelIde.Hub.Faults;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>Downloads against the real local hub over loopback (API host redirecting to a separate blob host).</summary>
[Collection("LocalHub")]
public sealed class ModelDownloaderTests(LocalHubFixture fixture) : IDisposable
{
    /// <summary>The hub is shared by the collection: no fault of one test may outlive it.</summary>
    public void Dispose() => fixture.Hub.Faults.Clear();

    private static readonly ModelId Tiny = ModelId.Parse("modelide/tiny-stdlib-coder");
    private const string TinyFiles = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files";

    private static DownloadOptions Fast(DownloadOptions? o = null) => (o ?? new DownloadOptions()) with
    {
        Retry = new RetryPolicy(6, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(3)),
    };

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static void AssertMatchesOriginals(string folder, string? only = null)
    {
        var originals = LocalHubFixture.RepoModelsDirectory();
        foreach (var original in Directory.EnumerateFiles(originals).Where(f => only is null || Path.GetFileName(f) == only))
        {
            var copy = Path.Combine(folder, Path.GetFileName(original));
            Assert.True(File.Exists(copy), $"{copy} is missing");
            Assert.Equal(Sha(original), Sha(copy));
        }
    }

    [Fact]
    public async Task Whole_model_matches_the_originals_and_the_token_never_reaches_the_blob_host()
    {
        var api = fixture.Client(signedIn: true);
        using var cache = new TempFolder();
        var progress = new List<DownloadProgress>();
        var downloader = new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), Fast());
        var result = await downloader.DownloadAsync(Tiny, null, null, p => { lock (progress) { progress.Add(p); } }, CancellationToken.None);

        Assert.Equal(Path.Combine(cache.Path, "models", "modelide--tiny-stdlib-coder", "snapshots", "master"), result.LocalPath);
        AssertMatchesOriginals(result.LocalPath);
        Assert.Empty(Directory.EnumerateFiles(result.LocalPath, "*.incomplete*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(result.LocalPath, "*.modelide-partial*", SearchOption.AllDirectories));
        Assert.Equal(result.Bytes, progress[^1].BytesDone);
        Assert.Equal(result.Files, progress[^1].FilesDone);

        var log = fixture.Hub.RequestLog.Entries;
        var apiDownloads = log.Where(r => r.Host == "api" && r.Path.EndsWith("/repo", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(apiDownloads);
        Assert.All(apiDownloads, r => Assert.True(r.HasAuthorization, "the first request goes to the hub with auth"));
        Assert.All(apiDownloads, r => Assert.Equal(302, r.Status));
        var blob = fixture.Hub.BlobRequestLog;
        Assert.Equal(result.Files, blob.Count);
        Assert.All(blob, r => Assert.False(r.HasAuthorization || r.HasSessionCookie, "the blob host must never see the token"));
    }

    [Fact]
    public async Task Progress_is_throttled_across_finished_files_and_the_last_report_has_the_totals()
    {
        // An interval longer than the download: one report when bytes first arrive and the final one, however many files
        // finish (the sidecar forwards each report to the extension as a notification).
        var api = fixture.Client();
        using var cache = new TempFolder();
        var progress = new List<DownloadProgress>();
        var options = Fast(new DownloadOptions { ProgressInterval = TimeSpan.FromHours(1) });
        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), options)
            .DownloadAsync(Tiny, null, null, p => { lock (progress) { progress.Add(p); } }, CancellationToken.None);

        Assert.True(result.Files > 2, $"the model has {result.Files} files");
        Assert.InRange(progress.Count, 1, 2);
        Assert.Equal(result.Bytes, progress[^1].BytesDone);
        Assert.Equal(result.Files, progress[^1].FilesDone);
        Assert.Equal(result.Files, progress[^1].FilesTotal);
    }

    [Fact]
    public async Task A_large_file_that_may_use_many_connections_verifies_and_each_byte_crosses_the_wire_about_once()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var options = Fast(new DownloadOptions { ParallelThresholdBytes = 1 << 20, PartSizeBytes = 1 << 20, MaxParallelParts = 8 });
        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), options)
            .DownloadAsync(Tiny, null, ["model.onnx"], null, CancellationToken.None);

        AssertMatchesOriginals(result.LocalPath, "model.onnx");
        var size = new FileInfo(Path.Combine(result.LocalPath, "model.onnx")).Length;
        Assert.Equal(size, result.BytesFetched);
        // How many connections it used depends on what they were measured to gain (one, over an idle loopback; see the
        // bench); whatever it was, a connection whose range was split stopped where the taker started.
        var blob = fixture.Hub.BlobRequestLog;
        Assert.Null(blob[0].Range);
        Assert.InRange(blob.Sum(r => r.BytesSent), size, size + (blob.Count * (8L << 20)));
    }

    [Fact]
    public async Task Against_a_per_connection_rate_limit_more_connections_are_added_and_the_file_still_verifies()
    {
        var api = fixture.Client();
        // 2 MB/s per connection: one stream would take 10 s for the 19.7 MB model. Its reads wait for bytes most of the
        // time, which is what makes the controller add connections, however busy the other tests keep this process.
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", RateLimitBytesPerSecond = 2_000_000 });
        using var cache = new TempFolder();
        var options = Fast(new DownloadOptions { ParallelThresholdBytes = 1 << 20, PartSizeBytes = 1 << 20, MaxParallelParts = 8 });
        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), options)
            .DownloadAsync(Tiny, null, ["model.onnx"], null, CancellationToken.None);

        AssertMatchesOriginals(result.LocalPath, "model.onnx");
        var size = new FileInfo(Path.Combine(result.LocalPath, "model.onnx")).Length;
        // The hub logs a request once its body is sent, which can be just after the client has read it.
        for (var i = 0; i < 100 && fixture.Hub.BlobRequestLog.Sum(r => r.BytesSent) < size; i++)
        {
            await Task.Delay(20);
        }

        var blob = fixture.Hub.BlobRequestLog;
        // At least one connection was added, asking for a range (two CI runs saw none while the controller still asked
        // the process's CPU use, which the other test classes drove up). How many depends on the measured gain; the
        // bench's throttled row measures the full scaling.
        var requests = $"{blob.Count} blob requests: {string.Join(", ", blob.Select(r => $"{r.Range ?? "whole"} {r.BytesSent} B"))}";
        Assert.True(blob.Count >= 2, requests);
        Assert.True(blob.Count(r => r.Range is not null) >= 1, "the connections added later ask for ranges; " + requests);
        // Each byte crossed the wire about once: a connection whose range was split stops where the taker starts.
        Assert.InRange(blob.Sum(r => r.BytesSent), size, size + (blob.Count * (1L << 20)));
        Assert.Equal(size, result.BytesFetched);
        Assert.All(blob, r => Assert.False(r.HasAuthorization || r.HasSessionCookie));
    }

    [Fact]
    public async Task Files_are_looked_up_ahead_one_request_each_and_a_refused_blob_url_from_the_look_up_is_asked_for_again()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        // One file at a time, so every file after the first is looked up while the one before it downloads.
        var downloader = new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), Fast(new DownloadOptions { MaxParallelFiles = 1 }));
        var plan = (await downloader.PlanAsync(Tiny, "master", null, CancellationToken.None)).Where(f => f.Size > 0).Select(f => f.Path).ToArray();
        var last = plan[^1];
        // The blob host refuses the last file's first request, as it would a signed URL that expired after the look-up.
        fixture.Hub.Faults.Add(new FaultRule { PathRegex = "^/blobs/modelide/tiny-stdlib-coder/[0-9a-f]+/" + System.Text.RegularExpressions.Regex.Escape(last) + "\\?", Status = 403, Count = 1 });
        var result = await downloader.DownloadAsync(Tiny, null, null, null, CancellationToken.None);

        AssertMatchesOriginals(result.LocalPath);
        var log = fixture.Hub.RequestLog.Entries;
        string FileOf(HubRequest r) => Uri.UnescapeDataString(r.Host == "api"
            ? r.Query.Split('&').Single(q => q.StartsWith("FilePath=", StringComparison.Ordinal))["FilePath=".Length..]
            : r.Path[(r.Path.IndexOf('/', "/blobs/modelide/tiny-stdlib-coder/".Length) + 1)..]);
        var lookups = log.Where(r => r.Host == "api" && r.Path.EndsWith("/repo", StringComparison.Ordinal)).ToArray();
        Assert.All(lookups, r => Assert.Equal(302, r.Status));
        Assert.Equal(plan.Order(StringComparer.Ordinal), log.Where(r => r.Host == "blob" && r.Status == 200).Select(FileOf).Order(StringComparer.Ordinal));
        // One request to the hub per file, and one more GET for the refused file once the blob host said no. A look-up
        // is a HEAD ahead of the file's turn, unless the turn came before the look-up started (a loaded machine), when
        // the file asks with its own GET: most are ahead, and none is asked twice.
        Assert.All(plan.Where(p => p != last), p => Assert.Single(lookups, r => FileOf(r) == p));
        var ahead = plan.Skip(1).Count(p => lookups.First(r => FileOf(r) == p).Method == "HEAD");
        Assert.True(ahead * 2 >= plan.Length - 1, $"only {ahead} of {plan.Length - 1} files were looked up ahead");
        Assert.Equal(2, lookups.Count(r => FileOf(r) == last));
        Assert.Equal("GET", lookups.Last(r => FileOf(r) == last).Method);
        Assert.Equal(403, log.First(r => r.Host == "blob" && FileOf(r) == last).Status);
    }

    [Fact]
    public async Task Cut_connection_is_resumed_from_the_bytes_already_written()
    {
        var api = fixture.Client();
        fixture.Hub.Faults.Add(new FaultRule { PathRegex = "^/blobs/.*/model\\.onnx", CutAfterBytes = 5_000_000, Count = 1 });
        using var cache = new TempFolder();
        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), Fast())
            .DownloadAsync(Tiny, null, ["model.onnx"], null, CancellationToken.None);

        AssertMatchesOriginals(result.LocalPath, "model.onnx");
        var onnx = fixture.Hub.BlobRequestLog.Where(r => r.Path.EndsWith("model.onnx", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, onnx.Length);
        Assert.Null(onnx[0].Range);
        var resumedFrom = long.Parse(onnx[1].Range!["bytes=".Length..].TrimEnd('-').Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedFrom, 1, 5_000_000);
        // Only what was not on disk was fetched again.
        Assert.Equal(new FileInfo(Path.Combine(result.LocalPath, "model.onnx")).Length, result.BytesFetched);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Rate_limits_and_server_errors_are_retried_honouring_retry_after(int status)
    {
        var api = fixture.Client();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", Status = status, RetryAfterSeconds = 1, Count = 2 });
        using var cache = new TempFolder();
        var waits = new List<TimeSpan>();
        var options = Fast() with
        {
            MaxParallelFiles = 1,
            Wait = (delay, ct) =>
            {
                lock (waits)
                {
                    waits.Add(delay);
                }

                return Task.CompletedTask;
            },
        };
        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), options)
            .DownloadAsync(Tiny, null, ["config.json"], null, CancellationToken.None);

        AssertMatchesOriginals(result.LocalPath, "config.json");
        Assert.Equal([status, status, 200], fixture.Hub.BlobRequestLog.Select(r => r.Status));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)], waits);
    }

    [Fact]
    public async Task A_file_whose_hash_never_matches_fails_clearly_and_leaves_nothing_finished_looking()
    {
        var api = fixture.Client();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = TinyFiles, CorruptSha256 = "config.json" });
        using var cache = new TempFolder();
        var downloader = new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), Fast());
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => downloader.DownloadAsync(Tiny, null, ["config.json"], null, CancellationToken.None));

        Assert.Equal(ModelIdeErrorKind.IntegrityFailure, ex.Kind);
        Assert.Contains("config.json", ex.Message, StringComparison.Ordinal);
        var folder = new ModelCacheLayout(cache.Path).SnapshotFolder(Tiny, "master");
        Assert.Empty(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
        // Fetched twice: once, then once more from scratch.
        Assert.Equal(2, fixture.Hub.BlobRequestLog.Count(r => r.Path.EndsWith("config.json", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_tampered_partial_file_is_caught_by_sha256_and_fetched_again_from_scratch()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var folder = layout.SnapshotFolder(Tiny, "master");
        Directory.CreateDirectory(folder);
        var original = File.ReadAllBytes(Path.Combine(LocalHubFixture.RepoModelsDirectory(), "tokenizer.json"));
        var partial = original[..100_000];
        partial[1234] ^= 0xFF;
        var target = Path.Combine(folder, "tokenizer.json");
        File.WriteAllBytes(target + ModelCacheLayout.IncompleteSuffix, partial);

        var result = await new ModelDownloader(api, fixture.Http, layout, Fast()).DownloadAsync(Tiny, null, ["tokenizer.json"], null, CancellationToken.None);

        Assert.Equal(original, File.ReadAllBytes(target));
        var ranges = fixture.Hub.BlobRequestLog.Select(r => r.Range).ToArray();
        Assert.Equal(new[] { $"bytes=100000-{original.Length - 1}", null }, ranges);
        Assert.Equal(original.Length - 100_000 + original.Length, result.BytesFetched);
    }

    [Fact]
    public async Task Cached_files_are_skipped_and_a_damaged_cached_file_is_replaced()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var downloader = new ModelDownloader(api, fixture.Http, layout, Fast());
        var first = await downloader.DownloadAsync(Tiny, null, ["*.json"], null, CancellationToken.None);
        var damaged = Path.Combine(first.LocalPath, "config.json");
        File.WriteAllText(damaged, "{}");
        fixture.Hub.RequestLog.Clear();

        var second = await downloader.DownloadAsync(Tiny, null, ["*.json"], null, CancellationToken.None);

        Assert.Equal(first.Files - 1, second.FilesFromCache.Count);
        Assert.EndsWith("config.json", Assert.Single(fixture.Hub.BlobRequestLog).Path, StringComparison.Ordinal);
        AssertMatchesOriginals(second.LocalPath, "config.json");
    }

    [Fact]
    public async Task An_existing_legacy_cache_folder_is_reused()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var legacy = Path.Combine(cache.Path, "hub", "models", "modelide", "tiny-stdlib-coder");
        Directory.CreateDirectory(legacy);
        File.WriteAllText(Path.Combine(legacy, ".mv"), "Revision:master,CreatedAt:0");
        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), Fast()).DownloadAsync(Tiny, null, ["config.json"], null, CancellationToken.None);
        Assert.Equal(legacy, result.LocalPath);
        AssertMatchesOriginals(legacy, "config.json");
    }

    [Fact]
    public async Task Two_downloads_of_the_same_model_into_one_cache_do_not_collide()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var options = Fast(new DownloadOptions { ParallelThresholdBytes = 1 << 20, PartSizeBytes = 2 << 20 });
        var a = new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), options).DownloadAsync(Tiny, null, null, null, CancellationToken.None);
        var b = new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), options).DownloadAsync(Tiny, null, null, null, CancellationToken.None);
        var results = await Task.WhenAll(a, b);

        AssertMatchesOriginals(results[0].LocalPath);
        // The lock makes the second one find finished files: together they fetched each byte once.
        Assert.Equal(results[0].Bytes, results[0].BytesFetched + results[1].BytesFetched);
    }

    [Fact]
    public async Task Cancelled_download_resumes_without_refetching_what_is_on_disk()
    {
        var api = fixture.Client();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", RateLimitBytesPerSecond = 8_000_000 });
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var options = Fast(new DownloadOptions { ParallelThresholdBytes = 1 << 20, PartSizeBytes = 1 << 20, MaxParallelParts = 2 });
        using var cts = new CancellationTokenSource();
        long seen = 0;
        var first = new ModelDownloader(api, fixture.Http, layout, options).DownloadAsync(Tiny, null, ["model.onnx"], p =>
        {
            if (p.BytesDone > 8 << 20 && Interlocked.Exchange(ref seen, 1) == 0)
            {
                cts.Cancel();
            }
        }, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var saved = PartialFiles.Persisted(Path.Combine(layout.SnapshotFolder(Tiny, "master"), "model.onnx"));
        Assert.True(saved > 0);

        fixture.Hub.Faults.Clear();
        var second = await new ModelDownloader(api, fixture.Http, layout, options).DownloadAsync(Tiny, null, ["model.onnx"], null, CancellationToken.None);
        AssertMatchesOriginals(second.LocalPath, "model.onnx");
        Assert.Equal(second.Bytes - saved, second.BytesFetched);
    }

    [Fact]
    public async Task Unknown_model_is_not_found()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), Fast())
            .DownloadAsync(ModelId.Parse("modelide/no-such-model"), null, null, null, CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.NotFound, ex.Kind);
    }
}
