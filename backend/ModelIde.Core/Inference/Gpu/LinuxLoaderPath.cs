using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>
/// What the Linux dynamic loader would find by name: /etc/ld.so.cache (the table ldconfig writes and dlopen reads)
/// and, for libraries installed after the last ldconfig, the folders /etc/ld.so.conf lists.
/// </summary>
public static class LinuxLoaderPath
{
    private const string NewMagic = "glibc-ld.so.cache1.1";
    private const string OldMagic = "ld.so-1.7.0";

    /// <summary>Library file name to path, for this process's architecture, first entry wins (as in dlopen).</summary>
    public static IReadOnlyDictionary<string, string> ReadCache(string cacheFile)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        byte[] data;
        try
        {
            data = File.ReadAllBytes(cacheFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return result;
        }

        var start = FindNewFormat(data);
        if (start < 0 || data.Length < start + 48)
        {
            return result;
        }

        // struct cache_file_new (glibc sysdeps/generic/dl-cache.h): magic[17] version[3] nlibs len_strings flags
        // pad[3] extension_offset unused[3], then nlibs entries {int32 flags; uint32 key, value; uint32 osversion; uint64 hwcap}.
        var count = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(start + 20));
        var wanted = ArchitectureFlag();
        for (var i = 0L; i < count; i++)
        {
            var entry = start + 48 + (i * 24);
            if (entry + 24 > data.Length)
            {
                break;
            }

            var flags = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan((int)entry));
            if (wanted is { } arch && (flags & 0xff00) != arch)
            {
                continue;
            }

            var key = CString(data, start + (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)entry + 4)));
            var value = CString(data, start + (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)entry + 8)));
            if (key is not null && value is not null)
            {
                result.TryAdd(key, value);
            }
        }

        return result;
    }

    /// <summary>The folders /etc/ld.so.conf names, following its include lines (globs of files) one level at a time.</summary>
    public static IReadOnlyList<string> ReadConfigFolders(string confFile, string root)
    {
        var folders = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>();
        pending.Enqueue(confFile);
        while (pending.Count > 0 && seen.Count < 256)
        {
            var file = pending.Dequeue();
            if (!seen.Add(file) || !File.Exists(file))
            {
                continue;
            }

            foreach (var raw in File.ReadLines(file))
            {
                var line = raw.Split('#')[0].Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                if (line.StartsWith("include", StringComparison.Ordinal) && line.Length > 7 && char.IsWhiteSpace(line[7]))
                {
                    var pattern = line[8..].Trim();
                    var full = pattern.StartsWith('/') ? Under(root, pattern) : Path.Combine(Path.GetDirectoryName(file)!, pattern);
                    var dir = Path.GetDirectoryName(full)!;
                    if (Directory.Exists(dir))
                    {
                        foreach (var included in Directory.GetFiles(dir, Path.GetFileName(full)).Order(StringComparer.Ordinal))
                        {
                            pending.Enqueue(included);
                        }
                    }

                    continue;
                }

                if (line.StartsWith('/'))
                {
                    folders.Add(Under(root, line));
                }
            }
        }

        return folders;
    }

    /// <summary>An absolute path inside <paramref name="root"/> ("/" on a real machine, a fabricated tree in tests).</summary>
    public static string Under(string root, string absolute) =>
        root == "/" ? absolute : Path.Combine(root, absolute.TrimStart('/'));

    private static int FindNewFormat(byte[] data)
    {
        if (StartsWith(data, 0, NewMagic))
        {
            return 0;
        }

        if (!StartsWith(data, 0, OldMagic) || data.Length < 16)
        {
            return -1;
        }

        // Old format first (glibc < 2.32 wrote both): 16-byte header, 12-byte entries, then the new table 8-aligned.
        var oldCount = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(12));
        var offset = 16L + (oldCount * 12);
        offset = (offset + 7) & ~7L;
        return offset < data.Length && StartsWith(data, (int)offset, NewMagic) ? (int)offset : -1;
    }

    // FLAG_X8664_LIB64 = 0x0300, FLAG_AARCH64_LIB64 = 0x0a00 (glibc dl-cache.h); a 32-bit libcuda.so.1 must not win.
    private static int? ArchitectureFlag() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x0300,
        Architecture.Arm64 => 0x0a00,
        _ => null,
    };

    private static bool StartsWith(byte[] data, int at, string magic) =>
        data.Length >= at + magic.Length && Encoding.ASCII.GetString(data, at, magic.Length) == magic;

    private static string? CString(byte[] data, int at)
    {
        if (at < 0 || at >= data.Length)
        {
            return null;
        }

        var end = Array.IndexOf(data, (byte)0, at);
        return end < 0 ? null : Encoding.UTF8.GetString(data, at, end - at);
    }
}
