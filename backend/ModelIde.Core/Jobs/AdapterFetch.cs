namespace ModelIde.Core.Jobs;

/// <summary>How far a "fetch adapter" is: bytes of all the files to fetch, and the file being fetched.</summary>
public sealed record AdapterFetchProgress(string File, long BytesDone, long BytesTotal, int FilesDone, int FilesTotal);

/// <summary>What a fetch brought: the local folder, the files and bytes fetched, and what was left on the host.</summary>
public sealed record AdapterFetchResult(string LocalDir, string RemoteDir, IReadOnlyList<string> Files, long Bytes, IReadOnlyList<string> Skipped, long SkippedBytes);

/// <summary>
/// Which files of a checkpoint make the adapter (or, for a full fine-tune, the model): everything but the state the
/// Trainer keeps only to resume (optimizer, scheduler, RNG, grad scaler, DeepSpeed's global_step* shards and its
/// zero_to_fp32.py / latest). Those are most of a checkpoint's bytes (the optimizer alone is twice the adapter).
/// </summary>
public static class CheckpointFiles
{
    private static readonly string[] s_resumeOnly =
    [
        "optimizer.pt", "optimizer.bin", "scheduler.pt", "scaler.pt", "rng_state.pth", "training_args.bin",
        "trainer_state.json", "latest", "zero_to_fp32.py",
    ];

    public static bool IsAdapterFile(string relativePath, bool isDirectory)
    {
        var name = relativePath.Split('/')[^1];
        if (isDirectory)
        {
            return !name.StartsWith("global_step", StringComparison.Ordinal);
        }

        return !s_resumeOnly.Contains(name, StringComparer.Ordinal)
            && !(name.StartsWith("rng_state_", StringComparison.Ordinal) && name.EndsWith(".pth", StringComparison.Ordinal))
            && !name.EndsWith(".part", StringComparison.Ordinal);
    }
}

/// <summary>A write-only stream that reports each write's size (for progress while SFTP downloads into a file).</summary>
internal sealed class ProgressStream(Stream inner, Action<long> onWrite) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        onWrite(count);
    }

    public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        await inner.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false);
        onWrite(count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        onWrite(buffer.Length);
    }
}
