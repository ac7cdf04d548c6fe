using System.Globalization;
using ModelIde.Core.Sdk;

namespace ModelIde.Core.Downloads;

/// <summary>
/// What modelscope ≤ 1.37 recorded in a model folder it cached (hub/utils/caching.py): <c>.msc</c>, a pickled list of
/// <c>{"Path", "Revision"}</c> for every file it finished; <c>.mv</c>, <c>Revision:&lt;rev&gt;,CreatedAt:&lt;epoch&gt;</c>,
/// written when a snapshot download completed. Read without running pickle code.
/// </summary>
public sealed record OldSdkCacheRecord(string? SnapshotRevision, IReadOnlyList<(string Path, string? Commit)> Files)
{
    private static readonly RestrictedUnpickler s_reader = new([]);

    /// <summary>The record in <paramref name="folder"/>, or null when there is none (or it cannot be read).</summary>
    public static OldSdkCacheRecord? TryRead(string folder)
    {
        var msc = Path.Combine(folder, ".msc");
        var mv = Path.Combine(folder, ".mv");
        try
        {
            if (!File.Exists(msc) || new FileInfo(msc).Length > RestrictedUnpickler.MaxBytes)
            {
                return null;
            }

            if (s_reader.Load(File.ReadAllBytes(msc)) is not List<object?> entries)
            {
                return null;
            }

            var files = new List<(string, string?)>();
            foreach (var entry in entries)
            {
                if (entry is Dictionary<object, object?> d && d.TryGetValue("Path", out var p) && p is string path)
                {
                    files.Add((path, d.TryGetValue("Revision", out var r) ? r as string : null));
                }
            }

            return new OldSdkCacheRecord(File.Exists(mv) ? ParseRevision(File.ReadAllText(mv)) : null, files);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    // "Revision:master,CreatedAt:1789459200" (or a bare revision, which save_model_version also writes).
    private static string? ParseRevision(string text)
    {
        text = text.Trim();
        if (!text.StartsWith("Revision:", StringComparison.Ordinal))
        {
            return text.Length is > 0 and <= 200 && !text.Contains(',', StringComparison.Ordinal) ? text : null;
        }

        var end = text.IndexOf(",CreatedAt:", StringComparison.Ordinal);
        return (end < 0 ? text["Revision:".Length..] : text["Revision:".Length..end]).Trim();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"OldSdkCacheRecord({SnapshotRevision ?? "no snapshot"}, {Files.Count} files)");
}
