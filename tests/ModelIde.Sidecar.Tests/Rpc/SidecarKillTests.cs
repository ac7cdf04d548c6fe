using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ModelIde.Core.Downloads;
using ModelIde.Hub;
using ModelIde.Hub.Faults;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Inference;
using ModelIde.Sidecar.Tests.Models;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Rpc;

/// <summary>The real sidecar process (`modelide serve` over stdio) killed with SIGKILL mid-download and mid-generation, then started again.</summary>
public sealed class SidecarKillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long PartSize = 1 << 20;

    /// <summary>A sidecar process and a JSON-RPC client on its stdio that collects notifications.</summary>
    private sealed class LiveSidecar : IDisposable
    {
        private LiveSidecar(Process process, JsonRpc rpc, Sink sink)
        {
            Process = process;
            Rpc = rpc;
            Notifications = sink;
        }

        public Process Process { get; }

        public JsonRpc Rpc { get; }

        public Sink Notifications { get; }

        public static LiveSidecar Start(string endpoint, IDictionary<string, string>? env = null)
        {
            var changes = new Dictionary<string, string?> { ["MODELSCOPE_API_TOKEN"] = null };
            foreach (var (k, v) in env ?? new Dictionary<string, string>())
            {
                changes[k] = v;
            }

            var process = SidecarProcessTests.StartSidecar(changes, "--endpoint", endpoint);
            _ = process.StandardError.ReadToEndAsync(); // the sidecar logs there; keep the pipe drained
            var formatter = new SystemTextJsonFormatter();
            SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
            var rpc = new JsonRpc(new HeaderDelimitedMessageHandler(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, formatter));
            var sink = new Sink();
            rpc.AddLocalRpcTarget(sink);
            rpc.StartListening();
            return new LiveSidecar(process, rpc, sink);
        }

        /// <summary>SIGKILL: no cleanup, no final state save, no answer to pending requests.</summary>
        public async Task KillAsync()
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        public void Dispose()
        {
            Rpc.Dispose();
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }

    private sealed class Sink
    {
        public ConcurrentQueue<DownloadsProgressParams> Progress { get; } = new();

        public ConcurrentQueue<InferenceTokenParams> Tokens { get; } = new();

        [JsonRpcMethod(DownloadsMethods.Progress, UseSingleObjectParameterDeserialization = true)]
        public void OnProgress(DownloadsProgressParams p) => Progress.Enqueue(p);

        [JsonRpcMethod(InferenceMethods.Token, UseSingleObjectParameterDeserialization = true)]
        public void OnToken(InferenceTokenParams p) => Tokens.Enqueue(p);
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting for {what}");
            await Task.Delay(10);
        }
    }

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static bool LooksFinished(string path) =>
        !path.Contains(ModelCacheLayout.IncompleteSuffix, StringComparison.Ordinal) && !path.Contains(".modelide-partial", StringComparison.Ordinal)
        && !path.EndsWith(".tmp", StringComparison.Ordinal) && !path.EndsWith(".lock", StringComparison.Ordinal);

    [Fact]
    public async Task Sidecar_killed_mid_download_resumes_in_a_new_sidecar_and_never_leaves_a_bad_file()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        var originals = Directory.GetFiles(ModelIde.TestSupport.RepoPaths.TinyModelDir()).ToDictionary(f => Path.GetFileName(f), Sha);
        var onnxSize = new FileInfo(Path.Combine(ModelIde.TestSupport.RepoPaths.TinyModelDir(), "model.onnx")).Length;
        var cache = Directory.CreateTempSubdirectory("modelide-sidecar-kill-").FullName;
        var folder = Path.Combine(cache, "models", "modelide--tiny-stdlib-coder", "snapshots", "master");
        var env = new Dictionary<string, string>
        {
            ["MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB"] = "1",
            ["MODELSCOPE_DOWNLOAD_PART_SIZE_MB"] = "1",
            ["MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS"] = "1",
        };
        var start = new DownloadsStartParams("kill-1", "modelide/tiny-stdlib-coder", CacheDir: cache);
        try
        {
            // Slow the blob host (2 MB/s per connection) so the kill lands mid-download.
            hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", RateLimitBytesPerSecond = 2_000_000 });
            long persisted;
            double killedAt;
            using (var first = LiveSidecar.Start(hub.BaseUri.ToString(), env))
            {
                var download = first.Rpc.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, start);
                DownloadsProgressParams? half = null;
                await WaitUntil(() => (half = first.Notifications.Progress.LastOrDefault(p => p.BytesDone * 2 >= p.BytesTotal)) is not null || download.IsCompleted, TimeSpan.FromMinutes(3), "50% progress");
                Assert.False(download.IsCompleted, "the download ended before the sidecar could be killed");
                await first.KillAsync();
                killedAt = (double)half!.BytesDone / half.BytesTotal;
                await Assert.ThrowsAnyAsync<Exception>(() => download); // the connection died with the process
            }

            Assert.False(File.Exists(Path.Combine(folder, "model.onnx")), "a killed download must not leave a finished-looking model.onnx");
            Assert.True(File.Exists(Path.Combine(folder, "model.onnx.modelide-partial")));
            persisted = ModelIde.TestSupport.PartialDownloads.Persisted(Path.Combine(folder, "model.onnx"));
            Assert.InRange(persisted, 1, onnxSize - 1);

            hub.Faults.Clear();
            // The hub logs a request when it ends: let the killed sidecar's last request finish on the server side.
            var firstRunRequests = await hub.SettledRequestCountAsync(r => r.Host == RequestLog.BlobHost, quietPolls: 10);

            // From the kill on, every finished-looking file in the snapshot folder must be complete and verified.
            var bad = new ConcurrentBag<string>();
            var checks = 0;
            using var stopWatching = new CancellationTokenSource();
            var watcher = Task.Run(async () =>
            {
                var verified = new HashSet<(string, long, DateTime)>();
                do
                {
                    foreach (var f in Directory.Exists(folder) ? Directory.GetFiles(folder) : [])
                    {
                        if (!LooksFinished(f))
                        {
                            continue;
                        }

                        var info = new FileInfo(f);
                        if (!info.Exists || !verified.Add((f, info.Length, info.LastWriteTimeUtc)))
                        {
                            continue;
                        }

                        checks++;
                        if (!originals.TryGetValue(info.Name, out var expected) || Sha(f) != expected)
                        {
                            bad.Add(info.Name);
                        }
                    }

                    await Task.Delay(5);
                }
                while (!stopWatching.IsCancellationRequested);
            });

            DownloadsStartResult result;
            using (var second = LiveSidecar.Start(hub.BaseUri.ToString(), env))
            {
                result = await second.Rpc.InvokeWithParameterObjectAsync<DownloadsStartResult>(DownloadsMethods.Start, start with { DownloadId = "kill-2" });
            }

            await stopWatching.CancelAsync();
            await watcher;
            Assert.Empty(bad);
            Assert.Equal(folder, result.LocalPath);
            foreach (var (name, sha) in originals)
            {
                Assert.Equal(sha, Sha(Path.Combine(folder, name)));
            }

            Assert.All(Directory.GetFiles(folder), f => Assert.True(LooksFinished(f), $"left over: {f}"));

            var onnx = hub.BlobRequestLog.Select((r, i) => (r, i)).Where(x => x.r.Path.EndsWith("/model.onnx", StringComparison.Ordinal)).ToArray();
            var secondRun = onnx.Where(x => x.i >= firstRunRequests).Sum(x => ModelIde.TestSupport.HubBlobRequests.RequestedBytes(x.r, onnxSize));
            // The killed sidecar asked for the whole file in one request: what the blob host sent it is what it got (an upper bound).
            var total = onnx.Sum(x => x.r.BytesSent);
            output.WriteLine($"model.onnx {onnxSize} B; killed at {100 * killedAt:0.0}% of the model; persisted {persisted} B; new sidecar requested {secondRun} B; {total - onnxSize} B sent twice (part {PartSize} B); {checks} finished-file checks, none bad");
            Assert.Equal(onnxSize - persisted, secondRun);
            Assert.InRange(total - onnxSize, 0, PartSize + ModelIde.TestSupport.HubBlobRequests.SocketBuffers);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task Sidecar_killed_mid_generation_leaves_the_model_intact_and_a_new_sidecar_gives_the_reference_text()
    {
        var modelDir = ModelIde.TestSupport.RepoPaths.TinyModelDir();
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDir, "reference.json")));
        var c = reference.RootElement.GetProperty("generation")[0];
        var prompt = c.GetProperty("prompt").GetString()!;
        var expectedIds = c.GetProperty("greedy_ids_onnxruntime").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expectedText = c.GetProperty("greedy_text_onnxruntime").GetString()!;
        var before = FolderHashes(modelDir);

        int streamedAtKill;
        using (var first = LiveSidecar.Start("http://127.0.0.1:9"))
        {
            var load = await first.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load, new InferenceLoadParams(modelDir, DevicePolicyKind.PreferCpu, Threads: 1));
            var generation = first.Rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                new InferenceGenerateParams(load.SessionId, "doomed", Prompt: prompt, MaxNewTokens: 2000));
            await WaitUntil(() => first.Notifications.Tokens.Count >= 3 || generation.IsCompleted, TimeSpan.FromMinutes(2), "streamed tokens");
            Assert.False(generation.IsCompleted, "the generation ended before the sidecar could be killed");
            await first.KillAsync();
            streamedAtKill = first.Notifications.Tokens.Count;
            await Assert.ThrowsAnyAsync<Exception>(() => generation);
        }

        Assert.Equal(before, FolderHashes(modelDir));

        InferenceGenerateResult result;
        string streamed;
        using (var second = LiveSidecar.Start("http://127.0.0.1:9"))
        {
            var load = await second.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load, new InferenceLoadParams(modelDir, DevicePolicyKind.PreferCpu, Threads: 1));
            result = await second.Rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                new InferenceGenerateParams(load.SessionId, "again", Prompt: prompt, MaxNewTokens: expectedIds.Length, Temperature: 0));
            await WaitUntil(() => second.Notifications.Tokens.Count(t => t.GenerationId == "again") >= result.GeneratedTokens, TimeSpan.FromSeconds(10), "the last streamed tokens");
            streamed = string.Concat(second.Notifications.Tokens.Where(t => t.GenerationId == "again").Select(t => t.Text));
        }

        output.WriteLine($"killed after {streamedAtKill} streamed tokens; new sidecar generated {result.GeneratedTokens} tokens; model folder unchanged ({before.Count} files)");
        Assert.Equal(expectedIds, result.TokenIds);
        Assert.Equal(expectedText, result.Text);
        Assert.Equal(expectedText, streamed);
        Assert.Equal(before, FolderHashes(modelDir));
    }

    /// <summary>Every file under the folder (names, sizes and SHA-256), so an added, removed or changed file shows.</summary>
    private static SortedDictionary<string, string> FolderHashes(string folder) => new(
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(folder, f),
            f => $"{new FileInfo(f).Length}:{Sha(f)}"),
        StringComparer.Ordinal);
}
