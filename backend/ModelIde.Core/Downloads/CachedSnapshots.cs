using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelIde.Core.Models;

namespace ModelIde.Core.Downloads;

/// <summary>A model's files as found in the cache without asking the hub; <see cref="Evidence"/> says why it counts as complete (or not).</summary>
public sealed record CachedSnapshot(string LocalPath, IReadOnlyList<string> Files, long Bytes, bool Complete, string Evidence);

/// <summary>
/// Serving a model from the cache when the hub is not to be asked (offline) or cannot be reached. A snapshot counts as
/// complete when ModelIde's own record of a finished download says so (kept in <c>&lt;root&gt;/.modelide/snapshots/</c>,
/// beside the SDK's <c>.lock</c>, so the SDK's folders stay as the SDK writes them) and every recorded file is there at
/// its size; or, for a folder modelscope ≤ 1.37 wrote, when its <c>.mv</c> names the revision (written when a snapshot
/// finished) and every file its <c>.msc</c> lists is there. A folder with neither (the new SDK keeps no record) is
/// served only when offline was asked for, and said to be unconfirmed.
/// </summary>
public sealed class CachedSnapshots(ModelCacheLayout cache)
{
    /// <summary>ModelIde's switch (the SDKs have <c>local_files_only</c> instead): 1, true, yes or on.</summary>
    public const string OfflineVariable = "MODELSCOPE_OFFLINE";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, TypeInfoResolver = DownloadsJsonContext.Default };

    public static bool IsOfflineRequested(Func<string, string?>? getEnvironment = null) =>
        (getEnvironment ?? Environment.GetEnvironmentVariable)(OfflineVariable)?.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    /// <summary>
    /// Offline: the cached snapshot a download would use, without asking the hub (not even to sign in); when it is not
    /// known to be complete, <paramref name="notice"/> says so and why. Throws NotFound when nothing is cached.
    /// </summary>
    public DownloadResult ServeOffline(ModelId id, string? revision, IReadOnlyList<string>? include, Action<string>? notice)
    {
        var rev = ModelId.ValidateRevision(revision);
        var found = Find(id, rev, include) ?? throw new ModelIdeException(ModelIdeErrorKind.NotFound,
            $"Offline, and {id}@{rev} is not in the cache at {cache.Root}. Download it while online, or turn offline off ({OfflineVariable}, --offline, the modelscope.offline setting).");
        notice?.Invoke(found.Complete
            ? $"Offline: using the cached {id}@{rev} in {found.LocalPath} without asking the hub ({found.Evidence})."
            : $"Offline: using the cached {id}@{rev} in {found.LocalPath} without asking the hub, but it may be incomplete: {found.Evidence}.");
        return Result(found);
    }

    /// <summary>
    /// Downloads as <see cref="ModelDownloader.DownloadAsync"/> does, except that when the hub cannot be reached a
    /// complete cached snapshot is used instead of failing, and <paramref name="notice"/> says so.
    /// </summary>
    public async Task<DownloadResult> DownloadOrUseCacheAsync(ModelDownloader downloader, ModelId id, string? revision, IReadOnlyList<string>? include,
        Action<DownloadProgress>? progress, Action<string>? notice, CancellationToken cancellationToken)
    {
        var rev = ModelId.ValidateRevision(revision);
        try
        {
            return await downloader.DownloadAsync(id, rev, include, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelIdeException ex) when (ex.Kind == ModelIdeErrorKind.Network && !cancellationToken.IsCancellationRequested
            && Find(id, rev, include) is { Complete: true } found)
        {
            notice?.Invoke($"The hub could not be reached ({ex.Message}); {id}@{rev} is complete in the cache ({found.Evidence}), so it is used as it is: {found.LocalPath}.");
            return Result(found);
        }
    }

    /// <summary>The cached snapshot a download of <paramref name="id"/> at <paramref name="revision"/> would use, or null when none is there.</summary>
    public CachedSnapshot? Find(ModelId id, string revision, IReadOnlyList<string>? include)
    {
        var folder = cache.ModelFolder(id, revision);
        var patterns = (include ?? []).Select(p => new IncludePattern(p)).ToArray();
        var present = PresentFiles(folder, patterns);
        if (present.Count == 0)
        {
            return null;
        }

        var bytes = present.Sum(p => new FileInfo(Path.Combine(folder, p)).Length);
        var manifest = ReadManifest(folder);
        if (manifest is not null && string.Equals(manifest.ModelId, id.ToString(), StringComparison.OrdinalIgnoreCase) && manifest.Revision == revision)
        {
            var covered = manifest.Full || manifest.Includes.Any(set => set.Order(StringComparer.Ordinal).SequenceEqual((include ?? []).Order(StringComparer.Ordinal)));
            var required = manifest.Files.Where(f => IncludePattern.AnyMatch(patterns, f.Path)).ToList();
            var missing = required.Where(f => !File.Exists(Path.Combine(folder, f.Path)) || new FileInfo(Path.Combine(folder, f.Path)).Length != f.Size).Select(f => f.Path).ToList();
            var when = manifest.WrittenAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            return missing.Count == 0 && covered && required.Count > 0
                ? new CachedSnapshot(folder, present, bytes, true, $"ModelIde downloaded all {required.Count} files of {revision} on {when} UTC")
                : new CachedSnapshot(folder, present, bytes, false, missing.Count > 0
                    ? $"{missing.Count} of the {required.Count} files ModelIde downloaded on {when} UTC are missing or changed size ({string.Join(", ", missing.Take(3))})"
                    : "ModelIde downloaded other files of it than these");
        }

        if (OldSdkCacheRecord.TryRead(folder) is { SnapshotRevision: { } sdkRevision } record && sdkRevision == revision)
        {
            var listed = record.Files.Where(f => IncludePattern.AnyMatch(patterns, f.Path)).ToList();
            var missing = listed.Where(f => !File.Exists(Path.Combine(folder, f.Path))).Select(f => f.Path).ToList();
            return missing.Count == 0 && listed.Count > 0
                ? new CachedSnapshot(folder, present, bytes, true, $"the ModelScope SDK finished a snapshot of {revision} here (.mv) and recorded its {listed.Count} files (.msc)")
                : new CachedSnapshot(folder, present, bytes, false, $"{missing.Count} of the {listed.Count} files the ModelScope SDK recorded (.msc) are missing");
        }

        return new CachedSnapshot(folder, present, bytes, false, $"{present.Count} files are there, but nothing records that the snapshot of {revision} is complete");
    }

    /// <summary>Records a finished download (called by the downloader); a failure to write the record never fails the download.</summary>
    public void Record(ModelId id, string revision, string folder, IReadOnlyList<RepoFile> files, IReadOnlyList<string>? include)
    {
        try
        {
            var existing = ReadManifest(folder);
            var byPath = new SortedDictionary<string, ManifestFile>(StringComparer.Ordinal);
            var includes = new List<List<string>>();
            var full = include is not { Count: > 0 };
            if (existing is not null && string.Equals(existing.ModelId, id.ToString(), StringComparison.OrdinalIgnoreCase) && existing.Revision == revision)
            {
                existing.Files.ForEach(f => byPath[f.Path] = f);
                includes.AddRange(existing.Includes);
                full |= existing.Full;
            }

            foreach (var f in files)
            {
                byPath[f.Path] = new ManifestFile(f.Path, f.Size, f.Sha256);
            }

            if (include is { Count: > 0 })
            {
                includes.Add([.. include]);
            }

            var manifest = new SnapshotManifest(id.ToString(), revision, Relative(folder), full, includes, [.. byPath.Values], DateTimeOffset.UtcNow);
            var path = ManifestPath(folder);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(manifest, s_json));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only offline use loses: the next online download writes it again.
        }
    }

    private static List<string> PresentFiles(string folder, IncludePattern[] patterns)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        // The SDK's and ModelIde's bookkeeping are not model files: dot files at the top (.msc, .mdl, .mv), partial files
        // (the SDK's .incomplete, ModelIde's .modelide-partial[~N][.json]).
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return [.. Directory.EnumerateFiles(folder, "*", options)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(p => !p.StartsWith('.') && !p.StartsWith("._____temp/", StringComparison.Ordinal)
                && !p.EndsWith(ModelCacheLayout.IncompleteSuffix, StringComparison.Ordinal) && !p.Contains(ModelCacheLayout.IncompleteSuffix + ".", StringComparison.Ordinal)
                && !Path.GetFileName(p).Contains(PartialFile.Suffix, StringComparison.Ordinal))
            .Where(p => IncludePattern.AnyMatch(patterns, p))
            .Order(StringComparer.Ordinal)];
    }

    private SnapshotManifest? ReadManifest(string folder)
    {
        var path = ManifestPath(folder);
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > 64L << 20)
            {
                return null;
            }

            var manifest = JsonSerializer.Deserialize<SnapshotManifest>(File.ReadAllText(path), s_json);
            return manifest is not null && manifest.Folder == Relative(folder) && manifest.Files is not null && manifest.Includes is not null ? manifest : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private string Relative(string folder) => Path.GetRelativePath(cache.Root, folder).Replace('\\', '/');

    private string ManifestPath(string folder) =>
        Path.Combine(cache.Root, ".modelide", "snapshots", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Relative(folder))))[..32] + ".json");

    private static DownloadResult Result(CachedSnapshot found) => new(found.LocalPath, found.Files.Count, found.Bytes, 0, found.Files);

    internal sealed record ManifestFile(string Path, long Size, string? Sha256);

    internal sealed record SnapshotManifest(string ModelId, string Revision, string Folder, bool Full, List<List<string>> Includes, List<ManifestFile> Files, DateTimeOffset WrittenAt);
}
