using System.Security.Cryptography;
using System.Text.Json;
using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;
using ModelIde.Hub.Faults;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>
/// ModelIde and the ModelScope Python SDK share one cache (issue 15, item 3): what a stopped ModelIde download leaves
/// must not be misread by the SDK, which resumes <c>&lt;file&gt;.incomplete</c> from its length with
/// <c>Range: bytes=N-</c> (modelscope_hub <c>_download.py</c>, <c>_download_with_resume</c>).
/// </summary>
[Collection("LocalHub")]
public sealed class SdkPartialFileTests(LocalHubFixture fixture) : IDisposable
{
    private static readonly ModelId Tiny = ModelId.Parse("modelide/tiny-stdlib-coder");

    public void Dispose() => fixture.Hub.Faults.Clear();

    private static DownloadOptions MultiPart() => new()
    {
        ParallelThresholdBytes = 1 << 20,
        PartSizeBytes = 1 << 20,
        MaxParallelParts = 4,
        Retry = new RetryPolicy(3, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1)),
    };

    private static byte[] Original(string name) => File.ReadAllBytes(Path.Combine(LocalHubFixture.RepoModelsDirectory(), name));

    [Fact]
    public async Task A_multi_part_download_stopped_half_way_leaves_nothing_the_sdk_misreads_and_resumes_itself()
    {
        var api = fixture.Client();
        // 4 MB/s per connection: the stop lands while several parts are in flight.
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", RateLimitBytesPerSecond = 4_000_000 });
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var original = Original("model.onnx");
        using var stop = new CancellationTokenSource();
        var first = new ModelDownloader(api, fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, ["model.onnx"], p =>
        {
            if (p.BytesDone * 5 >= p.BytesTotal * 2)
            {
                stop.Cancel();
            }
        }, stop.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        var folder = layout.SnapshotFolder(Tiny, "master");
        Assert.Null(ModelIde.TestSupport.PartialDownloads.WhatThePythonSdkWouldMisread(folder, "model.onnx", original));
        Assert.False(File.Exists(Path.Combine(folder, "model.onnx.incomplete.parts.json")));

        fixture.Hub.Faults.Clear();
        var second = await new ModelDownloader(api, fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, ["model.onnx"], null, CancellationToken.None);
        Assert.Equal(original, File.ReadAllBytes(Path.Combine(second.LocalPath, "model.onnx")));
        Assert.InRange(second.BytesFetched, 1, original.Length * 3 / 5 + (1 << 20));
        Assert.Equal(["model.onnx"], Directory.GetFiles(second.LocalPath).Select(Path.GetFileName));
    }

    /// <summary>A gapped partial file and resume state as ModelIde up to this change left them (parts 0 and 2 of 1 MiB done).</summary>
    private static void PlantOldModelIdePartial(string target, byte[] original)
    {
        const int part = 1 << 20;
        var gapped = new byte[original.Length];
        original.AsSpan(0, part).CopyTo(gapped);
        original.AsSpan(2 * part, part).CopyTo(gapped.AsSpan(2 * part));
        File.WriteAllBytes(target + ".incomplete", gapped.AsSpan(0, 3 * part).ToArray());
        var parts = new long[(original.Length + part - 1) / part];
        parts[0] = part;
        parts[2] = part;
        File.WriteAllText(target + ".incomplete.parts.json", JsonSerializer.Serialize(new
        {
            Version = 1,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(original)),
            Size = (long)original.Length,
            PartSize = (long)part,
            PartsDone = parts,
        }));
    }

    [Fact]
    public async Task An_old_gapped_partial_file_is_taken_out_of_the_sdks_way_and_resumed_from_its_state()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var folder = layout.SnapshotFolder(Tiny, "master");
        Directory.CreateDirectory(folder);
        var original = Original("model.onnx");
        PlantOldModelIdePartial(Path.Combine(folder, "model.onnx"), original);

        var result = await new ModelDownloader(api, fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, ["model.onnx"], null, CancellationToken.None);

        Assert.Equal(original, File.ReadAllBytes(Path.Combine(result.LocalPath, "model.onnx")));
        Assert.Equal(original.Length - (2L << 20), result.BytesFetched);
        Assert.Equal(["model.onnx"], Directory.GetFiles(result.LocalPath).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Partial_files_and_state_left_beside_a_finished_file_are_cleaned_up_when_it_is_found()
    {
        var api = fixture.Client();
        using var cache = new TempFolder();
        var layout = new ModelCacheLayout(cache.Path);
        var first = await new ModelDownloader(api, fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, ["model.onnx", "config.json"], null, CancellationToken.None);
        var original = Original("model.onnx");
        PlantOldModelIdePartial(Path.Combine(first.LocalPath, "model.onnx"), original);
        File.WriteAllBytes(Path.Combine(first.LocalPath, "model.onnx.modelide-partial"), new byte[4096]);
        File.WriteAllText(Path.Combine(first.LocalPath, "model.onnx.modelide-partial.json"), "{}");
        // The SDK's own partial file (no ModelIde state beside it) is the SDK's business: left alone.
        File.WriteAllBytes(Path.Combine(first.LocalPath, "config.json.incomplete"), Original("config.json")[..100]);
        fixture.Hub.RequestLog.Clear();

        var second = await new ModelDownloader(api, fixture.Http, layout, MultiPart()).DownloadAsync(Tiny, null, ["model.onnx", "config.json"], null, CancellationToken.None);

        Assert.Equal(2, second.FilesFromCache.Count);
        Assert.Equal(0, second.BytesFetched);
        Assert.Empty(fixture.Hub.BlobRequestLog);
        Assert.Equal(["config.json", "config.json.incomplete", "model.onnx"], Directory.GetFiles(second.LocalPath).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
