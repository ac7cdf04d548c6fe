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
            var statePath = target + ModelCacheLayout.ResumeStateSuffix;
            var env = new Dictionary<string, string>
            {
                ["MODELSCOPE_DOWNLOAD_PARALLEL_THRESHOLD_MB"] = "1",
                ["MODELSCOPE_DOWNLOAD_PART_SIZE_MB"] = "1",
                ["MODELSCOPE_DOWNLOAD_PARALLEL_WORKERS"] = "1",
            };
            string[] args = ["download", "modelide/tiny-stdlib-coder", "--include", "model.onnx", "--cache-dir", cache];

            // Slow the blob host so the kill lands mid-download.
            hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", DelayMs = 250 });
            long persisted = 0;
            using (var first = StartCli(hub.BaseUri, env, args))
            {
                _ = first.StandardOutput.ReadToEndAsync();
                _ = first.StandardError.ReadToEndAsync();
                var deadline = DateTime.UtcNow.AddMinutes(3);
                while (DateTime.UtcNow < deadline && !first.HasExited)
                {
                    if (File.Exists(statePath) && ReadDone(statePath) >= size / 2)
                    {
                        break;
                    }

                    await Task.Delay(20);
                }

                Assert.False(first.HasExited, "the first run ended before it could be killed");
                first.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
                await first.WaitForExitAsync();
                persisted = ReadDone(statePath);
            }

            Assert.False(File.Exists(target), "a killed download must not leave a finished-looking file");
            Assert.True(File.Exists(target + ModelCacheLayout.IncompleteSuffix));
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
            var total = blob.Sum(r => HubBlobRequests.RequestedBytes(r, size));
            output.WriteLine($"file {size} B; persisted at kill {persisted} B ({100.0 * persisted / size:0.0}%); second run fetched {secondRun} B; requested in total {total} B, {total - size} B more than once (part size {PartSize} B)");
            Assert.Equal(size - persisted, secondRun);
            Assert.True(total - size <= PartSize, $"requested {total} bytes for a {size}-byte file: {total - size} more than once");
            Assert.All(blob, r => Assert.False(r.HasAuthorization || r.HasSessionCookie));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    private static long ReadDone(string statePath)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                var state = System.Text.Json.JsonSerializer.Deserialize<DownloadResumeState>(File.ReadAllText(statePath));
                return state?.BytesDone ?? 0;
            }
            catch (Exception ex) when (i < 5 && ex is IOException or System.Text.Json.JsonException)
            {
                Thread.Sleep(10);
            }
        }
    }
}
