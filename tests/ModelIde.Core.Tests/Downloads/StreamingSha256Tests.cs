using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using Xunit;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>The hash computed during a parallel download must equal the hash of the finished file, whatever order parts arrive in.</summary>
public sealed class StreamingSha256Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-sha-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 1)]
    [InlineData(42, 2)]
    [InlineData(99, 3)]
    public void Parts_written_in_random_order_and_chunk_sizes_hash_like_the_whole_file(int seed, int resumedParts)
    {
        var random = new Random(seed);
        var content = new byte[random.Next(300_000, 900_000)];
        random.NextBytes(content);
        const long partSize = 100_000;
        var state = DownloadResumeState.Create(null, content.Length, partSize);
        var path = Path.Combine(_dir, "f.incomplete");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);

        // A resumed download: some parts' prefixes are already on disk before the hasher exists.
        for (var p = 0; p < resumedParts; p++)
        {
            var prefix = p == 0 ? state.PartLength(p) : state.PartLength(p) / 2;
            RandomAccess.Write(handle, content.AsSpan((int)state.PartStart(p), (int)prefix), state.PartStart(p));
            state.SetDone(p, prefix);
        }

        using var hasher = new StreamingSha256(handle, state);
        var pending = Enumerable.Range(0, state.PartCount).ToList();
        while (pending.Count > 0)
        {
            var part = pending[random.Next(pending.Count)];
            var done = state.PartsDone[part];
            var chunk = (int)Math.Min(random.Next(1, 40_000), state.PartLength(part) - done);
            var offset = state.PartStart(part) + done;
            var data = content.AsSpan((int)offset, chunk);
            RandomAccess.Write(handle, data, offset);
            state.SetDone(part, done + chunk);
            hasher.OnWritten(offset, data);
            if (state.PartsDone[part] == state.PartLength(part))
            {
                pending.Remove(part);
                hasher.CatchUp();
            }
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), hasher.Finish(content.Length));
    }

    [Fact]
    public void A_file_shorter_than_its_listed_size_has_no_hash()
    {
        var state = DownloadResumeState.Create(null, 1000, 1000);
        using var handle = File.OpenHandle(Path.Combine(_dir, "short"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        using var hasher = new StreamingSha256(handle, state);
        var data = new byte[600];
        RandomAccess.Write(handle, data, 0);
        state.SetDone(0, 600);
        hasher.OnWritten(0, data);

        Assert.Null(hasher.Finish(1000));
    }

    [Fact]
    public void Restart_forgets_bytes_hashed_before_the_host_resent_the_file_from_zero()
    {
        var content = RandomNumberGenerator.GetBytes(5000);
        var state = DownloadResumeState.Create(null, content.Length, content.Length);
        using var handle = File.OpenHandle(Path.Combine(_dir, "restart"), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        using var hasher = new StreamingSha256(handle, state);
        var junk = new byte[1000];
        RandomAccess.Write(handle, junk, 0);
        state.SetDone(0, 1000);
        hasher.OnWritten(0, junk);

        state.SetDone(0, 0);
        hasher.Restart();
        RandomAccess.Write(handle, content, 0);
        state.SetDone(0, content.Length);
        hasher.OnWritten(0, content);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), hasher.Finish(content.Length));
    }
}
