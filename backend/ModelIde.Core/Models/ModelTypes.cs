namespace ModelIde.Core.Models;

/// <summary>Sort orders the hub's model list knows (<c>sort=</c> value in brackets).</summary>
public enum ModelSort
{
    /// <summary><c>default</c></summary>
    Default,
    /// <summary><c>downloads</c></summary>
    Downloads,
    /// <summary><c>likes</c></summary>
    Likes,
    /// <summary><c>last_modified</c></summary>
    LastModified,
}

public sealed record ModelSearchQuery
{
    public string? Search { get; init; }

    public string? Owner { get; init; }

    public ModelSort Sort { get; init; } = ModelSort.Default;

    public string? Task { get; init; }

    public string? License { get; init; }

    /// <summary>1-based.</summary>
    public int PageNumber { get; init; } = 1;

    public int PageSize { get; init; } = 20;
}

public sealed record ModelSummary(
    string Id,
    string? DisplayName,
    string? Description,
    long Downloads,
    long Likes,
    string? License,
    IReadOnlyList<string> Tasks,
    bool Private,
    bool Gated,
    long? FileSize,
    DateTimeOffset? LastModified);

public sealed record ModelSearchPage(IReadOnlyList<ModelSummary> Models, long TotalCount, int PageNumber, int PageSize);

public sealed record ModelDetail(ModelSummary Summary, string? Readme, IReadOnlyList<string> Tags, IReadOnlyList<string> Revisions);

/// <summary>One entry of a repository listing. <see cref="Path"/> is as the server sent it: validate before use.</summary>
public sealed record RepoFile(string Path, string Name, bool IsDirectory, long Size, string? Sha256, string? Revision, bool IsLfs);

public sealed record ModelRevision(string Name, bool IsTag, DateTimeOffset? CreatedAt);
