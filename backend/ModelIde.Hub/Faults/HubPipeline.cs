using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ModelIde.Hub.Api;

namespace ModelIde.Hub.Faults;

/// <summary>Middleware shared by both hosts: request log first, then injected faults.</summary>
internal static class HubPipeline
{
    public static void UseRequestLogAndFaults(this IApplicationBuilder app, HubContext hub, string host)
    {
        app.Use(async (http, next) =>
        {
            var path = http.Request.Path.Value ?? "/";
            if (path.StartsWith("/_admin", StringComparison.Ordinal))
            {
                await next(http);
                return;
            }

            http.Response.Headers["x-request-id"] = Guid.NewGuid().ToString();
            try
            {
                var effects = hub.Faults.Take(http.Request.Method, path, path + http.Request.QueryString.Value);
                http.Features.Set(effects);
                if (effects.DelayMs > 0)
                {
                    await Task.Delay(effects.DelayMs, http.RequestAborted);
                }

                if (effects.Status is { } status)
                {
                    if (effects.RetryAfterSeconds is { } retryAfter)
                    {
                        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    if (host == RequestLog.BlobHost)
                    {
                        http.Response.StatusCode = status;
                        http.Response.ContentType = "text/plain";
                        await http.Response.WriteAsync($"Injected fault: HTTP {status}.", http.RequestAborted);
                    }
                    else
                    {
                        await Envelopes.ErrorFor(path, status, status == 429 ? "TooManyRequests" : "ServerError", $"Injected fault: HTTP {status}.").ExecuteAsync(http);
                    }

                    return;
                }

                await next(http);
            }
            finally
            {
                hub.Log.Add(new HubRequest(
                    DateTimeOffset.UtcNow,
                    host,
                    http.Request.Method,
                    path,
                    http.Request.QueryString.Value ?? "",
                    http.Request.Headers.Authorization.Count > 0,
                    http.Request.Cookies.ContainsKey("m_session_id") || http.Request.Cookies.ContainsKey("modelscope_session"),
                    http.Request.Headers.Range.Count > 0 ? http.Request.Headers.Range.ToString() : null,
                    http.Request.Headers.UserAgent.Count > 0 ? http.Request.Headers.UserAgent.ToString() : null,
                    http.Response.StatusCode));
            }
        });
    }
}
