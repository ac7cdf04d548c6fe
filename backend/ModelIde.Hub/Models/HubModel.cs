namespace ModelIde.Hub.Models;

/// <summary>
/// One file of one revision. <see cref="Open"/> gives its bytes (from disk or memory); <see cref="CommitId"/> is the
/// commit that last changed it. An LFS file is a pointer in git and its bytes come from the blob host.
/// </summary>
public sealed record HubFile(string Path, long Size, string Sha256, string CommitId, string CommitMessage, DateTimeOffset CommittedAt, Func<Stream> Open)
{
    public string Name => Path[(Path.LastIndexOf('/') + 1)..];

    public bool IsLfs { get; init; }
}

/// <summary>A branch or tag with the files it holds; <see cref="CommitId"/> is its git commit (for folder models, the one git serves).</summary>
public sealed record HubRevision(string Name, bool IsTag, string CommitId, DateTimeOffset CreatedAt, IReadOnlyList<HubFile> Files)
{
    /// <summary>The commit's message.</summary>
    public string Message { get; init; } = $"Revision {Name}";

    public HubFile? Find(string path) => Files.FirstOrDefault(f => string.Equals(f.Path, path, StringComparison.Ordinal));
}

public sealed class HubModel
{
    public required string Owner { get; init; }
    public required string Name { get; init; }
    public string Id => $"{Owner}/{Name}";
    public required long NumericId { get; init; }
    public required string DisplayName { get; init; }
    public string ChineseName { get; init; } = "";
    public required string Description { get; init; }
    public required string License { get; init; }
    public required string Library { get; init; }
    public required string ModelType { get; init; }
    public required IReadOnlyList<string> Tasks { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required long Downloads { get; init; }
    public required long Likes { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset LastModified { get; init; }
    public bool Private { get; init; }
    public bool Gated { get; init; }
    public string? ReadMe { get; init; }

    /// <summary>Branches and tags; metadata-only models have one empty <c>master</c>.</summary>
    public required IReadOnlyList<HubRevision> Revisions { get; init; }

    /// <summary>Whether files come from a folder (and so a git repository can be built).</summary>
    public bool HasContent { get; init; }

    public long FileSize => Revision("master")?.Files.Sum(f => f.Size) ?? 0;

    public HubRevision? Revision(string? name)
    {
        var wanted = string.IsNullOrEmpty(name) ? "master" : name;
        return Revisions.FirstOrDefault(r => r.Name == wanted || r.CommitId == wanted
            || (wanted.Length >= 7 && r.CommitId.StartsWith(wanted, StringComparison.OrdinalIgnoreCase)));
    }

    public string ReadMeContent => ReadMe ?? $"# {DisplayName}\n\n{Description}\n";
}
