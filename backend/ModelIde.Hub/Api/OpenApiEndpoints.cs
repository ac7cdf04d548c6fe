using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelIde.Hub.Auth;
using ModelIde.Hub.Models;

namespace ModelIde.Hub.Api;

/// <summary><c>/openapi/v1/*</c>: snake_case envelope, Bearer auth.</summary>
internal static class OpenApiEndpoints
{
    public const int MaxPageSize = 50;
    public const int MaxOffset = 3000;
    private static readonly string[] s_filterKeys = ["task", "library", "model_type", "custom_tag", "license", "deploy"];

    public static void Map(IEndpointRouteBuilder app, HubContext hub)
    {
        app.MapGet("/openapi/v1/users/me", async (HttpContext http) =>
        {
            var caller = await RequestAuth.IdentifyAsync(http, hub);
            if (!caller.IsSignedIn)
            {
                return Unauthorized(caller);
            }

            var u = caller.User!;
            return Envelopes.OpenApi(new Dictionary<string, object?>
            {
                ["id"] = u.Id,
                ["username"] = u.UserName,
                ["email"] = u.Email,
                ["avatar_url"] = $"{hub.BaseUri}avatars/{u.UserName}.png",
                ["description"] = $"Seeded user {u.UserName} of the ModelIde local hub.",
            });
        });

        app.MapGet("/openapi/v1/models", async (HttpContext http) =>
        {
            var caller = await RequestAuth.IdentifyAsync(http, hub);
            if (caller.State is TokenState.Unknown or TokenState.Expired)
            {
                return Unauthorized(caller);
            }

            var q = http.Request.Query;
            if (!TryInt(q["page_number"], 1, out var page) || page < 1)
            {
                return Envelopes.OpenApiError(400, "InvalidParameter", "page_number must be an integer >= 1.");
            }

            if (!TryInt(q["page_size"], 10, out var size) || size < 1 || size > MaxPageSize)
            {
                return Envelopes.OpenApiError(400, "InvalidParameter", $"page_size must be an integer between 1 and {MaxPageSize}.");
            }

            if ((long)page * size > MaxOffset)
            {
                return Envelopes.OpenApiError(400, "InvalidParameter", $"page_number * page_size must not exceed {MaxOffset}; narrow the search instead of paging further.");
            }

            var sort = q["sort"].ToString();
            if (sort is not ("" or "default" or "downloads" or "likes" or "last_modified"))
            {
                return Envelopes.OpenApiError(400, "InvalidParameter", "sort must be one of default, downloads, likes, last_modified.");
            }

            var filters = s_filterKeys
                .Select(k => (Key: k, Value: q["filter." + k].ToString()))
                .Where(f => f.Value.Length > 0)
                .ToList();
            var models = Query(hub, caller, q["search"].ToString(), q["owner"].ToString(), filters, sort);
            var pageItems = models.Skip((page - 1) * size).Take(size).Select(ModelJson.OpenApiItem).ToList();
            return Envelopes.OpenApi(new Dictionary<string, object?>
            {
                ["models"] = pageItems,
                ["total_count"] = models.Count,
                ["page_number"] = page,
                ["page_size"] = size,
            });
        });

        app.MapGet("/openapi/v1/models/{owner}/{name}", async (HttpContext http, string owner, string name) =>
        {
            var caller = await RequestAuth.IdentifyAsync(http, hub);
            if (caller.State is TokenState.Unknown or TokenState.Expired)
            {
                return Unauthorized(caller);
            }

            var model = hub.Catalogue.Find(owner, name);
            return model is null || !HubContext.CanSee(model, caller.User)
                ? Envelopes.OpenApiError(404, "NotFound", $"模型不存在: {owner}/{name} does not exist or is not accessible.")
                : Envelopes.OpenApi(ModelJson.OpenApiDetail(model));
        });
    }

    internal static List<HubModel> Query(HubContext hub, Caller caller, string search, string owner, IReadOnlyList<(string Key, string Value)> filters, string sort)
    {
        // Filtering keeps the pre-sorted order of the catalogue.
        IEnumerable<HubModel> models = hub.Catalogue.SortedBy(sort).Where(m => HubContext.CanSee(m, caller.User));
        if (owner.Length > 0)
        {
            models = models.Where(m => string.Equals(m.Owner, owner, StringComparison.OrdinalIgnoreCase));
        }

        if (search.Length > 0)
        {
            var words = search.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            models = models.Where(m => words.All(w => m.Id.Contains(w, StringComparison.OrdinalIgnoreCase)
                || m.DisplayName.Contains(w, StringComparison.OrdinalIgnoreCase)
                || m.Tags.Any(t => t.Equals(w, StringComparison.OrdinalIgnoreCase))));
        }

        foreach (var (key, value) in filters)
        {
            models = key switch
            {
                "task" => models.Where(m => m.Tasks.Contains(value, StringComparer.OrdinalIgnoreCase)),
                "license" => models.Where(m => string.Equals(m.License, value, StringComparison.OrdinalIgnoreCase)),
                "library" => models.Where(m => string.Equals(m.Library, value, StringComparison.OrdinalIgnoreCase) || m.Tags.Contains(value, StringComparer.OrdinalIgnoreCase)),
                "model_type" => models.Where(m => string.Equals(m.ModelType, value, StringComparison.OrdinalIgnoreCase)),
                "custom_tag" => models.Where(m => m.Tags.Contains(value, StringComparer.OrdinalIgnoreCase)),
                _ => models, // deploy: nothing in the local hub is deployable; the filter narrows nothing
            };
        }

        return models.ToList();
    }

    internal static IResult Unauthorized(Caller caller) => caller.State switch
    {
        TokenState.Expired => Envelopes.OpenApiError(401, "TokenExpired", "The access token has expired; sign in again."),
        TokenState.Unknown => Envelopes.OpenApiError(401, "InvalidToken", "The access token is not valid."),
        _ => Envelopes.OpenApiError(401, "Unauthorized", "用户未登录"),
    };

    private static bool TryInt(Microsoft.Extensions.Primitives.StringValues raw, int fallback, out int value)
    {
        if (raw.Count == 0 || string.IsNullOrEmpty(raw[0]))
        {
            value = fallback;
            return true;
        }

        return int.TryParse(raw[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }
}
