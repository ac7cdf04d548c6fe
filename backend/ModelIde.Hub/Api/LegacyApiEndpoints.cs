using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelIde.Hub.Auth;
using ModelIde.Hub.Faults;
using ModelIde.Hub.Models;

namespace ModelIde.Hub.Api;

/// <summary><c>/api/v1/*</c>: PascalCase envelope, cookie (or Bearer) auth, business errors with HTTP 200.</summary>
internal static class LegacyApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app, HubContext hub)
    {
        app.MapPost("/api/v1/login", async (HttpContext http) =>
        {
            string? token = null;
            try
            {
                using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("AccessToken", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    token = t.GetString();
                }
            }
            catch (JsonException)
            {
                return Envelopes.LegacyError(400, 400, "The body must be JSON: {\"AccessToken\": \"<token>\"}.");
            }

            var (state, user) = hub.Users.Check(token);
            if (state == TokenState.Unknown && token is not null
                && string.Equals(http.Request.Headers.Authorization.ToString(), "Bearer " + token, StringComparison.Ordinal))
            {
                // An OAuth access token from this hub's OIDC server (sent as Bearer, as the SDK clients do) also logs in.
                var caller = await RequestAuth.IdentifyAsync(http, hub);
                (state, user) = (caller.State, caller.User);
            }

            if (state != TokenState.Valid || user is null)
            {
                return Envelopes.LegacyError(401, 401, state == TokenState.Expired ? "The access token has expired." : "Invalid access token: 用户未登录");
            }

            http.Response.Cookies.Append(RequestAuth.SessionCookie, token!, new CookieOptions { HttpOnly = true, Path = "/", Expires = DateTimeOffset.UtcNow.AddDays(30) });
            return Envelopes.Legacy(new Dictionary<string, object?>
            {
                ["AccessToken"] = hub.Users.GitTokenFor(user.UserName),
                ["Username"] = user.UserName,
                ["Email"] = user.Email,
            });
        });

        app.MapPut("/api/v1/models", async (HttpContext http) =>
        {
            var caller = await RequestAuth.IdentifyAsync(http, hub);
            if (caller.State is TokenState.Unknown or TokenState.Expired)
            {
                return LegacyUnauthorized(caller);
            }

            string owner = "";
            int page = 1, size = 10;
            try
            {
                using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                var root = doc.RootElement;
                if (root.TryGetProperty("Path", out var p) && p.ValueKind == JsonValueKind.String)
                {
                    owner = p.GetString() ?? "";
                }

                if (root.TryGetProperty("PageNumber", out var pn) && pn.ValueKind == JsonValueKind.Number)
                {
                    page = pn.GetInt32();
                }

                if (root.TryGetProperty("PageSize", out var ps) && ps.ValueKind == JsonValueKind.Number)
                {
                    size = ps.GetInt32();
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                return Envelopes.LegacyError(400, 400, "The body must be JSON: {\"Path\": owner, \"PageNumber\": n, \"PageSize\": m}.");
            }

            if (page < 1 || size < 1 || size > 100)
            {
                return Envelopes.LegacyError(400, 400, "PageNumber must be >= 1 and PageSize between 1 and 100.");
            }

            var models = OpenApiEndpoints.Query(hub, caller, "", owner, [], "default");
            return Envelopes.Legacy(new Dictionary<string, object?>
            {
                ["Models"] = models.Skip((page - 1) * size).Take(size).Select(ModelJson.LegacyItem).ToList(),
                ["TotalCount"] = models.Count,
            });
        });

        app.MapGet("/api/v1/models/{owner}/{name}", async (HttpContext http, string owner, string name) =>
        {
            var (model, error) = await ResolveAsync(http, hub, owner, name);
            return error ?? Envelopes.Legacy(ModelJson.LegacyDetail(model!));
        });

        app.MapGet("/api/v1/models/{owner}/{name}/revisions", async (HttpContext http, string owner, string name) =>
        {
            var (model, error) = await ResolveAsync(http, hub, owner, name);
            if (error is not null)
            {
                return error;
            }

            long? endTime = long.TryParse(http.Request.Query["EndTime"], out var e) ? e : null;
            IEnumerable<HubRevision> revisions = model!.Revisions;
            if (endTime is { } end)
            {
                revisions = revisions.Where(r => r.CreatedAt.ToUnixTimeSeconds() <= end);
            }

            object Item(HubRevision r) => new Dictionary<string, object?>
            {
                ["Revision"] = r.Name,
                ["CreatedAt"] = r.CreatedAt.ToUnixTimeSeconds(),
                ["CommitId"] = r.CommitId,
                ["Message"] = r.IsTag ? $"Release {r.Name}" : "",
            };
            var list = revisions.ToList();
            return Envelopes.Legacy(new Dictionary<string, object?>
            {
                ["RevisionMap"] = new Dictionary<string, object?>
                {
                    ["Branches"] = list.Where(r => !r.IsTag).Select(Item).ToList(),
                    ["Tags"] = list.Where(r => r.IsTag).OrderByDescending(r => r.CreatedAt).Select(Item).ToList(),
                },
            });
        });

        app.MapGet("/api/v1/models/{owner}/{name}/commits", async (HttpContext http, string owner, string name) =>
        {
            var (model, error) = await ResolveAsync(http, hub, owner, name);
            if (error is not null)
            {
                return error;
            }

            var wanted = http.Request.Query["Ref"].ToString();
            var head = model!.Revision(wanted);
            if (head is null)
            {
                return Envelopes.LegacyError(200, 404, $"Revision '{wanted}' does not exist in {model.Id}.");
            }

            // History = every revision created up to the requested one, newest first.
            var history = model.Revisions.Where(r => r.CreatedAt <= head.CreatedAt).OrderByDescending(r => r.CreatedAt)
                .GroupBy(r => r.CommitId).Select(g => g.First()).ToList();
            var page = int.TryParse(http.Request.Query["PageNumber"], out var pn) && pn > 0 ? pn : 1;
            var size = int.TryParse(http.Request.Query["PageSize"], out var ps) && ps > 0 ? Math.Min(ps, 100) : 50;
            var commits = history.Skip((page - 1) * size).Take(size).Select(r =>
            {
                var message = r.Files.Select(f => f.CommitMessage).LastOrDefault() ?? $"Revision {r.Name}";
                return new Dictionary<string, object?>
                {
                    ["Id"] = r.CommitId,
                    ["ShortId"] = r.CommitId[..8],
                    ["Title"] = message,
                    ["Message"] = message,
                    ["AuthorName"] = "ModelIde Hub",
                    ["AuthorEmail"] = "hub@modelide.local",
                    ["AuthoredDate"] = r.CreatedAt.ToUnixTimeSeconds(),
                    ["CommitterName"] = "ModelIde Hub",
                    ["CommitterEmail"] = "hub@modelide.local",
                    ["CommittedDate"] = r.CreatedAt.ToUnixTimeSeconds(),
                    ["CreatedAt"] = r.CreatedAt.ToUnixTimeSeconds(),
                };
            }).ToList();
            return Envelopes.Legacy(new Dictionary<string, object?> { ["Commit"] = commits, ["TotalCount"] = history.Count });
        });

        app.MapGet("/api/v1/models/{owner}/{name}/repo/files", async (HttpContext http, string owner, string name) =>
        {
            var (model, error) = await ResolveAsync(http, hub, owner, name);
            if (error is not null)
            {
                return error;
            }

            var revisionName = http.Request.Query["Revision"].ToString();
            var revision = model!.Revision(revisionName);
            if (revision is null)
            {
                return Envelopes.LegacyError(200, 404, $"Revision '{revisionName}' does not exist in {model.Id}.");
            }

            var recursive = !string.Equals(http.Request.Query["Recursive"].ToString(), "False", StringComparison.OrdinalIgnoreCase)
                && http.Request.Query["Recursive"].ToString() is not ("false" or "0" or "");
            var root = http.Request.Query["Root"].ToString().Trim('/');
            var prefix = root.Length == 0 ? "" : root + "/";
            var faults = http.Features.Get<FaultEffects>() ?? FaultEffects.None;
            var corrupt = faults.CorruptSha256Paths;
            var entries = new List<Dictionary<string, object?>>();
            var trees = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var file in revision.Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var rest = file.Path[prefix.Length..];
                var slash = rest.IndexOf('/');
                if (recursive || slash < 0)
                {
                    var entry = ModelJson.LegacyFile(file, corrupt.Contains(file.Path));
                    faults.RewriteListedFile(entry, file.Path);
                    entries.Add(entry);
                }

                // Directories show up as tree entries (the SDK skips them when downloading).
                for (var i = rest.IndexOf('/'); i >= 0; i = rest.IndexOf('/', i + 1))
                {
                    if (!recursive && i != slash)
                    {
                        break;
                    }

                    trees.Add(prefix + rest[..i]);
                }
            }

            entries.InsertRange(0, trees.Select(t => ModelJson.LegacyTree(t, revision)));
            return Envelopes.Legacy(new Dictionary<string, object?> { ["Files"] = entries });
        });

        app.MapMethods("/api/v1/models/{owner}/{name}/repo", ["GET", "HEAD"], async (HttpContext http, string owner, string name) =>
        {
            var (model, error) = await ResolveAsync(http, hub, owner, name, notFoundStatus: 404);
            if (error is not null)
            {
                return error;
            }

            var revisionName = http.Request.Query["Revision"].ToString();
            var path = http.Request.Query["FilePath"].ToString().TrimStart('/');
            var revision = model!.Revision(revisionName);
            var file = revision?.Find(path);
            if (revision is null || file is null)
            {
                return Envelopes.LegacyError(404, 404, $"File '{path}' does not exist in {model.Id} at revision '{(revisionName.Length == 0 ? "master" : revisionName)}'.");
            }

            return Results.Redirect(BlobUrl(hub, model, revision, file).ToString(), permanent: false);
        });
    }

    /// <summary>A signed, expiring URL on the blob host (no user credential in it).</summary>
    internal static Uri BlobUrl(HubContext hub, HubModel model, HubRevision revision, HubFile file)
    {
        var (expires, signature) = hub.Signer.Sign(model.Id, revision.CommitId, file.Path, DateTimeOffset.UtcNow + hub.Options.BlobUrlLifetime);
        var escapedPath = string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString));
        return new Uri(hub.BlobBaseUri, $"blobs/{Uri.EscapeDataString(model.Owner)}/{Uri.EscapeDataString(model.Name)}/{revision.CommitId}/{escapedPath}?expires={expires}&sig={signature}");
    }

    private static async Task<(HubModel? Model, IResult? Error)> ResolveAsync(HttpContext http, HubContext hub, string owner, string name, int notFoundStatus = 200)
    {
        var caller = await RequestAuth.IdentifyAsync(http, hub);
        if (caller.State is TokenState.Unknown or TokenState.Expired)
        {
            return (null, LegacyUnauthorized(caller));
        }

        var model = hub.Catalogue.Find(owner, name);
        if (model is null || !HubContext.CanSee(model, caller.User))
        {
            // The real hub answers a missing (or hidden private) model with HTTP 200 and a business code.
            return (null, Envelopes.LegacyError(notFoundStatus, notFoundStatus == 404 ? 404 : long.Parse(Envelopes.ModelNotFoundCode, System.Globalization.CultureInfo.InvariantCulture), $"模型不存在: {owner}/{name}"));
        }

        return (model, null);
    }

    private static IResult LegacyUnauthorized(Caller caller) => caller.State == TokenState.Expired
        ? Envelopes.LegacyError(401, 401, "The access token has expired; sign in again.")
        : Envelopes.LegacyError(401, 401, "Invalid access token: 用户未登录");
}
