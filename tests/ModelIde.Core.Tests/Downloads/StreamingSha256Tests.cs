using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using Xunit;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>The hash computed during a parallel download must equal the hash of the finished file, whatever order ranges arrive in.</summary>
public sealed class StreamingSha256Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-sha-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 1)]
    [InlineData(42, 2)]
    [InlineData(99, 3)]
    public void Ranges_written_in_random_order_and_chunk_sizes_hash_like_the_whole_file(int seed, int resumedRanges)
    {
        var random = new Random(seed);
        var content = new byte[random.Next(300_000, 900_000)];
        random.NextBytes(content);
        const long rangeSize = 100_000;
        var state = DownloadResumeState.Create(null, content.Length);
        var path = Path.Combine(_dir, "f.modelide-partial");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        // Connections own consecutive ranges; each writes its range from its start, in chunks.
        var ranges = Enumerable.Range(0, (int)((content.Length + rangeSize - 1) / rangeSize))
            .Select(r => (Start: r * rangeSize, End: Math.Min(content.Length, (r + 1) * rangeSize))).ToArray();
        var next = ranges.Select(r => r.Start).ToArray();

        // A resumed download: some ranges' prefixes are already on disk before the hasher exists.
        for (var r = 0; r < resumedRanges; r++)
        {
            var prefix = r == 0 ? ranges[r].End - ranges[r].Start : (ranges[r].End - ranges[r].Start) / 2;
            RandomAccess.Write(handle, content.AsSpan((int)ranges[r].Start, (int)prefix), ranges[r].Start);
            state.MarkWritten(ranges[r].Start, ranges[r].Start + prefix);
            next[r] += prefix;
        }

        using var hasher = new StreamingSha256(handle, state);
        var pending = Enumerable.Range(0, ranges.Length).Where(r => next[r] < ranges[r].End).ToList();
        while (pending.Count > 0)
        {
            var r = pending[random.Next(pending.Count)];
            var chunk = (int)Math.Min(random.Next(1, 40_000), ranges[r].End - next[r]);
            var offset = next[r];
            var data = content.AsSpan((int)offset, chunk);
            RandomAccess.Write(handle, data, offset);
            state.MarkWritten(offset, offset + chunk);
            hasher.OnWritten(offset, data);
            next[r] += chunk;
            if (next[r] == ranges[r].End)
            {
                pending.Remove(r);
            }
        }

        Assert.Equal(1, state.RangeCount);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), hasher.Finish(content.Length));
    }

    [Fact]
    public void A_file_shorter_than_its_listed_size_has_no_hash()
    {
        var state = DownloadResumeState.Create(null, 1000);
        using var handle = File.OpenHandle(Path.Combine(_dir, "short"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        using var hasher = new StreamingSha256(handle, state);
        var data = new byte[600];
        RandomAccess.Write(handle, data, 0);
        state.MarkWritten(0, 600);
        hasher.OnWritten(0, data);

        Assert.Null(hasher.Finish(1000));
    }

    [Fact]
    public void Restart_forgets_bytes_hashed_before_the_host_resent_the_file_from_zero()
    {
        var content = RandomNumberGenerator.GetBytes(5000);
        var state = DownloadResumeState.Create(null, content.Length);
        using var handle = File.OpenHandle(Path.Combine(_dir, "restart"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        using var hasher = new StreamingSha256(handle, state);
        var junk = new byte[1000];
        RandomAccess.Write(handle, junk, 0);
        state.MarkWritten(0, 1000);
        hasher.OnWritten(0, junk);

        state.Clear();
        hasher.Restart();
        RandomAccess.Write(handle, content, 0);
        state.MarkWritten(0, content.Length);
        hasher.OnWritten(0, content);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), hasher.Finish(content.Length));
    }
}
