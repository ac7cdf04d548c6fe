namespace ModelIde.Core.Models;

// ModelSortKind and ModelSummary are the contract's (ModelIde.Protocol); these are what only Core uses.

public sealed record ModelSearchQuery
{
    public string? Search { get; init; }

    public string? Owner { get; init; }

    public ModelSortKind Sort { get; init; } = ModelSortKind.Default;

    public string? Task { get; init; }

    public string? License { get; init; }

    /// <summary>1-based.</summary>
    public int PageNumber { get; init; } = 1;

    public int PageSize { get; init; } = 20;
}

public sealed record ModelSearchPage(IReadOnlyList<ModelSummary> Models, long TotalCount, int PageNumber, int PageSize);

public sealed record ModelDetail(ModelSummary Summary, string? Readme, IReadOnlyList<string> Tags, IReadOnlyList<string> Revisions);

/// <summary>One entry of a repository listing. <see cref="Path"/> is as the server sent it: validate before use.</summary>
public sealed record RepoFile(string Path, string Name, bool IsDirectory, long Size, string? Sha256, string? Revision, bool IsLfs);

public sealed record ModelRevision(string Name, bool IsTag, DateTimeOffset? CreatedAt);
