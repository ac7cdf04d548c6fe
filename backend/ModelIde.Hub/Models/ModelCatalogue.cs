using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ModelIde.Hub.Git;

namespace ModelIde.Hub.Models;

/// <summary>All models the hub serves: folder-backed models, one private model and a generated metadata-only catalogue.</summary>
public sealed class ModelCatalogue
{
    public const string ContentOwner = "modelide";
    public const string PrivateModelId = "demo/private-notes";

    // Fixed commit dates keep revisions (and the git history built from them) reproducible.
    private static readonly DateTimeOffset s_v1Date = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_masterDate = new(2026, 9, 15, 8, 0, 0, TimeSpan.Zero);
    private static readonly ConcurrentDictionary<string, string> s_hashCache = new(StringComparer.Ordinal);

    private readonly Dictionary<string, HubModel> _byId;
    private readonly ConcurrentDictionary<string, IReadOnlyList<HubModel>> _sorted = new(StringComparer.Ordinal);

    private ModelCatalogue(List<HubModel> models)
    {
        All = models;
        _byId = models.ToDictionary(m => m.Id, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>In default order: content models first, then the generated catalogue.</summary>
    public IReadOnlyList<HubModel> All { get; }

    /// <summary>
    /// Every model in the order of a search sort key (downloads, likes, last_modified; anything else: default order),
    /// ties broken on the id so paging is stable. Sorted once per key: the catalogue never changes after it is built,
    /// and a search then only filters, which keeps a page of 10,000 models a filter pass instead of a sort.
    /// </summary>
    public IReadOnlyList<HubModel> SortedBy(string sort) => sort switch
    {
        "downloads" => _sorted.GetOrAdd(sort, _ => All.OrderByDescending(m => m.Downloads).ThenBy(m => m.Id, StringComparer.Ordinal).ToArray()),
        "likes" => _sorted.GetOrAdd(sort, _ => All.OrderByDescending(m => m.Likes).ThenBy(m => m.Id, StringComparer.Ordinal).ToArray()),
        "last_modified" => _sorted.GetOrAdd(sort, _ => All.OrderByDescending(m => m.LastModified).ThenBy(m => m.Id, StringComparer.Ordinal).ToArray()),
        _ => All,
    };

    public HubModel? Find(string owner, string name) => _byId.GetValueOrDefault($"{owner}/{name}");

    public static ModelCatalogue Build(string? modelsDirectory, int generatedCount)
    {
        var models = new List<HubModel>();
        long id = 1;
        if (modelsDirectory is not null && Directory.Exists(modelsDirectory))
        {
            foreach (var dir in Directory.GetDirectories(modelsDirectory).Order(StringComparer.Ordinal))
            {
                models.Add(FolderModel(dir, id++));
            }
        }

        models.Add(PrivateModel(id++));
        models.AddRange(CatalogueGenerator.Generate(generatedCount, id));
        return new ModelCatalogue(models);
    }

    /// <summary>
    /// Finds the repository's <c>models/</c> folder by walking up from the application folder (preferring the folder
    /// beside <c>ModelIde.sln</c>; else the nearest <c>models/</c> that holds a model folder).
    /// </summary>
    public static string? FindModelsDirectory()
    {
        string? fallback = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models");
            if (!Directory.Exists(candidate))
            {
                continue;
            }

            if (File.Exists(Path.Combine(dir.FullName, "ModelIde.sln")))
            {
                return candidate;
            }

            if (fallback is null && Directory.EnumerateDirectories(candidate).Any(d => File.Exists(Path.Combine(d, "config.json"))))
            {
                fallback = candidate;
            }
        }

        return fallback;
    }

    private static HubModel FolderModel(string dir, long numericId)
    {
        var name = Path.GetFileName(dir);
        var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/'))
            .Where(p => !p.StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var readMePath = Path.Combine(dir, "README.md");
        var readMe = File.Exists(readMePath) ? File.ReadAllText(readMePath) : $"# {name}\n";
        // v1.0 is the same tree with an older README: one file differs between the two revisions.
        var oldReadMe = Encoding.UTF8.GetBytes(readMe.Replace($"# {name}", $"# {name} (v1.0)", StringComparison.Ordinal)
            + "\n_Release v1.0: first public release._\n");

        var masterFiles = new List<GitFileContent>();
        var v1Files = new List<GitFileContent>();
        foreach (var path in files)
        {
            var full = Path.Combine(dir, path);
            var info = new FileInfo(full);
            var content = new GitFileContent(path, info.Length, HashFile(info), GitLfs.IsLfs(path, info.Length),
                () => new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));
            masterFiles.Add(content);
            v1Files.Add(path == "README.md" ? InMemory("README.md", oldReadMe) : content);
        }

        if (!files.Contains("README.md"))
        {
            v1Files.Add(InMemory("README.md", oldReadMe));
        }

        // Like a repository created on the hub: a .gitattributes sends weights to LFS (listed, as the real hub lists it).
        if (GitLfs.Attributes(masterFiles.Select(f => (f.Path, f.Size))) is { } attributes)
        {
            masterFiles.Add(InMemory(GitLfs.AttributesPath, attributes));
            v1Files.Add(InMemory(GitLfs.AttributesPath, attributes));
        }

        var revisions = History(
        [
            new GitRevisionContent("v1.0", true, s_v1Date, "Initial release", v1Files),
            new GitRevisionContent("master", false, s_masterDate, "Update README", masterFiles),
        ]);

        return new HubModel
        {
            Owner = ContentOwner,
            Name = name,
            NumericId = numericId,
            DisplayName = name,
            ChineseName = name,
            Description = FirstParagraph(readMe) ?? $"{name}, served from the local models folder.",
            License = "apache-2.0",
            Library = files.Any(f => f.EndsWith(".onnx", StringComparison.Ordinal)) ? "onnx" : "transformers",
            ModelType = "qwen2",
            Tasks = ["text-generation"],
            Tags = ["onnx", "qwen2", "code", "python"],
            Downloads = 1234,
            Likes = 56,
            CreatedAt = s_v1Date,
            LastModified = s_masterDate,
            ReadMe = readMe,
            HasContent = true,
            Revisions = [revisions[1], revisions[0]],
        };
    }

    private static HubModel PrivateModel(long numericId)
    {
        var readMe = "# private-notes\n\nPrivate notes of the demo user: visible only with demo's token.\n";
        var entries = new List<(string Path, byte[] Bytes)>
        {
            ("README.md", Encoding.UTF8.GetBytes(readMe)),
            ("notes.txt", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 200).Select(i => $"note {i}: remember to check shard {i % 7}\n")))),
            ("data/train.jsonl", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 100).Select(i => $"{{\"prompt\": \"q{i}\", \"response\": \"a{i}\"}}\n")))),
            // An LFS file in a private repository: git-lfs must authenticate to the batch API (with the git token).
            ("weights/notes-embedding.bin", Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 251)).ToArray()),
        };
        var files = entries.Select(e => InMemory(e.Path, e.Bytes)).ToList();
        files.Add(InMemory(GitLfs.AttributesPath, GitLfs.Attributes(files.Select(f => (f.Path, f.Size)))!));
        var revisions = History([new GitRevisionContent("master", false, s_masterDate, "Add notes", files)]);
        return new HubModel
        {
            Owner = "demo",
            Name = "private-notes",
            NumericId = numericId,
            DisplayName = "private-notes",
            Description = "Private notes of the demo user.",
            License = "other",
            Library = "other",
            ModelType = "other",
            Tasks = ["text-generation"],
            Tags = ["private"],
            Downloads = 3,
            Likes = 0,
            CreatedAt = s_v1Date,
            LastModified = s_masterDate,
            Private = true,
            ReadMe = readMe,
            HasContent = true,
            Revisions = revisions,
        };
    }

    /// <summary>The revisions (oldest first) as the hub serves them: git commit ids, each file's last-changing commit.</summary>
    private static IReadOnlyList<HubRevision> History(IReadOnlyList<GitRevisionContent> revisions)
    {
        var commits = GitHistory.Build(revisions);
        return revisions.Select((revision, i) => new HubRevision(revision.Name, revision.IsTag, commits[i].CommitId, revision.Date,
            revision.Files.Select(f =>
            {
                var by = commits[i].LastChangedBy[f.Path];
                return new HubFile(f.Path, f.Size, f.Sha256, commits[by].CommitId, revisions[by].Message, revisions[by].Date, f.Open) { IsLfs = f.IsLfs };
            }).ToList())
        {
            Message = revision.Message,
        }).ToList();
    }

    private static GitFileContent InMemory(string path, byte[] bytes) =>
        new(path, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), GitLfs.IsLfs(path, bytes.Length), () => new MemoryStream(bytes, false));

    /// <summary>A stable stand-in commit id for models with no files (the generated catalogue), which git never serves.</summary>
    internal static string CommitId(string seed) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(seed)));

    private static string HashFile(FileInfo info)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}");
        return s_hashCache.GetOrAdd(key, _ =>
        {
            using var stream = info.OpenRead();
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }

    private static string? FirstParagraph(string markdown) =>
        markdown.Split("\n\n").Select(p => p.Trim()).FirstOrDefault(p => p.Length > 0 && !p.StartsWith('#'))?.ReplaceLineEndings(" ");
}
