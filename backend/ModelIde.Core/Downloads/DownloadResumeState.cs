using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Which byte ranges of a partial file are on disk, kept beside it as a small JSON file so a download resumes after a
/// cancel, a cut connection or a killed process. Bytes are written before the state that counts them, so the state never
/// claims more than the file holds. It is a list of written ranges, not one entry per part: its size depends on how
/// many connections wrote the file, never on the size a listing claims.
/// </summary>
public sealed class DownloadResumeState
{
    /// <summary>States beyond this many ranges are not ours (or are damaged) and are ignored.</summary>
    public const int MaxRanges = 4096;

    /// <summary>The largest state file read back (a few KB in practice).</summary>
    public const int MaxFileBytes = 1 << 20;

    private static readonly JsonSerializerOptions s_json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, TypeInfoResolver = DownloadsJsonContext.Default };
    private readonly Lock _gate = new();
    private readonly List<(long Start, long End)> _ranges = [];

    public int Version { get; set; } = 2;

    public string? Sha256 { get; set; }

    public long Size { get; set; }

    /// <summary>Written ranges as [start, end) pairs, sorted and not touching each other.</summary>
    public long[][] Written
    {
        get
        {
            lock (_gate)
            {
                return _ranges.Select(r => new[] { r.Start, r.End }).ToArray();
            }
        }

        set
        {
            lock (_gate)
            {
                _ranges.Clear();
                foreach (var pair in value ?? [])
                {
                    _ranges.Add(pair is [var start, var end] ? (start, end) : (-1, -1));
                }
            }
        }
    }

    /// <summary>Version 1 (ModelIde before ranges): fixed parts of this size ...</summary>
    public long? PartSize { get; set; }

    /// <summary>... and the bytes written from the start of each.</summary>
    public long[]? PartsDone { get; set; }

    public static DownloadResumeState Create(string? sha256, long size) => new() { Sha256 = sha256, Size = size };

    /// <summary>All bytes written.</summary>
    [JsonIgnore]
    public long BytesDone
    {
        get
        {
            lock (_gate)
            {
                return _ranges.Sum(r => r.End - r.Start);
            }
        }
    }

    /// <summary>Bytes on disk without a gap from the start of the file.</summary>
    [JsonIgnore]
    public long ContiguousBytes
    {
        get
        {
            lock (_gate)
            {
                return _ranges.Count > 0 && _ranges[0].Start == 0 ? _ranges[0].End : 0;
            }
        }
    }

    /// <summary>How many separate ranges are written (1 for a plain prefix).</summary>
    [JsonIgnore]
    public int RangeCount
    {
        get
        {
            lock (_gate)
            {
                return _ranges.Count;
            }
        }
    }

    /// <summary>The end of the last written byte (0 when none): the file must be at least this long.</summary>
    [JsonIgnore]
    public long WrittenEnd
    {
        get
        {
            lock (_gate)
            {
                return _ranges.Count > 0 ? _ranges[^1].End : 0;
            }
        }
    }

    /// <summary>The ranges still to fetch, in file order.</summary>
    public IReadOnlyList<(long Start, long End)> Missing()
    {
        lock (_gate)
        {
            var gaps = new List<(long, long)>();
            var at = 0L;
            foreach (var (start, end) in _ranges)
            {
                if (start > at)
                {
                    gaps.Add((at, start));
                }

                at = end;
            }

            if (at < Size)
            {
                gaps.Add((at, Size));
            }

            return gaps;
        }
    }

    /// <summary>Counts [start, end) as written, merging it with the ranges it touches.</summary>
    public void MarkWritten(long start, long end)
    {
        if (end <= start)
        {
            return;
        }

        lock (_gate)
        {
            // Usually extends the range that ends where this one starts (the writer's own).
            var i = _ranges.FindLastIndex(r => r.Start <= start);
            if (i >= 0 && _ranges[i].End >= start)
            {
                _ranges[i] = (_ranges[i].Start, Math.Max(_ranges[i].End, end));
            }
            else
            {
                _ranges.Insert(++i, (start, end));
            }

            while (i + 1 < _ranges.Count && _ranges[i + 1].Start <= _ranges[i].End)
            {
                _ranges[i] = (_ranges[i].Start, Math.Max(_ranges[i].End, _ranges[i + 1].End));
                _ranges.RemoveAt(i + 1);
            }
        }
    }

    /// <summary>Forgets every written byte (the host ignored a Range header and sends the file from byte 0).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _ranges.Clear();
        }
    }

    /// <summary>
    /// Loads a state that fits this file (same hash and size, sane ranges), else null. Never follows a link and never
    /// reads more than <see cref="MaxFileBytes"/>. Reads version 1 states (fixed parts) too.
    /// </summary>
    public static DownloadResumeState? TryLoad(string path, string? sha256, long size)
    {
        try
        {
            var bytes = NoFollow.ReadSmall(path, MaxFileBytes);
            if (bytes is null)
            {
                return null;
            }

            var state = JsonSerializer.Deserialize<DownloadResumeState>(bytes, s_json);
            if (state is null || state.Size != size || !string.Equals(state.Sha256, sha256, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (state.Version == 1)
            {
                return FromParts(state);
            }

            return state.Version == 2 && state.IsSane() ? state : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or ModelIdeException)
        {
            return null;
        }
    }

    /// <summary>Converts a version 1 state (fixed parts, bytes done from each part's start) to written ranges.</summary>
    private static DownloadResumeState? FromParts(DownloadResumeState old)
    {
        if (old.PartSize is not > 0 || old.PartsDone is null || old.PartsDone.Length > MaxRanges
            || old.PartsDone.Length != (old.Size == 0 ? 1 : (old.Size + old.PartSize.Value - 1) / old.PartSize.Value))
        {
            return null;
        }

        var state = Create(old.Sha256, old.Size);
        for (var i = 0; i < old.PartsDone.Length; i++)
        {
            var start = i * old.PartSize.Value;
            var length = Math.Min(old.PartSize.Value, old.Size - start);
            if (old.PartsDone[i] < 0 || old.PartsDone[i] > length)
            {
                return null;
            }

            state.MarkWritten(start, start + old.PartsDone[i]);
        }

        return state;
    }

    private bool IsSane()
    {
        lock (_gate)
        {
            if (_ranges.Count > MaxRanges)
            {
                return false;
            }

            var at = 0L;
            foreach (var (start, end) in _ranges)
            {
                if (start < at || end <= start || end > Size)
                {
                    return false;
                }

                at = end + 1; // touching ranges are always merged
            }

            return true;
        }
    }

    /// <summary>
    /// Writes the state atomically (a new temp file, then rename) so a kill never leaves half a JSON. The temp file is
    /// created with O_EXCL under a random name and the rename replaces whatever entry is at <paramref name="path"/>, so
    /// neither step follows a link planted there.
    /// </summary>
    public void Save(string path)
    {
        // One lock around serialize + rename: concurrent writers must not replace a newer snapshot with an older one.
        lock (_gate)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(this, s_json);
            var tmp = $"{path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp";
            try
            {
                using (var handle = File.OpenHandle(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    RandomAccess.Write(handle, json, 0);
                }

                File.Move(tmp, path, overwrite: true);
            }
            catch (IOException)
            {
                // A full disk leaves an empty temp file behind; the previous state stays valid.
                try
                {
                    File.Delete(tmp);
                }
                catch (IOException)
                {
                }

                throw;
            }
        }
    }
}
