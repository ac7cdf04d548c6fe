using System.Globalization;
using System.Text.RegularExpressions;
using ModelIde.Hub;
using ModelIde.Hub.Faults;

namespace ModelIde.Cli.Tests.Downloads;

/// <summary>
/// A model of many small files (the shape of a tokenizer/config-heavy repository) through `modelide download` against
/// the real local hub: every file lands verified, and a run killed with SIGKILL part way resumes without fetching the
/// finished files again.
/// </summary>
public sealed partial class FolderDownloadKillTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int FileCount = 48;
    private readonly string _root = Directory.CreateTempSubdirectory("modelide-folder-kill-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_folder_of_many_small_files_killed_part_way_resumes_with_every_file_verified_and_no_finished_file_fetched_again()
    {
        var models = Path.Combine(_root, "models");
        var source = Path.Combine(models, "many-small");
        var originals = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var random = new Random(18);
        for (var i = 0; i < FileCount; i++)
        {
            // 20-80 KB each, in a folder, as tokenizer shards or vocab files are.
            var bytes = new byte[random.Next(20_000, 80_000)];
            random.NextBytes(bytes);
            var path = $"shards/part-{i.ToString("D3", CultureInfo.InvariantCulture)}.bin";
            originals[path] = bytes;
            Directory.CreateDirectory(Path.Combine(source, "shards"));
            await File.WriteAllBytesAsync(Path.Combine(source, path), bytes);
        }

        await using var hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0, ModelsDirectory = models, DataDirectory = Path.Combine(_root, "hub") }, CancellationToken.None);
        var cache = Path.Combine(_root, "cache");
        var folder = Path.Combine(cache, "models", "modelide--many-small", "snapshots", "master");
        string[] args = ["download", "modelide/many-small", "--cache-dir", cache];
        string[] Finished() => Directory.Exists(Path.Combine(folder, "shards"))
            ? Directory.GetFiles(Path.Combine(folder, "shards"), "part-???.bin").Select(f => "shards/" + Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray()
            : [];

        // 200 KB/s per connection: a file takes a few tenths of a second, so the kill lands with some files done.
        hub.Faults.Add(new FaultRule { PathPrefix = "/blobs/", RateLimitBytesPerSecond = 200_000 });
        string[] finishedAtKill;
        using (var first = DownloadProcessKillTests.StartCli(hub.BaseUri, null, args))
        {
            _ = first.StandardOutput.ReadToEndAsync();
            _ = first.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (DateTime.UtcNow < deadline && !first.HasExited && Finished().Length < FileCount / 4)
            {
                await Task.Delay(20);
            }

            Assert.False(first.HasExited, "the first run ended before it could be killed");
            first.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            await first.WaitForExitAsync();
            finishedAtKill = Finished();
        }

        // Whatever carries a final name was verified before it got it.
        Assert.InRange(finishedAtKill.Length, FileCount / 4, FileCount - 1);
        Assert.All(finishedAtKill, p => Assert.Equal(originals[p], File.ReadAllBytes(Path.Combine(folder, p))));

        hub.Faults.Clear();
        var blobRequestsBefore = await hub.SettledRequestCountAsync(r => r.Host == RequestLog.BlobHost, quietPolls: 10);
        string stderr;
        using (var second = DownloadProcessKillTests.StartCli(hub.BaseUri, null, args))
        {
            var stdout = second.StandardOutput.ReadToEndAsync();
            var err = second.StandardError.ReadToEndAsync();
            await second.WaitForExitAsync();
            stderr = await err;
            Assert.True(second.ExitCode == 0, stderr);
            Assert.Equal(folder, (await stdout).Trim().Split('\n')[^1]);
        }

        output.WriteLine($"{finishedAtKill.Length} of {FileCount} files finished at the kill; rerun: {stderr.Trim().Split('\n')[^1]}");
        Assert.Equal(originals.Keys.Order(StringComparer.Ordinal), Finished());
        Assert.All(originals, o => Assert.Equal(o.Value, File.ReadAllBytes(Path.Combine(folder, o.Key))));
        // No partial file or resume state is left beside the finished files.
        Assert.Equal(FileCount, Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length);

        // The rerun says it found the finished files in the cache, and never asked the blob host for one of them.
        var summary = DoneLine().Match(stderr);
        Assert.True(summary.Success, stderr);
        Assert.Equal(FileCount, int.Parse(summary.Groups["files"].Value, CultureInfo.InvariantCulture));
        Assert.True(int.Parse(summary.Groups["cached"].Value, CultureInfo.InvariantCulture) >= finishedAtKill.Length, summary.Value);
        var refetched = hub.BlobRequestLog.Skip(blobRequestsBefore).Select(r => r.Path).Where(p => finishedAtKill.Any(f => p.EndsWith("/" + f, StringComparison.Ordinal))).ToArray();
        Assert.Empty(refetched);
    }

    [GeneratedRegex(@"Done: (?<files>\d+) files, [0-9.]+ MB \((?<cached>\d+) already cached\)")]
    private static partial Regex DoneLine();
}
