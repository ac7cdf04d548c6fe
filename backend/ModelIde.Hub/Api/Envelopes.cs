using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ModelIde.Hub.Api;

/// <summary>The two ModelScope response envelopes (legacy PascalCase, OpenAPI snake_case).</summary>
internal static class Envelopes
{
    /// <summary>Names exactly as written (no camelCase policy); Chinese text unescaped like the real hub.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = null,
        PropertyNameCaseInsensitive = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public const string ModelNotFoundCode = "10010205001";

    public static IResult Legacy(object? data, int httpStatus = 200) =>
        Results.Json(new { Code = 200, Data = data, Message = "success", RequestId = NewRequestId(), Success = true }, Json, statusCode: httpStatus);

    /// <summary>Legacy failure. <paramref name="code"/> may be a long business code (then HTTP is usually 200).</summary>
    public static IResult LegacyError(int httpStatus, object code, string message) =>
        Results.Json(new { Code = code, Data = (object?)null, Message = message, RequestId = NewRequestId(), Success = false }, Json, statusCode: httpStatus);

    /// <summary>OpenAPI success: exactly success/data/message (the request id travels in the x-request-id header).</summary>
    public static IResult OpenApi(object? data) =>
        Results.Json(new { success = true, data, message = "success" }, Json);

    public static IResult OpenApiError(int httpStatus, string code, string message) =>
        Results.Json(new { success = false, code, message }, Json, statusCode: httpStatus);

    /// <summary>An error in the envelope that fits the path (used by auth failures and injected faults).</summary>
    public static IResult ErrorFor(string path, int httpStatus, string code, string message) =>
        path.StartsWith("/api/", StringComparison.Ordinal) ? LegacyError(httpStatus, httpStatus, message) : OpenApiError(httpStatus, code, message);

    private static string NewRequestId() => Guid.NewGuid().ToString();
}
