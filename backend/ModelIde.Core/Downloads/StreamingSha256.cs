using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace ModelIde.Core.Downloads;

/// <summary>
/// SHA-256 of a file that is being written, possibly by several connections at once, computed while it downloads
/// instead of in a second pass afterwards. Bytes written at the hashed frontier are hashed from the writer's buffer, on
/// the writer's thread, while they are still in the CPU cache; bytes written ahead of it (another connection's range, a
/// resumed prefix) are read back from the file once the frontier reaches them, usually from the page cache.
/// </summary>
internal sealed class StreamingSha256 : IDisposable
{
    private const int CatchUpChunk = 1 << 20;
    private readonly Lock _gate = new();
    private readonly SafeFileHandle _file;
    private readonly DownloadResumeState _state;
    private IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _hashed;

    public StreamingSha256(SafeFileHandle file, DownloadResumeState state)
    {
        _file = file;
        _state = state;
    }

    /// <summary>Bytes hashed so far (the frontier).</summary>
    public long Hashed => Volatile.Read(ref _hashed);

    /// <summary>
    /// Call after <paramref name="data"/> is on disk at <paramref name="offset"/> and counted in the resume state. Data
    /// at the frontier is hashed now; data just past a frontier that the file already fills up to is hashed after
    /// reading the bytes between from the file; anything else is left for <see cref="CatchUp"/>.
    /// </summary>
    public void OnWritten(long offset, ReadOnlySpan<byte> data)
    {
        var hashed = Volatile.Read(ref _hashed);
        if (offset < hashed || (offset > hashed && _state.ContiguousBytes < offset + data.Length))
        {
            return;
        }

        // Another writer may be hashing (or catching up) right now; it or the final CatchUp covers these bytes.
        if (!_gate.TryEnter())
        {
            return;
        }

        try
        {
            if (offset > _hashed)
            {
                ReadBackUpTo(offset);
            }

            if (offset == _hashed)
            {
                _sha.AppendData(data);
                Volatile.Write(ref _hashed, _hashed + data.Length);
            }
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Hashes, from the file, every byte the resume state says is written contiguously from 0 but not hashed yet.</summary>
    public void CatchUp()
    {
        lock (_gate)
        {
            ReadBackUpTo(_state.ContiguousBytes);
        }
    }

    /// <summary>Forgets everything hashed so far (the host ignored a Range header and sends the file from byte 0).</summary>
    public void Restart()
    {
        lock (_gate)
        {
            _sha.Dispose();
            _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Volatile.Write(ref _hashed, 0);
        }
    }

    /// <summary>The lower-case hex digest once all <paramref name="size"/> bytes are hashed; null if the file fell short.</summary>
    public string? Finish(long size)
    {
        CatchUp();
        lock (_gate)
        {
            return _hashed == size ? Convert.ToHexStringLower(_sha.GetHashAndReset()) : null;
        }
    }

    public void Dispose() => _sha.Dispose();

    private void ReadBackUpTo(long frontier)
    {
        if (_hashed >= frontier)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(CatchUpChunk);
        try
        {
            while (_hashed < frontier)
            {
                var want = (int)Math.Min(buffer.Length, frontier - _hashed);
                var read = RandomAccess.Read(_file, buffer.AsSpan(0, want), _hashed);
                if (read <= 0)
                {
                    // The file is shorter than the state claims; Finish reports it.
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
}
