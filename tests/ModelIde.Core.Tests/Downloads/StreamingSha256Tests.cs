using System.Buffers;
using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using Xunit;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>The hash computed during a parallel download must equal the hash of the finished file, whatever order ranges arrive in.</summary>
public sealed class StreamingSha256Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-sha-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a chunk as a connection does (file, then state), then offers the buffer; returns whether the hasher took it.</summary>
    private static async Task<bool> WriteAndOfferAsync(StreamingSha256 hasher, Microsoft.Win32.SafeHandles.SafeFileHandle handle, DownloadResumeState state, byte[] content, long offset, int length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        content.AsSpan((int)offset, length).CopyTo(buffer);
        RandomAccess.Write(handle, buffer.AsSpan(0, length), offset);
        state.MarkWritten(offset, offset + length);
        var taken = await hasher.OfferAsync(offset, buffer, length, CancellationToken.None);
        if (!taken)
        {
            // The hasher reads these bytes back from the file; scribbling on the buffer must not change the hash.
            buffer.AsSpan(0, length).Fill(0xEE);
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return taken;
    }

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(7, 1, false)]
    [InlineData(42, 2, false)]
    [InlineData(99, 3, false)]
    [InlineData(5, 0, true)]
    [InlineData(13, 2, true)]
    public async Task Ranges_written_in_random_order_and_chunk_sizes_hash_like_the_whole_file(int seed, int resumedRanges, bool inline)
    {
        var random = new Random(seed);
        var content = new byte[random.Next(300_000, 900_000)];
        random.NextBytes(content);
        const long rangeSize = 100_000;
        var state = DownloadResumeState.Create(null, content.Length);
        using var handle = File.OpenHandle(Path.Combine(_dir, "f.modelide-partial"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
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

        await using var hasher = new StreamingSha256(handle, state, inline);
        var pending = Enumerable.Range(0, ranges.Length).Where(r => next[r] < ranges[r].End).ToList();
        var taken = 0;
        while (pending.Count > 0)
        {
            var r = pending[random.Next(pending.Count)];
            var chunk = (int)Math.Min(random.Next(1, 40_000), ranges[r].End - next[r]);
            taken += await WriteAndOfferAsync(hasher, handle, state, content, next[r], chunk) ? 1 : 0;
            next[r] += chunk;
            if (next[r] == ranges[r].End)
            {
                pending.Remove(r);
            }
        }

        Assert.Equal(1, state.RangeCount);
        // The hashing thread takes buffers at the end of its queue; inline hashing never keeps one.
        Assert.Equal(!inline, taken > 0);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await hasher.FinishAsync(content.Length));
    }

    [Fact]
    public async Task One_stream_hands_every_buffer_over_and_never_reads_the_file_back()
    {
        var content = RandomNumberGenerator.GetBytes(5_000_000);
        var state = DownloadResumeState.Create(null, content.Length);
        var path = Path.Combine(_dir, "stream");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        await using var hasher = new StreamingSha256(handle, state);
        for (var at = 0; at < content.Length; at += 65_536)
        {
            Assert.True(await WriteAndOfferAsync(hasher, handle, state, content, at, Math.Min(65_536, content.Length - at)));
        }

        // Only the handed-over buffers were hashed: the file could have been anything.
        RandomAccess.Write(handle, new byte[content.Length], 0);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await hasher.FinishAsync(content.Length));
    }

    [Fact]
    public async Task Inline_hashing_of_one_stream_after_a_resumed_prefix_hashes_the_prefix_from_the_file_and_the_rest_from_the_buffers()
    {
        var content = RandomNumberGenerator.GetBytes(700_000);
        var state = DownloadResumeState.Create(null, content.Length);
        using var handle = File.OpenHandle(Path.Combine(_dir, "inline"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        RandomAccess.Write(handle, content.AsSpan(0, 123_457), 0);
        state.MarkWritten(0, 123_457);
        await using var hasher = new StreamingSha256(handle, state, inline: true);
        for (var at = 123_457; at < content.Length; at += 65_536)
        {
            Assert.False(await WriteAndOfferAsync(hasher, handle, state, content, at, Math.Min(65_536, content.Length - at)));
        }

        // Everything was hashed by the time the last buffer came back: the file could now be anything.
        Assert.Equal(content.Length, hasher.Hashed);
        RandomAccess.Write(handle, new byte[content.Length], 0);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await hasher.FinishAsync(content.Length));
    }

    [Fact]
    public async Task A_file_shorter_than_its_listed_size_has_no_hash()
    {
        var state = DownloadResumeState.Create(null, 1000);
        using var handle = File.OpenHandle(Path.Combine(_dir, "short"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        await using var hasher = new StreamingSha256(handle, state);
        await WriteAndOfferAsync(hasher, handle, state, new byte[600], 0, 600);

        Assert.Null(await hasher.FinishAsync(1000));
    }
}
