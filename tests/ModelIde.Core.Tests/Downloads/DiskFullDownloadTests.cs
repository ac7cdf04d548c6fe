using System.Diagnostics;
using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>A download into a cache on a tmpfs smaller than the model: ENOSPC, then more space, then resume.</summary>
[Collection("LocalHub")]
public sealed class DiskFullDownloadTests(LocalHubFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly ModelId Tiny = ModelId.Parse("modelide/tiny-stdlib-coder");

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task Disk_full_fails_clearly_keeps_the_partial_state_and_resumes_once_space_is_freed()
    {
        var originals = Directory.GetFiles(LocalHubFixture.RepoModelsDirectory()).ToDictionary(f => Path.GetFileName(f), f => f);
        var modelBytes = originals.Values.Sum(f => new FileInfo(f).Length);
        var largest = originals.Values.Max(f => new FileInfo(f).Length);
        // Room for the small files and about a third of model.onnx.
        var smallMb = Math.Max(2, (int)((modelBytes - largest + largest / 3) >> 20));

        using var mountPoint = new TempFolder();
        Mount(mountPoint.Path, $"size={smallMb}m");
        try
        {
            var api = fixture.Client();
            var layout = new ModelCacheLayout(mountPoint.Path);
            var options = new DownloadOptions
            {
                ParallelThresholdBytes = 1 << 20,
                PartSizeBytes = 2 << 20,
                MaxParallelParts = 2,
                Retry = new RetryPolicy(4, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1)),
            };

            var ex = await Assert.ThrowsAsync<ModelIdeException>(() =>
                new ModelDownloader(api, fixture.Http, layout, options).DownloadAsync(Tiny, null, null, null, CancellationToken.None));
            output.WriteLine($"tmpfs {smallMb} MiB for a {modelBytes} B model: {ex.Kind}: {ex.Message}");
            Assert.Equal(ModelIdeErrorKind.DiskFull, ex.Kind);
            Assert.Contains("disk is full", ex.Message, StringComparison.Ordinal);
            // Whichever file's write met ENOSPC first is named (the small files race model.onnx for the last bytes).
            Assert.Contains(originals.Keys, name => ex.Message.Contains($"'{name}'", StringComparison.Ordinal));
            Assert.Contains("MB of the download still to come", ex.Message, StringComparison.Ordinal);
            // Disk full is not retried like a network error: no range was asked for twice.
            var blobRequests = fixture.Hub.BlobRequestLog.Count;
            Assert.All(fixture.Hub.BlobRequestLog.GroupBy(r => (r.Path, r.Range)), g => Assert.Single(g));

            var folder = layout.SnapshotFolder(Tiny, "master");
            var big = Path.Combine(folder, "model.onnx");
            Assert.False(File.Exists(big), "model.onnx must not look finished");
            Assert.True(File.Exists(big + Partial), "the partial file is kept");
            var saved = PartialFiles.Persisted(big);
            Assert.InRange(saved, 1, new FileInfo(big + Partial).Length);
            // Every file stopped part way keeps what it has: a resume state where it may have gaps, else a plain prefix.
            // The disk-full stop ends all of them, so together they say what is left.
            var savedBytes = Directory.GetFiles(folder, "*" + Partial).Sum(f => PartialFiles.Persisted(f[..^Partial.Length]));
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
            var finishedBefore = FinishedFiles(folder);
            foreach (var f in finishedBefore)
            {
                Assert.Equal(Sha(originals[Path.GetFileName(f)]), Sha(f));
            }

            Mount(mountPoint.Path, $"size={(modelBytes >> 20) + 16}m", remount: true);
            fixture.Hub.RequestLog.Clear();
            var result = await new ModelDownloader(api, fixture.Http, layout, options).DownloadAsync(Tiny, null, null, null, CancellationToken.None);

            foreach (var (name, original) in originals)
            {
                Assert.Equal(Sha(original), Sha(Path.Combine(result.LocalPath, name)));
            }

            Assert.Empty(Directory.GetFiles(folder, "*.incomplete*"));
            Assert.Empty(Directory.GetFiles(folder, "*" + Partial + "*"));
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
            Assert.Equal(finishedBefore.Count, result.FilesFromCache.Count);
            // Resumed: at most what the saved state did not cover is fetched again.
            var remaining = modelBytes - finishedBefore.Sum(f => new FileInfo(f).Length) - savedBytes;
            output.WriteLine($"first run: {blobRequests} blob requests, {finishedBefore.Count} files finished, model.onnx kept {saved} B, all states {savedBytes} B; after remount fetched {result.BytesFetched} B (remaining per state {remaining} B)");
            Assert.Equal(remaining, result.BytesFetched);
        }
        finally
        {
            Unmount(mountPoint.Path);
        }
    }

    /// <summary>ModelIde's partial files: <c>&lt;file&gt;.modelide-partial</c>, state in <c>&lt;file&gt;.modelide-partial.json</c>.</summary>
    private const string Partial = PartialFiles.Suffix;

    private static List<string> FinishedFiles(string folder) => Directory.GetFiles(folder)
        .Where(f => !f.Contains(Partial, StringComparison.Ordinal) && !f.Contains(ModelCacheLayout.IncompleteSuffix, StringComparison.Ordinal) && !f.EndsWith(".tmp", StringComparison.Ordinal))
        .ToList();

    /// <summary>Mounts (or remounts) a tmpfs; needs root or CAP_SYS_ADMIN, which the test stage has. Fails loudly otherwise.</summary>
    private static void Mount(string path, string size, bool remount = false)
    {
        Assert.True(OperatingSystem.IsLinux(), "The disk-full test needs Linux (tmpfs).");
        var (code, err) = Run("mount", remount ? ["-o", "remount," + size, path] : ["-t", "tmpfs", "-o", size, "tmpfs", path]);
        Assert.True(code == 0, $"Cannot mount a tmpfs at {path} (this test needs root or CAP_SYS_ADMIN): {err}");
    }

    private static void Unmount(string path)
    {
        if (File.ReadAllText("/proc/mounts").Contains(" " + path + " ", StringComparison.Ordinal))
        {
            var (code, err) = Run("umount", ["-l", path]);
            Assert.True(code == 0, $"umount {path} failed: {err}");
        }
    }

    private static (int Code, string Stderr) Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err.Trim());
    }
}
