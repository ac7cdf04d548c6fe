using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelIde.Hub.Faults;

namespace ModelIde.Hub.Api;

/// <summary>
/// Test control on the API host (loopback only, like the whole hub): faults, request log, token expiry.
/// Answers in the OpenAPI envelope.
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app, HubContext hub)
    {
        // A short landing page, so opening the hub in a browser shows what it is.
        app.MapGet("/", () => Results.Content(
            $"ModelIde local hub (ModelScope-compatible).\nAPI: {hub.BaseUri}openapi/v1/models, {hub.BaseUri}api/v1/models/{{owner}}/{{name}}\n" +
            $"OpenID Connect: {hub.BaseUri}.well-known/openid-configuration (client modelide)\nGit: {hub.BaseUri}models/{{owner}}/{{name}}.git\n" +
            $"Blobs: {hub.BlobBaseUri}\nSigned-in user for demos: demo\n", "text/plain; charset=utf-8"));

        app.MapPost("/_admin/faults", async (HttpContext http) =>
        {
            List<FaultRule> rules;
            try
            {
                using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                rules = doc.RootElement.ValueKind == JsonValueKind.Array
                    ? doc.RootElement.Deserialize<List<FaultRule>>(Envelopes.Json) ?? []
                    : [doc.RootElement.Deserialize<FaultRule>(Envelopes.Json)!];
                foreach (var rule in rules)
                {
                    hub.Faults.Add(rule);
                }
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException)
            {
                return Envelopes.OpenApiError(400, "InvalidParameter", $"Bad fault rule: {ex.Message}");
            }

            return Envelopes.OpenApi(new { active = hub.Faults.Active });
        });
        app.MapGet("/_admin/faults", () => Envelopes.OpenApi(new { active = hub.Faults.Active }));
        app.MapDelete("/_admin/faults", () =>
        {
            hub.Faults.Clear();
            return Envelopes.OpenApi(new { active = hub.Faults.Active });
        });

        app.MapGet("/_admin/requests", () => Envelopes.OpenApi(new { requests = hub.Log.Entries }));
        app.MapDelete("/_admin/requests", () =>
        {
            hub.Log.Clear();
            return Envelopes.OpenApi(new { requests = Array.Empty<HubRequest>() });
        });

        // {"token": "ms-..."} → that token is expired from now on.
        app.MapPost("/_admin/tokens/expire", async (HttpContext http) =>
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            var token = doc.RootElement.TryGetProperty("token", out var t) ? t.GetString() : null;
            return token is not null && hub.Users.ExpireToken(token)
                ? Envelopes.OpenApi(new { expired = true })
                : Envelopes.OpenApiError(404, "NotFound", "No such token.");
        });

        // Every OAuth access and refresh token the token endpoint returned, so tests can search for them at rest.
        app.MapGet("/_admin/oauth/issued", () => Envelopes.OpenApi(new
        {
            accessTokens = hub.IssuedOAuthTokens.AccessTokens,
            refreshTokens = hub.IssuedOAuthTokens.RefreshTokens,
        }));

        // {"user": "demo", "lifetimeSeconds": 60} → a fresh SDK token for that user.
        app.MapPost("/_admin/tokens", async (HttpContext http) =>
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            var user = doc.RootElement.TryGetProperty("user", out var u) ? u.GetString() : "demo";
            TimeSpan? lifetime = doc.RootElement.TryGetProperty("lifetimeSeconds", out var l) && l.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(l.GetDouble()) : null;
            if (user is null || hub.Users.Find(user) is null)
            {
                return Envelopes.OpenApiError(404, "NotFound", "No such user.");
            }

            return Envelopes.OpenApi(new { token = hub.Users.IssueToken(user, lifetime) });
        });
    }
}
