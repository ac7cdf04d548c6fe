using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelIde.Core.ModelScopeApi;

public sealed record HubUser(string UserName, string? Email, string? AvatarUrl, string? Id);

public sealed record HubLoginResult(string UserName, string? Email, string GitToken);

public sealed partial class ModelScopeApiClient
{
    /// <summary><c>GET /openapi/v1/users/me</c>: who the token belongs to.</summary>
    public async Task<HubUser> GetCurrentUserAsync(CancellationToken cancellationToken, string? tokenOverride = null)
    {
        var data = await GetOpenApiAsync("openapi/v1/users/me", cancellationToken, tokenOverride).ConfigureAwait(false);
        var name = JsonFields.String(data, "username", "Username", "name", "Name")
            ?? throw new ModelIdeException(ModelIdeErrorKind.ServerError, "The hub's users/me answer has no user name.");
        return new HubUser(name, JsonFields.String(data, "email", "Email"), JsonFields.String(data, "avatar_url", "AvatarUrl"), JsonFields.String(data, "id", "Id"));
    }

    /// <summary><c>POST /api/v1/login</c> with the SDK token: returns the user name and the git token.</summary>
    public async Task<HubLoginResult> LoginAsync(string accessToken, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["AccessToken"] = accessToken };
        var data = await SendLegacyAsync(HttpMethod.Post, "api/v1/login", body, cancellationToken, accessToken).ConfigureAwait(false);
        var name = JsonFields.String(data, "Username", "username") ?? throw new ModelIdeException(ModelIdeErrorKind.ServerError, "The hub's login answer has no user name.");
        // The new SDK falls back to the SDK token when no git token comes back; so do we.
        var git = JsonFields.String(data, "AccessToken", "access_token") ?? accessToken;
        return new HubLoginResult(name, JsonFields.String(data, "Email", "email"), git);
    }
}

/// <summary>Case-tolerant field access: the hub's casing is not pinned (PascalCase and snake_case both occur).</summary>
public static class JsonFields
{
    public static bool TryGet(JsonElement obj, out JsonElement value, params string[] names)
    {
        value = default;
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var name in names)
        {
            if (obj.TryGetProperty(name, out value))
            {
                return true;
            }
        }

        foreach (var property in obj.EnumerateObject())
        {
            foreach (var name in names)
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }
        }

        return false;
    }

    public static string? String(JsonElement obj, params string[] names) =>
        TryGet(obj, out var v, names) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        } : null;

    public static long? Int64(JsonElement obj, params string[] names) =>
        TryGet(obj, out var v, names) ? v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.Number => (long)v.GetDouble(),
            JsonValueKind.String when long.TryParse(v.GetString(), out var n) => n,
            _ => null,
        } : null;

    public static bool? Bool(JsonElement obj, params string[] names) =>
        TryGet(obj, out var v, names) ? v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.GetRawText() != "0",
            JsonValueKind.String => string.Equals(v.GetString(), "true", StringComparison.OrdinalIgnoreCase),
            _ => null,
        } : null;
}
