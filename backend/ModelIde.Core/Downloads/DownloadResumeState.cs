using System.Text.Json;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Which byte ranges of a <c>.incomplete</c> file are already on disk, kept next to it as a small JSON file so a
/// download resumes after a cancel, a cut connection or a killed process. Bytes are written before the state
/// that counts them, so the state never claims more than the file holds.
/// </summary>
public sealed class DownloadResumeState
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };
    private readonly Lock _gate = new();

    public int Version { get; set; } = 1;

    public string? Sha256 { get; set; }

    public long Size { get; set; }

    public long PartSize { get; set; }

    /// <summary>Bytes written from the start of each part.</summary>
    public long[] PartsDone { get; set; } = [];

    public static DownloadResumeState Create(string? sha256, long size, long partSize)
    {
        var parts = size == 0 ? 1 : (int)((size + partSize - 1) / partSize);
        return new DownloadResumeState { Sha256 = sha256, Size = size, PartSize = partSize, PartsDone = new long[parts] };
    }

    public int PartCount => PartsDone.Length;

    public long PartStart(int part) => part * PartSize;

    public long PartLength(int part) => Math.Min(PartSize, Size - PartStart(part));

    [System.Text.Json.Serialization.JsonIgnore]
    public long BytesDone
    {
        get
        {
            lock (_gate)
            {
                return PartsDone.Sum();
            }
        }
    }

    /// <summary>Bytes on disk without a gap from the start of the file (whole parts, then the first unfinished one's prefix).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long ContiguousBytes
    {
        get
        {
            lock (_gate)
            {
                var bytes = 0L;
                for (var i = 0; i < PartsDone.Length; i++)
                {
                    bytes += PartsDone[i];
                    if (PartsDone[i] < PartLength(i))
                    {
                        break;
                    }
                }

                return bytes;
            }
        }
    }

    public void SetDone(int part, long done)
    {
        lock (_gate)
        {
            PartsDone[part] = done;
        }
    }

    /// <summary>Loads a state that fits this file (same hash, size and part plan), else null.</summary>
    public static DownloadResumeState? TryLoad(string path, string? sha256, long size, long partSize)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var state = JsonSerializer.Deserialize<DownloadResumeState>(File.ReadAllText(path), s_json);
            if (state is null || state.Version != 1 || state.Size != size || state.PartSize != partSize
                || !string.Equals(state.Sha256, sha256, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var expected = Create(sha256, size, partSize);
            if (state.PartsDone.Length != expected.PartsDone.Length)
            {
                return null;
            }

            for (var i = 0; i < state.PartsDone.Length; i++)
            {
                if (state.PartsDone[i] < 0 || state.PartsDone[i] > expected.PartLength(i))
                {
                    return null;
                }
            }

            return state;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the state atomically (temp file, then rename) so a kill never leaves half a JSON.</summary>
    public void Save(string path)
    {
        // One lock around serialize + rename: concurrent parts must not replace a newer snapshot with an older one.
        lock (_gate)
        {
            var tmp = path + "." + Environment.ProcessId + ".tmp";
            try
            {
                File.WriteAllText(tmp, JsonSerializer.Serialize(this, s_json));
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
