using System.Text.Json.Serialization;

namespace ModelIde.Protocol;

/// <summary><c>models/*</c>: browse the hub (docs/protocol.md).</summary>
public static class ModelsMethods
{
    /// <summary>One page of a model search.</summary>
    [RpcRequest(typeof(ModelsSearchParams), typeof(ModelsSearchResult))]
    public const string Search = "models/search";

    /// <summary>One model's detail.</summary>
    [RpcRequest(typeof(ModelIdParams), typeof(ModelDetailDto))]
    public const string Get = "models/get";

    /// <summary>A repository's files (recursive unless <c>recursive</c> is false).</summary>
    [RpcRequest(typeof(ModelsFilesParams), typeof(ModelsFilesResult))]
    public const string Files = "models/files";

    /// <summary>Branches and tags.</summary>
    [RpcRequest(typeof(ModelIdParams), typeof(ModelsRevisionsResult))]
    public const string Revisions = "models/revisions";

    /// <summary>The model card (README markdown) plus detail.</summary>
    [RpcRequest(typeof(ModelsCardParams), typeof(ModelsCardResult))]
    public const string Card = "models/card";
}

/// <summary>Sort orders the hub's model list knows (<c>sort=</c> value in brackets).</summary>
public enum ModelSortKind
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

public sealed record ModelsSearchParams(
    string? Query = null,
    string? Owner = null,
    ModelSortKind? Sort = null,
    string? Task = null,
    string? License = null,
    int PageNumber = 1,
    int PageSize = 20);

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
    // models/* has always sent this time as .NET's round-trip "o" text (seven fractional digits).
    [property: JsonConverter(typeof(RoundTripTimeConverter))] DateTimeOffset? LastModified);

public sealed record ModelsSearchResult(IReadOnlyList<ModelSummary> Models, long TotalCount, int PageNumber, int PageSize);

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

public enum RepoFileKind
{
    File,
    Dir,
}

public sealed record RepoFileDto(string Path, string Name, RepoFileKind Type, long Size, string? Sha256, string? Revision, bool IsLfs);

public sealed record ModelsFilesResult(IReadOnlyList<RepoFileDto> Files);

public sealed record RevisionDto(string Name, string? CreatedAt);

public sealed record ModelsRevisionsResult(IReadOnlyList<RevisionDto> Revisions);

public sealed record ModelsCardParams(string ModelId, string? Revision = null);

public sealed record ModelsCardResult(string Markdown, ModelDetailDto Detail);
