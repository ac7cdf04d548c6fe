using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace ModelIde.Core.Downloads;

/// <summary>
/// SHA-256 of a file that is being written, possibly by several connections at once, computed while it downloads
/// instead of in a second pass afterwards, on its own thread so that hashing overlaps the socket reads and file writes
/// (on two cores that is the difference between hashing in series and hashing for free). A buffer written at the end
/// of what is queued for hashing is handed over as it is (no copy) and hashed while it is still in the CPU cache; bytes
/// written ahead of that (another connection's range, a resumed prefix) are read back from the file, usually from the
/// page cache, once everything before them is on disk. Memory is bounded: at most <see cref="MaxQueued"/> buffers wait.
/// <para>
/// A file read on one connection and small enough that a second core has nothing to overlap (see
/// <see cref="FileTransfer"/>) is hashed <c>inline</c>: on the thread that read the bytes, while they are in its cache,
/// without the hashing task, the queue and a fresh buffer per read (for a folder of many small files those cost more
/// than the hashing itself).
/// </para>
/// </summary>
internal sealed class StreamingSha256 : IAsyncDisposable
{
    public const int MaxQueued = 16;
    private const int ReadBackChunk = 1 << 20;
    private readonly Lock _gate = new();
    private readonly SafeFileHandle _file;
    private readonly DownloadResumeState _state;
    // Null when hashing inline: a folder of small files would otherwise build a channel per file that nothing uses.
    private readonly Channel<Item>? _queue;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Task _hashing;
    private long _queuedEnd;
    private long _hashed;

    public StreamingSha256(SafeFileHandle file, DownloadResumeState state, bool inline = false)
    {
        _file = file;
        _state = state;
        if (!inline)
        {
            _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(MaxQueued) { SingleReader = true });
        }

        _hashing = inline ? Task.CompletedTask : Task.Run(HashQueuedAsync);
    }

    /// <summary>Bytes hashed so far.</summary>
    public long Hashed => Volatile.Read(ref _hashed);

    /// <summary>
    /// Call after <paramref name="length"/> bytes of <paramref name="buffer"/> are on disk at <paramref name="offset"/>
    /// and counted in the resume state. Returns true when the hasher took the buffer (it returns it to
    /// <see cref="ArrayPool{T}.Shared"/> once hashed); false when the caller keeps it (the bytes are read back later).
    /// Waits when <see cref="MaxQueued"/> buffers are already queued.
    /// </summary>
    public async ValueTask<bool> OfferAsync(long offset, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        if (_queue is null)
        {
            lock (_gate)
            {
                // What is on disk before these bytes (a resumed prefix) first, then these bytes; bytes out of order are
                // read back from the file later, as on the hashing thread.
                ReadBack(_hashed, Math.Min(offset, _state.ContiguousBytes));
                if (offset == _hashed)
                {
                    _sha.AppendData(buffer, 0, length);
                    Volatile.Write(ref _hashed, _hashed + length);
                }
            }

            return false;
        }

        while (true)
        {
            lock (_gate)
            {
                // Queued under the lock, so items enter the queue in file order.
                var atEnd = offset == _queuedEnd;
                var took = atEnd && _queue.Writer.TryWrite(new Item(offset, length, buffer));
                if (took)
                {
                    _queuedEnd += length;
                }

                if (took || !atEnd)
                {
                    // Bytes another connection wrote past this point may now follow on from what is queued. Not asked
                    // while these bytes wait for room at the end of the queue: a slot freed by the hashing thread in
                    // between would otherwise go to reading them back from the file instead of taking this buffer.
                    var contiguous = _state.ContiguousBytes;
                    if (contiguous > _queuedEnd && _queue.Writer.TryWrite(new Item(_queuedEnd, (int)Math.Min(int.MaxValue, contiguous - _queuedEnd), null)))
                    {
                        _queuedEnd = Math.Min(contiguous, _queuedEnd + int.MaxValue);
                    }

                    // Taken, or not at the end of the queue (these bytes are read back from the file in turn).
                    return took;
                }
            }

            // At the end of the queue but the queue is full: wait for room (the bytes are on disk either way).
            if (!await _queue.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
    }

    /// <summary>The lower-case hex digest once all <paramref name="size"/> bytes are hashed; null if the file fell short.</summary>
    public async Task<string?> FinishAsync(long size)
    {
        _queue?.Writer.TryComplete();
#pragma warning disable VSTHRD003 // _hashing is this object's own thread-pool loop (started in the constructor), not a foreign task.
        await _hashing.ConfigureAwait(false);
#pragma warning restore VSTHRD003
        lock (_gate)
        {
            ReadBack(_hashed, _state.ContiguousBytes);
        }

        return _hashed == size ? Convert.ToHexStringLower(_sha.GetHashAndReset()) : null;
    }

    public async ValueTask DisposeAsync()
    {
        _queue?.Writer.TryComplete();
        try
        {
#pragma warning disable VSTHRD003 // see FinishAsync
            await _hashing.ConfigureAwait(false);
#pragma warning restore VSTHRD003
        }
        finally
        {
            while (_queue is not null && _queue.Reader.TryRead(out var left))
            {
                Return(left);
            }

            _sha.Dispose();
        }
    }

    private async Task HashQueuedAsync()
    {
        await foreach (var item in _queue!.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (item.Buffer is { } buffer)
                {
                    _sha.AppendData(buffer, 0, item.Length);
                    Volatile.Write(ref _hashed, _hashed + item.Length);
                }
                else
                {
                    ReadBack(item.Offset, item.Offset + item.Length);
                }
            }
            finally
            {
                Return(item);
            }
        }
    }

    /// <summary>Hashes [<paramref name="from"/>, <paramref name="to"/>) from the file (only ever called in file order, from the hashing thread or after it ended).</summary>
    private void ReadBack(long from, long to)
    {
        if (from != _hashed || to <= from)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(ReadBackChunk);
        try
        {
            while (_hashed < to)
            {
                var read = RandomAccess.Read(_file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - _hashed)), _hashed);
                if (read <= 0)
                {
                    // The file is shorter than the state claims; FinishAsync reports it.
                    return;
                }

                _sha.AppendData(buffer, 0, read);
                Volatile.Write(ref _hashed, _hashed + read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Return(Item item)
    {
        if (item.Buffer is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Bytes to hash in file order: a handed-over buffer, or (no buffer) a range to read back from the file.</summary>
    private readonly record struct Item(long Offset, int Length, byte[]? Buffer);
}
