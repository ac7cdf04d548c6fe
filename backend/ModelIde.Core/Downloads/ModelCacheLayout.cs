using ModelIde.Core.Models;

namespace ModelIde.Core.Downloads;

/// <summary>A model as found in the cache.</summary>
public sealed record CachedModel(string ModelId, string? Revision, string LocalPath, long Bytes);

/// <summary>
/// Where downloads go, shared with the Python SDK (docs/modelscope-api.md §3): an existing legacy folder is reused,
/// else <c>&lt;root&gt;/models/&lt;owner&gt;--&lt;name&gt;/snapshots/&lt;revision&gt;/</c>. Locks live in <c>&lt;root&gt;/.lock/</c>.
/// The SDK joins owner and name with <c>--</c> unescaped, so an id with <c>--</c> in a part would share a folder with
/// another id (<c>a/b--c</c> and <c>a--b/c</c> are both <c>a--b--c</c>): such ids are refused, not escaped, because an
/// escaped name would be a folder the SDK never looks in.
/// </summary>
public sealed class ModelCacheLayout
{
    public const string IncompleteSuffix = ".incomplete";
    public const string ResumeStateSuffix = ".incomplete.parts.json";

    public ModelCacheLayout(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>--cache-dir, else MODELSCOPE_CACHE, else ~/.cache/modelscope.</summary>
    public static ModelCacheLayout Resolve(string? cacheDir)
    {
        if (!string.IsNullOrWhiteSpace(cacheDir))
        {
            return new ModelCacheLayout(cacheDir);
        }

        var env = Environment.GetEnvironmentVariable("MODELSCOPE_CACHE");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return new ModelCacheLayout(env);
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new ModelCacheLayout(Path.Combine(home, ".cache", "modelscope"));
    }

    /// <summary>The legacy SDK masks dots in the name: <c>Qwen2.5</c> → <c>Qwen2___5</c>.</summary>
    public static string MaskName(string name) => name.Replace(".", "___", StringComparison.Ordinal);

    /// <summary>
    /// Folders older SDKs wrote <paramref name="id"/> to, in the order they are probed: the two the new SDK checks
    /// (<c>models/</c> before <c>hub/models/</c>: MODELSCOPE_CACHE, then the old default root), then the legacy SDK's
    /// explicit <c>cache_dir=</c> form (<c>&lt;root&gt;/&lt;owner&gt;/&lt;masked&gt;</c>) and the pre-<c>models/</c> form
    /// (<c>hub/&lt;owner&gt;/&lt;masked&gt;</c>) that modelscope 1.x moves into place on first use.
    /// </summary>
    public IEnumerable<string> LegacyFolders(ModelId id)
    {
        // The old SDK wrote "x/a.b" to "a___b", which is also where "x/a___b" would be (its .mdl records the masked
        // name, so it cannot tell them apart): a name with "___" never takes over such a folder.
        if (id.Name.Contains("___", StringComparison.Ordinal))
        {
            yield break;
        }

        var masked = MaskName(id.Name);
        yield return Path.Combine(Root, "models", id.Owner, masked);
        yield return Path.Combine(Root, "hub", "models", id.Owner, masked);
        // An owner named like a layout folder would make these the layout's own folders.
        if (!s_layoutFolderNames.Contains(id.Owner))
        {
            yield return Path.Combine(Root, id.Owner, masked);
            yield return Path.Combine(Root, "hub", id.Owner, masked);
        }
    }

    private static readonly HashSet<string> s_layoutFolderNames = new(StringComparer.OrdinalIgnoreCase) { "models", "datasets", "hub" };

    /// <summary>The new layout's folder name for <paramref name="id"/> (<c>owner--name</c>); refused when another id has the same one.</summary>
    public static string RepoFolderName(ModelId id)
    {
        var joined = $"{id.Owner}--{id.Name}";
        if (id.Owner.Contains("--", StringComparison.Ordinal) || id.Name.Contains("--", StringComparison.Ordinal))
        {
            var other = OtherIdsWithFolder(joined).FirstOrDefault(o => !string.Equals(o, id.ToString(), StringComparison.OrdinalIgnoreCase));
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"{id} cannot be kept in the ModelScope cache: the SDK's folder for it, 'models/{joined}', is also the folder of {other ?? "another model"}, " +
                "and two models must not share one folder. Nothing was written; `modelide clone` gets its files into a folder of your choice.");
        }

        return joined;
    }

    private static IEnumerable<string> OtherIdsWithFolder(string joined)
    {
        for (var at = joined.IndexOf("--", StringComparison.Ordinal); at >= 0; at = joined.IndexOf("--", at + 1, StringComparison.Ordinal))
        {
            if (ModelId.TryParse($"{joined[..at]}/{joined[(at + 2)..]}", out var other, out _))
            {
                yield return other.ToString();
            }
        }
    }

    public string SnapshotFolder(ModelId id, string revision) =>
        Path.Combine([Root, "models", RepoFolderName(id), "snapshots", .. ModelId.ValidateRevision(revision).Split('/')]);

    /// <summary>The folder a download of <paramref name="id"/> writes to: a non-empty legacy folder, else the snapshot folder.</summary>
    public string ModelFolder(ModelId id, string revision)
    {
        foreach (var legacy in LegacyFolders(id))
        {
            if (Directory.Exists(legacy) && Directory.EnumerateFileSystemEntries(legacy).Any())
            {
                return legacy;
            }
        }

        return SnapshotFolder(id, revision);
    }

    /// <summary>The SDK's lock name: <c>model_&lt;owner&gt;___&lt;name&gt;_&lt;path, '/' → '___', '.' → '_'&gt;.lock</c>.</summary>
    public string LockFile(ModelId id, string repoPath)
    {
        var masked = repoPath.Replace("/", "___", StringComparison.Ordinal).Replace(".", "_", StringComparison.Ordinal);
        var name = $"model_{id.Owner}___{id.Name}_{masked}";
        if (name.Length > 200)
        {
            // Keep lock names within file-name limits; the hash keeps them distinct.
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..16];
            name = name[..180] + "_" + hash;
        }

        return Path.Combine(Root, ".lock", name + ".lock");
    }

    /// <summary>
    /// Models in this cache, every layout: the new <c>models/&lt;owner&gt;--&lt;name&gt;/snapshots/&lt;rev&gt;</c>, the old
    /// <c>models/</c> and <c>hub/models/</c> owner folders, and the old SDK's <c>cache_dir=</c> and pre-<c>models/</c>
    /// folders (at the root and under <c>hub/</c>), which count only with the SDK's <c>.mdl</c> record in them.
    /// </summary>
    public IReadOnlyList<CachedModel> ListCached()
    {
        var result = new List<CachedModel>();
        var modelsDir = Path.Combine(Root, "models");
        if (Directory.Exists(modelsDir))
        {
            foreach (var dir in Directory.EnumerateDirectories(modelsDir))
            {
                var name = Path.GetFileName(dir);
                var sep = name.IndexOf("--", StringComparison.Ordinal);
                if (sep > 0)
                {
                    var snapshots = Path.Combine(dir, "snapshots");
                    if (!Directory.Exists(snapshots))
                    {
                        continue;
                    }

                    var id = $"{name[..sep]}/{name[(sep + 2)..]}";
                    foreach (var rev in Directory.EnumerateDirectories(snapshots))
                    {
                        result.Add(new CachedModel(id, Path.GetFileName(rev), rev, FolderBytes(rev)));
                    }
                }
                else if (!name.StartsWith('.'))
                {
                    AddLegacy(result, dir, requireRecord: false);
                }
            }
        }

        foreach (var (parent, requireRecord) in new[] { (Path.Combine(Root, "hub", "models"), false), (Root, true), (Path.Combine(Root, "hub"), true) })
        {
            if (!Directory.Exists(parent))
            {
                continue;
            }

            foreach (var ownerDir in Directory.EnumerateDirectories(parent))
            {
                var owner = Path.GetFileName(ownerDir);
                if (!owner.StartsWith('.') && !(requireRecord && s_layoutFolderNames.Contains(owner)))
                {
                    AddLegacy(result, ownerDir, requireRecord);
                }
            }
        }

        return result.OrderBy(m => m.ModelId, StringComparer.OrdinalIgnoreCase).ThenBy(m => m.Revision, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Deletes one revision (or all) of a model from the cache; returns the folders removed.</summary>
    public IReadOnlyList<string> Delete(ModelId id, string? revision)
    {
        var deleted = new List<string>();
        var modelDir = Path.Combine(Root, "models", RepoFolderName(id));
        var target = revision is null ? modelDir : SnapshotFolder(id, revision);
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
            deleted.Add(target);
        }

        if (revision is null)
        {
            foreach (var legacy in LegacyFolders(id))
            {
                // Outside models/ a folder is the SDK's only with its .mdl record (as ListCached lists them).
                var underModels = legacy.StartsWith(Path.Combine(Root, "models") + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                    || legacy.StartsWith(Path.Combine(Root, "hub", "models") + Path.DirectorySeparatorChar, StringComparison.Ordinal);
                if (Directory.Exists(legacy) && (underModels || File.Exists(Path.Combine(legacy, ".mdl"))))
                {
                    Directory.Delete(legacy, recursive: true);
                    deleted.Add(legacy);
                }

                // The legacy SDK also leaves a symlink named with the unmasked name.
                var link = Path.Combine(Path.GetDirectoryName(legacy)!, id.Name);
                if (link != legacy && new FileInfo(link).LinkTarget is not null)
                {
                    File.Delete(link);
                    deleted.Add(link);
                }
            }
        }

        return deleted;
    }

    private static void AddLegacy(List<CachedModel> result, string ownerDir, bool requireRecord)
    {
        var owner = Path.GetFileName(ownerDir);
        foreach (var modelDir in Directory.EnumerateDirectories(ownerDir))
        {
            var info = new DirectoryInfo(modelDir);
            if (info.LinkTarget is not null || info.Name.StartsWith('.') || (requireRecord && !File.Exists(Path.Combine(modelDir, ".mdl"))))
            {
                continue;
            }

            var name = info.Name.Replace("___", ".", StringComparison.Ordinal);
            result.Add(new CachedModel($"{owner}/{name}", null, modelDir, FolderBytes(modelDir)));
        }
    }

    private static long FolderBytes(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(f => !f.Name.EndsWith(IncompleteSuffix, StringComparison.Ordinal))
            .Sum(f => f.Length);
}
