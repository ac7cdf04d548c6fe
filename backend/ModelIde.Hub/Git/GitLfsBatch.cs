using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelIde.Hub.Api;
using ModelIde.Hub.Models;

namespace ModelIde.Hub.Git;

/// <summary>
/// The git LFS batch API at <c>{repo}.git/info/lfs/objects/batch</c> (what git-lfs calls for the pointers in a clone):
/// download only, each known object answered with a signed blob-host URL (like file downloads, the blob host never
/// needs the token), an unknown one with a per-object 404.
/// </summary>
internal static class GitLfsBatch
{
    public const string Path = "/info/lfs/objects/batch";
    private const string MediaType = "application/vnd.git-lfs+json";
    private const int MaxRequestBytes = 1 << 20;

    public static async Task HandleAsync(HttpContext http, HubContext hub, HubModel model)
    {
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            await AnswerAsync(http, 405, new { message = "The LFS batch API takes POST." });
            return;
        }

        JsonDocument request;
        try
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            if (body.Length > MaxRequestBytes)
            {
                await AnswerAsync(http, 413, new { message = "The batch request is too large." });
                return;
            }

            request = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException)
        {
            await AnswerAsync(http, 422, new { message = "The batch request is not JSON." });
            return;
        }

        using (request)
        {
            var root = request.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("operation", out var operation) || operation.GetString() != "download")
            {
                await AnswerAsync(http, 403, new { message = "This hub is read-only: only the download operation is served." });
                return;
            }

            var objects = new List<object>();
            if (root.TryGetProperty("objects", out var requested) && requested.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in requested.EnumerateArray())
                {
                    var oid = item.TryGetProperty("oid", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : "";
                    var size = item.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : 0;
                    objects.Add(Answer(hub, model, oid, size));
                }
            }

            await AnswerAsync(http, 200, new { transfer = "basic", objects, hash_algo = "sha256" });
        }
    }

    private static object Answer(HubContext hub, HubModel model, string oid, long size)
    {
        foreach (var revision in model.Revisions)
        {
            if (revision.Files.FirstOrDefault(f => f.IsLfs && f.Sha256 == oid) is { } file)
            {
                return new
                {
                    oid,
                    size = file.Size,
                    authenticated = true,
                    actions = new
                    {
                        download = new { href = LegacyApiEndpoints.BlobUrl(hub, model, revision, file).ToString(), expires_in = (long)hub.Options.BlobUrlLifetime.TotalSeconds },
                    },
                };
            }
        }

        return new { oid, size, error = new { code = 404, message = "Object does not exist in this repository." } };
    }

    private static Task AnswerAsync(HttpContext http, int status, object body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = MediaType;
        return http.Response.WriteAsync(JsonSerializer.Serialize(body, Envelopes.Json), http.RequestAborted);
    }
}
