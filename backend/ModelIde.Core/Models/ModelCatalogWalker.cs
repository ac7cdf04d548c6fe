using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Core.Models;

/// <summary>
/// Visits every model a query matches, even past the hub's 3000-result window: when the total is larger, the
/// query is split by owner (owners discovered from each sort order's window), and an owner still above the
/// window by task. The caller learns whether the split covered everything (<see cref="WalkResult.Complete"/>).
/// </summary>
public sealed class ModelCatalogWalker(ModelScopeApiClient api, int pageSize = ModelScopeApiClient.MaxPageSize)
{
    public sealed record WalkResult(long TotalCount, int Visited, bool Complete, int Requests);

    public async Task<WalkResult> WalkAsync(ModelSearchQuery query, Func<ModelSummary, bool> visit, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var requests = 0;

        async Task<(long Total, bool Exceeded)> PageAllAsync(ModelSearchQuery q, ISet<string>? owners, ISet<string>? tasks)
        {
            long total = 0;
            for (var page = 1; (long)page * pageSize <= ModelScopeApiClient.MaxSearchOffset; page++)
            {
                var result = await api.SearchModelsAsync(q with { PageNumber = page, PageSize = pageSize }, cancellationToken).ConfigureAwait(false);
                requests++;
                total = result.TotalCount;
                foreach (var m in result.Models)
                {
                    owners?.Add(m.Id.Split('/')[0]);
                    foreach (var t in m.Tasks)
                    {
                        tasks?.Add(t);
                    }

                    if (seen.Add(m.Id))
                    {
                        visit(m);
                    }
                }

                if (result.Models.Count < pageSize || (long)page * pageSize >= total)
                {
                    return (total, false);
                }
            }

            return (total, total > ModelScopeApiClient.MaxSearchOffset);
        }

        var owners = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        var tasks = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        var (grandTotal, exceeded) = await PageAllAsync(query, owners, tasks).ConfigureAwait(false);
        if (!exceeded)
        {
            return new WalkResult(grandTotal, seen.Count, seen.Count >= grandTotal, requests);
        }

        if (query.Owner is null)
        {
            // Other sort orders show other windows of the catalogue, hence more owners.
            foreach (var sort in new[] { ModelSortKind.Downloads, ModelSortKind.Likes, ModelSortKind.LastModified })
            {
                if (sort != query.Sort)
                {
                    await PageAllAsync(query with { Sort = sort }, owners, tasks).ConfigureAwait(false);
                }
            }

            foreach (var owner in owners.ToArray())
            {
                var (_, ownerExceeded) = await PageAllAsync(query with { Owner = owner }, null, tasks).ConfigureAwait(false);
                if (ownerExceeded && query.Task is null)
                {
                    foreach (var task in tasks.ToArray())
                    {
                        await PageAllAsync(query with { Owner = owner, Task = task }, null, null).ConfigureAwait(false);
                    }
                }
            }
        }
        else if (query.Task is null)
        {
            foreach (var task in tasks.ToArray())
            {
                await PageAllAsync(query with { Task = task }, null, null).ConfigureAwait(false);
            }
        }

        return new WalkResult(grandTotal, seen.Count, seen.Count >= grandTotal, requests);
    }
}
