using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelIde.Core.Models;

namespace ModelIde.Core.ModelScopeApi;

/// <summary>Model calls: search/list, detail (with the README), repository files, revisions, file download URL.</summary>
public sealed partial class ModelScopeApiClient
{
    /// <summary>The hub serves at most this many results of one query (page_number * page_size).</summary>
    public const int MaxSearchOffset = 3000;

    /// <summary>The SDK compat layer and the hubs cap pages at 50.</summary>
    public const int MaxPageSize = 50;

    /// <summary><c>GET /openapi/v1/models</c> with search, owner, sort, paging and <c>filter.task</c>/<c>filter.license</c>.</summary>
    public async Task<ModelSearchPage> SearchModelsAsync(ModelSearchQuery query, CancellationToken cancellationToken)
    {
        ValidatePaging(query.PageNumber, query.PageSize);
        var qs = new StringBuilder("openapi/v1/models?page_number=")
            .Append(query.PageNumber.ToString(CultureInfo.InvariantCulture))
            .Append("&page_size=").Append(query.PageSize.ToString(CultureInfo.InvariantCulture));
        AppendQuery(qs, "search", query.Search);
        AppendQuery(qs, "owner", query.Owner);
        AppendQuery(qs, "sort", SortValue(query.Sort));
        AppendQuery(qs, "filter.task", query.Task);
        AppendQuery(qs, "filter.license", query.License);

        var data = await GetOpenApiAsync(qs.ToString(), cancellationToken).ConfigureAwait(false);
        var models = new List<ModelSummary>();
        if (JsonFields.TryGet(data, out var items, "models", "Models") && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in items.EnumerateArray())
            {
                if (ModelJson.Summary(item) is { } summary)
                {
                    models.Add(summary);
                }
            }
        }

        var total = JsonFields.Int64(data, "total_count", "TotalCount", "total") ?? models.Count;
        var page = (int)(JsonFields.Int64(data, "page_number", "PageNumber") ?? query.PageNumber);
        var size = (int)(JsonFields.Int64(data, "page_size", "PageSize") ?? query.PageSize);
        return new ModelSearchPage(models, total, page, size);
    }

    /// <summary>Rejects a page the hub would refuse, with a message that says what to do instead.</summary>
    public static void ValidatePaging(int pageNumber, int pageSize)
    {
        if (pageNumber < 1)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"Page numbers start at 1 (got {pageNumber}).");
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"The page size must be from 1 to {MaxPageSize} (got {pageSize}).");
        }

        if ((long)pageNumber * pageSize > MaxSearchOffset)
        {
            throw new ModelIdeException(
                ModelIdeErrorKind.InvalidInput,
                $"The hub serves only the first {MaxSearchOffset} results of a query (page {pageNumber} x {pageSize} per page = {(long)pageNumber * pageSize}). Narrow it with a search text, an owner, a task or a license filter.");
        }
    }

    /// <summary>Model detail: OpenAPI first, then the legacy call (which also carries the README and works for private repos).</summary>
    public async Task<ModelDetail> GetModelAsync(ModelId id, string? revision, CancellationToken cancellationToken)
    {
        var rev = revision is null ? null : ModelId.ValidateRevision(revision);
        JsonElement? open = null;
        try
        {
            open = await GetOpenApiAsync($"openapi/v1/models/{id.Owner}/{id.Name}", cancellationToken).ConfigureAwait(false);
        }
        catch (ModelIdeException ex) when (ex.Kind is ModelIdeErrorKind.NotFound or ModelIdeErrorKind.InvalidInput)
        {
            // The SDK falls back to the legacy call on 404; some hubs only serve private repos there.
        }

        JsonElement? legacy = null;
        try
        {
            var path = $"api/v1/models/{id.Owner}/{id.Name}" + (rev is null ? string.Empty : "?Revision=" + Uri.EscapeDataString(rev));
            legacy = await SendLegacyAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelIdeException) when (open is not null)
        {
            // The README is optional; the OpenAPI answer is enough.
        }

        var source = open ?? legacy!.Value;
        var summary = ModelJson.Summary(source, id)
            ?? throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"The hub's answer for {id} has no model in it.");
        string? readme = null;
        var tags = new List<string>();
        foreach (var element in new[] { legacy, open })
        {
            if (element is not { } e)
            {
                continue;
            }

            readme ??= JsonFields.String(e, "ReadMeContent", "readme", "readme_content", "card");
            if (tags.Count == 0)
            {
                tags.AddRange(ModelJson.Names(e, "tags", "Tags"));
            }
        }

        if (legacy is { } l && JsonFields.Int64(l, "Visibility") == 1)
        {
            summary = summary with { Private = true };
        }

        return new ModelDetail(summary, readme, tags, []);
    }

    /// <summary><c>GET /api/v1/models/{owner}/{name}/repo/files?Revision=&amp;Recursive=True</c> (Python's spelling, as the SDK sends it).</summary>
    public async Task<IReadOnlyList<RepoFile>> ListModelFilesAsync(ModelId id, string? revision, CancellationToken cancellationToken, string? root = null, bool recursive = true)
    {
        var rev = ModelId.ValidateRevision(revision);
        var path = $"api/v1/models/{id.Owner}/{id.Name}/repo/files?Revision={Uri.EscapeDataString(rev)}&Recursive={(recursive ? "True" : "False")}";
        if (!string.IsNullOrEmpty(root))
        {
            path += "&Root=" + Uri.EscapeDataString(root);
        }

        var data = await SendLegacyAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        var files = new List<RepoFile>();
        if (JsonFields.TryGet(data, out var items, "Files", "files") && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var f in items.EnumerateArray())
            {
                var filePath = JsonFields.String(f, "Path", "path") ?? JsonFields.String(f, "Name", "name");
                if (filePath is null)
                {
                    continue;
                }

                var type = JsonFields.String(f, "Type", "type");
                files.Add(new RepoFile(
                    filePath,
                    JsonFields.String(f, "Name", "name") ?? filePath.Split('/')[^1],
                    string.Equals(type, "tree", StringComparison.OrdinalIgnoreCase) || string.Equals(type, "dir", StringComparison.OrdinalIgnoreCase),
                    JsonFields.Int64(f, "Size", "size") ?? 0,
                    JsonFields.String(f, "Sha256", "sha256")?.ToLowerInvariant(),
                    JsonFields.String(f, "Revision", "revision"),
                    JsonFields.Bool(f, "IsLFS", "is_lfs", "lfs") ?? false));
            }
        }

        return files;
    }

    /// <summary><c>GET /api/v1/models/{owner}/{name}/revisions</c>: branches then tags (tags newest first, as sent).</summary>
    public async Task<IReadOnlyList<ModelRevision>> ListModelRevisionsAsync(ModelId id, CancellationToken cancellationToken)
    {
        var data = await SendLegacyAsync(HttpMethod.Get, $"api/v1/models/{id.Owner}/{id.Name}/revisions", null, cancellationToken).ConfigureAwait(false);
        var result = new List<ModelRevision>();
        var map = JsonFields.TryGet(data, out var m, "RevisionMap", "revision_map") ? m : data;
        foreach (var (key, isTag) in new[] { ("Branches", false), ("Tags", true) })
        {
            if (!JsonFields.TryGet(map, out var list, key) || list.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var r in list.EnumerateArray())
            {
                var name = r.ValueKind == JsonValueKind.String ? r.GetString() : JsonFields.String(r, "Revision", "Name", "name");
                if (!string.IsNullOrEmpty(name))
                {
                    result.Add(new ModelRevision(name, isTag, r.ValueKind == JsonValueKind.Object ? ModelJson.Date(r, "CreatedAt", "created_at") : null));
                }
            }
        }

        return result;
    }

    /// <summary>The hub URL of one file; the hub answers it with a redirect to the blob host.</summary>
    public Uri FileDownloadUri(ModelId id, string? revision, string filePath) =>
        Url($"api/v1/models/{id.Owner}/{id.Name}/repo?Revision={Uri.EscapeDataString(ModelId.ValidateRevision(revision))}&FilePath={Uri.EscapeDataString(filePath)}");

    private static void AppendQuery(StringBuilder qs, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            qs.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value.Trim()));
        }
    }

    private static string? SortValue(ModelSortKind sort) => sort switch
    {
        ModelSortKind.Downloads => "downloads",
        ModelSortKind.Likes => "likes",
        ModelSortKind.LastModified => "last_modified",
        _ => null,
    };
}

/// <summary>Maps the hub's model objects (either casing, OpenAPI or legacy shapes) to our records.</summary>
internal static class ModelJson
{
    public static ModelSummary? Summary(JsonElement item, ModelId? fallbackId = null)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var id = JsonFields.String(item, "id", "Id", "model_id", "ModelId");
        if (id is null || !id.Contains('/', StringComparison.Ordinal))
        {
            var owner = JsonFields.String(item, "owner", "Path", "path");
            var name = JsonFields.String(item, "name", "Name");
            id = owner is not null && name is not null ? $"{owner}/{name}" : fallbackId?.ToString();
        }

        if (id is null)
        {
            return null;
        }

        var visibility = JsonFields.Int64(item, "Visibility");
        return new ModelSummary(
            id,
            JsonFields.String(item, "display_name", "DisplayName", "ChineseName"),
            JsonFields.String(item, "description", "Description"),
            JsonFields.Int64(item, "downloads", "Downloads") ?? 0,
            JsonFields.Int64(item, "likes", "Likes", "Stars") ?? 0,
            JsonFields.String(item, "license", "License"),
            Names(item, "tasks", "Tasks"),
            JsonFields.Bool(item, "private", "Private", "is_private") ?? visibility == 1,
            JsonFields.Bool(item, "gated", "Gated") ?? false,
            JsonFields.Int64(item, "file_size", "FileSize"),
            Date(item, "last_modified", "LastModified", "LastUpdatedTime", "updated_at"));
    }

    /// <summary>A list of names that may come as strings or as objects with a Name.</summary>
    public static IReadOnlyList<string> Names(JsonElement item, params string[] keys)
    {
        if (!JsonFields.TryGet(item, out var list, keys) || list.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var names = new List<string>();
        foreach (var e in list.EnumerateArray())
        {
            var n = e.ValueKind == JsonValueKind.String ? e.GetString() : JsonFields.String(e, "name", "Name", "id", "Id");
            if (!string.IsNullOrEmpty(n))
            {
                names.Add(n);
            }
        }

        return names;
    }

    /// <summary>
    /// A date as the hub sends it: seconds or milliseconds since the epoch (number or numeric string) or an ISO text.
    /// Anything unreadable or outside years 1–9999 (a hostile <c>9e18</c>) is null: one bad field never fails a page.
    /// </summary>
    public static DateTimeOffset? Date(JsonElement item, params string[] keys)
    {
        if (!JsonFields.TryGet(item, out var v, keys))
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return v.TryGetDouble(out var epoch) ? FromEpoch(epoch) : null;
        }

        if (v.ValueKind == JsonValueKind.String)
        {
            var s = v.GetString();
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return FromEpoch(n);
            }

            if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d))
            {
                return d;
            }
        }

        return null;
    }

    private static readonly double s_minEpochMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly double s_maxEpochMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Seconds, or milliseconds when above 10^11 (year 5138 in seconds); null when not a representable date.</summary>
    private static DateTimeOffset? FromEpoch(double epoch)
    {
        if (!double.IsFinite(epoch))
        {
            return null;
        }

        var ms = Math.Abs(epoch) > 100_000_000_000 ? epoch : epoch * 1000;
        return ms >= s_minEpochMs && ms <= s_maxEpochMs ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(ms)) : null;
    }
}
