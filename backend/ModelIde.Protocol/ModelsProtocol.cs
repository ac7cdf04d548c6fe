namespace ModelIde.Protocol;

/// <summary><c>models/*</c>: browse the hub (docs/protocol.md).</summary>
public static class ModelsMethods
{
    /// <summary>Request. One page of a model search.</summary>
    public const string Search = "models/search";

    /// <summary>Request. One model's detail.</summary>
    public const string Get = "models/get";

    /// <summary>Request. A repository's files.</summary>
    public const string Files = "models/files";

    /// <summary>Request. Branches and tags.</summary>
    public const string Revisions = "models/revisions";

    /// <summary>Request. The model card (README markdown) plus detail.</summary>
    public const string Card = "models/card";
}

public sealed record ModelsSearchParams(
    string? Query = null,
    string? Owner = null,
    string? Sort = null,
    string? Task = null,
    string? License = null,
    int PageNumber = 1,
    int PageSize = 20);

public sealed record ModelSummaryDto(
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
    string? LastModified);

public sealed record ModelsSearchResult(IReadOnlyList<ModelSummaryDto> Models, long TotalCount, int PageNumber, int PageSize);

public sealed record ModelIdParams(string ModelId);

public sealed record ModelDetailDto(
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
    string? LastModified,
    string? Readme,
    IReadOnlyList<string> Revisions,
    IReadOnlyList<string> Tags);

public sealed record ModelsFilesParams(string ModelId, string? Revision = null, string? Path = null, bool? Recursive = null);

/// <summary><c>type</c> is <c>file</c> or <c>dir</c>.</summary>
public sealed record RepoFileDto(string Path, string Name, string Type, long Size, string? Sha256, string? Revision, bool IsLfs);

public sealed record ModelsFilesResult(IReadOnlyList<RepoFileDto> Files);

public sealed record RevisionDto(string Name, string? CreatedAt);

public sealed record ModelsRevisionsResult(IReadOnlyList<RevisionDto> Revisions);

public sealed record ModelsCardParams(string ModelId, string? Revision = null);

public sealed record ModelsCardResult(string Markdown, ModelDetailDto Detail);
