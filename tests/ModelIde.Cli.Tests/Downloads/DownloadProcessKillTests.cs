using System.Diagnostics;
using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using ModelIde.Hub;
using ModelIde.Hub.Faults;
using ModelIde.TestSupport;

namespace ModelIde.Cli.Tests.Downloads;

/// <summary>`modelide download` as a child process against the real local hub: killed with SIGKILL half way, then run again.</summary>
public sealed class DownloadProcessKillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long PartSize = 1 << 20;

    /// <summary>The CLI against <paramref name="endpoint"/> (MODELSCOPE_ENDPOINT), without the caller's token.</summary>
    internal static Process StartCli(Uri endpoint, IDictionary<string, string>? env, params string[] args)
    {
        var changes = new Dictionary<string, string?> { ["MODELSCOPE_ENDPOINT"] = endpoint.ToString(), ["MODELSCOPE_API_TOKEN"] = null };
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            changes[k] = v;
        }

        var psi = CliProcess.StartInfo(CliHost.Dll, args, changes);
        psi.RedirectStandardInput = false;
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Resume_after_kill_refetches_at_most_one_part()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        var cache = Directory.CreateTempSubdirectory("modelide-kill-").FullName;
        try
        {
            var original = Path.Combine(RepoPaths.TinyModelDir(), "model.onnx");
            var size = new FileInfo(original).Length;
            var folder = Path.Combine(cache, "models", "modelide--tiny-stdlib-coder", "snapshots", "master");
            var target = Path.Combine(folder, "model.onnx");
            var statePath = target + ".modelide-partial.json";
            var env = new Dictionary<string, string>
            {
                ["MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB"] = "1",
                ["MODELSCOPE_DOWNLOAD_PART_SIZE_MB"] = "1",
                ["MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS"] = "1",
            };
            string[] args = ["download", "modelide/tiny-stdlib-coder", "--include", "model.onnx", "--cache-dir", cache];

            // Slow the blob host (2 MB/s per connection) so the kill lands mid-download.
            hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", RateLimitBytesPerSecond = 2_000_000 });
            long persisted = 0;
            using (var first = StartCli(hub.BaseUri, env, args))
            {
                _ = first.StandardOutput.ReadToEndAsync();
                _ = first.StandardError.ReadToEndAsync();
                var deadline = DateTime.UtcNow.AddMinutes(3);
                while (DateTime.UtcNow < deadline && !first.HasExited)
                {
                    if (PartialDownloads.Persisted(target) >= size / 2)
                    {
                        break;
                    }

                    await Task.Delay(20);
                }

                Assert.False(first.HasExited, "the first run ended before it could be killed");
                first.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
                await first.WaitForExitAsync();
                persisted = PartialDownloads.Persisted(target);
            }

            Assert.False(File.Exists(target), "a killed download must not leave a finished-looking file");
            Assert.True(File.Exists(target + ".modelide-partial"));
            Assert.Null(ModelIde.TestSupport.PartialDownloads.WhatThePythonSdkWouldMisread(folder, "model.onnx", File.ReadAllBytes(original)));
            Assert.InRange(persisted, size / 2, size - 1);

            hub.Faults.Clear();
            // The hub logs a request when it ends; let the killed one finish on the server side.
            var firstRunRequests = await hub.SettledRequestCountAsync(r => r.Host == RequestLog.BlobHost, quietPolls: 10);

            using (var second = StartCli(hub.BaseUri, env, args))
            {
                var stdout = second.StandardOutput.ReadToEndAsync();
                var stderr = second.StandardError.ReadToEndAsync();
                await second.WaitForExitAsync();
                Assert.True(second.ExitCode == 0, await stderr);
                Assert.Equal(folder, (await stdout).Trim().Split('\n')[^1]);
            }

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(original))), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(target))));
            Assert.False(File.Exists(statePath));

            var blob = hub.BlobRequestLog;
            var secondRun = blob.Skip(firstRunRequests).Sum(r => HubBlobRequests.RequestedBytes(r, size));
            // The killed run asked for the whole file in one request: what the blob host sent it is what it got (an upper bound).
            var total = blob.Sum(r => r.BytesSent);
            output.WriteLine($"file {size} B; persisted at kill {persisted} B ({100.0 * persisted / size:0.0}%); second run fetched {secondRun} B; blob host sent {total} B in all, {total - size} B more than once (part size {PartSize} B)");
            Assert.Equal(size - persisted, secondRun);
            // Beyond one part, only what the kernel's socket buffers held when the process died (never read by it).
            Assert.True(total - size <= PartSize + HubBlobRequests.SocketBuffers, $"sent {total} bytes for a {size}-byte file: {total - size} more than once");
            Assert.All(blob, r => Assert.False(r.HasAuthorization || r.HasSessionCookie));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task A_multi_connection_download_killed_mid_way_leaves_nothing_the_python_sdk_misreads()
    {
        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0 }, CancellationToken.None);
        var cache = Directory.CreateTempSubdirectory("modelide-kill-sdk-").FullName;
        try
        {
            var original = File.ReadAllBytes(Path.Combine(RepoPaths.TinyModelDir(), "model.onnx"));
            var folder = Path.Combine(cache, "models", "modelide--tiny-stdlib-coder", "snapshots", "master");
            var statePath = Path.Combine(folder, "model.onnx.modelide-partial.json");
            var env = new Dictionary<string, string>
            {
                ["MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB"] = "1",
                ["MODELSCOPE_DOWNLOAD_PART_SIZE_MB"] = "1",
                ["MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS"] = "4",
            };
            string[] args = ["download", "modelide/tiny-stdlib-coder", "--include", "model.onnx", "--cache-dir", cache];
            // 1 MB/s per connection: more connections pay off, so the file is written in several ranges at once.
            hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", RateLimitBytesPerSecond = 1_000_000 });
            using (var first = StartCli(hub.BaseUri, env, args))
            {
                _ = first.StandardOutput.ReadToEndAsync();
                _ = first.StandardError.ReadToEndAsync();
                var deadline = DateTime.UtcNow.AddMinutes(3);
                while (DateTime.UtcNow < deadline && !first.HasExited && !(File.Exists(statePath) && PartialDownloads.ReadRanges(statePath) > 1 && PartialDownloads.ReadDone(statePath) >= original.Length / 3))
                {
                    await Task.Delay(20);
                }

                Assert.False(first.HasExited, "the first run ended before it could be killed");
                first.Kill(entireProcessTree: true);
                await first.WaitForExitAsync();
            }

            output.WriteLine($"killed with {PartialDownloads.ReadRanges(statePath)} ranges written, {PartialDownloads.ReadDone(statePath)} of {original.Length} B; left: {string.Join(", ", Directory.GetFiles(folder).Select(Path.GetFileName))}");
            Assert.True(PartialDownloads.ReadRanges(statePath) > 1, "the partial file has gaps");
            Assert.Null(ModelIde.TestSupport.PartialDownloads.WhatThePythonSdkWouldMisread(folder, "model.onnx", original));
            Assert.False(File.Exists(Path.Combine(folder, "model.onnx.incomplete")));

            hub.Faults.Clear();
            using (var second = StartCli(hub.BaseUri, env, args))
            {
                var stderr = second.StandardError.ReadToEndAsync();
                _ = second.StandardOutput.ReadToEndAsync();
                await second.WaitForExitAsync();
                Assert.True(second.ExitCode == 0, await stderr);
            }

            Assert.Equal(original, File.ReadAllBytes(Path.Combine(folder, "model.onnx")));
            Assert.Equal(["model.onnx"], Directory.GetFiles(folder).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>
    /// What a resumed download will trust of a partial file: its resume state where it may have gaps, else its length
    /// (one stream writes it from byte 0 with nothing in between).
    /// </summary>
}
