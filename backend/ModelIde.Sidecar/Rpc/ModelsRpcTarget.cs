using System.Globalization;
using ModelIde.Core;
using ModelIde.Core.Models;
using ModelIde.Protocol;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Rpc;

/// <summary><c>models/*</c>: thin adapters over <see cref="Core.ModelScopeApi.ModelScopeApiClient"/>.</summary>
public sealed class ModelsRpcTarget(SidecarContext context) : IRpcTarget
{
    [JsonRpcMethod(ModelsMethods.Search, UseSingleObjectParameterDeserialization = true)]
    public async Task<ModelsSearchResult> SearchAsync(ModelsSearchParams p, CancellationToken cancellationToken)
    {
        var query = new ModelSearchQuery
        {
            Search = p.Query,
            Owner = p.Owner,
            Sort = p.Sort ?? ModelSortKind.Default,
            Task = p.Task,
            License = p.License,
            PageNumber = p.PageNumber,
            PageSize = p.PageSize,
        };
        var page = await context.Api.SearchModelsAsync(query, cancellationToken).ConfigureAwait(false);
        return new ModelsSearchResult(page.Models, page.TotalCount, page.PageNumber, page.PageSize);
    }

    [JsonRpcMethod(ModelsMethods.Get, UseSingleObjectParameterDeserialization = true)]
    public async Task<ModelDetailDto> GetAsync(ModelIdParams p, CancellationToken cancellationToken) =>
        await DetailAsync(ModelId.Parse(p.ModelId), null, cancellationToken).ConfigureAwait(false);

    [JsonRpcMethod(ModelsMethods.Files, UseSingleObjectParameterDeserialization = true)]
    public async Task<ModelsFilesResult> FilesAsync(ModelsFilesParams p, CancellationToken cancellationToken)
    {
        var files = await context.Api.ListModelFilesAsync(ModelId.Parse(p.ModelId), p.Revision, cancellationToken, p.Path, p.Recursive ?? true).ConfigureAwait(false);
        return new ModelsFilesResult(files.Select(f => new RepoFileDto(f.Path, f.Name, f.IsDirectory ? RepoFileKind.Dir : RepoFileKind.File, f.Size, f.Sha256, f.Revision, f.IsLfs)).ToArray());
    }

    [JsonRpcMethod(ModelsMethods.Revisions, UseSingleObjectParameterDeserialization = true)]
    public async Task<ModelsRevisionsResult> RevisionsAsync(ModelIdParams p, CancellationToken cancellationToken)
    {
        var revisions = await context.Api.ListModelRevisionsAsync(ModelId.Parse(p.ModelId), cancellationToken).ConfigureAwait(false);
        return new ModelsRevisionsResult(revisions.Select(r => new RevisionDto(r.Name, Iso(r.CreatedAt))).ToArray());
    }

    [JsonRpcMethod(ModelsMethods.Card, UseSingleObjectParameterDeserialization = true)]
    public async Task<ModelsCardResult> CardAsync(ModelsCardParams p, CancellationToken cancellationToken)
    {
        var detail = await DetailAsync(ModelId.Parse(p.ModelId), p.Revision, cancellationToken).ConfigureAwait(false);
        return new ModelsCardResult(detail.Readme ?? string.Empty, detail);
    }

    private async Task<ModelDetailDto> DetailAsync(ModelId id, string? revision, CancellationToken cancellationToken)
    {
        var detail = await context.Api.GetModelAsync(id, revision, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ModelRevision> revisions;
        try
        {
            revisions = await context.Api.ListModelRevisionsAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelIdeException ex) when (ex.Kind is ModelIdeErrorKind.NotFound or ModelIdeErrorKind.ServerError)
        {
            revisions = [];
        }

        var s = detail.Summary;
        return new ModelDetailDto(s.Id, s.DisplayName, s.Description, s.Downloads, s.Likes, s.License, s.Tasks, s.Private, s.Gated, s.FileSize, Iso(s.LastModified),
            detail.Readme, revisions.Select(r => r.Name).ToArray(), detail.Tags);
    }

    private static string? Iso(DateTimeOffset? d) => d?.ToString("o", CultureInfo.InvariantCulture);
}
