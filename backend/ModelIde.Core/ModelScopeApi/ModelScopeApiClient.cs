using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelIde.Core.ModelScopeApi;

/// <summary>
/// HTTP client for the ModelScope hub API (modelscope.cn, modelscope.ai or the local hub: only the endpoint differs).
/// Handles both envelopes, maps errors to <see cref="ModelIdeException"/>, retries idempotent calls on 429/5xx/network
/// errors honouring Retry-After, and sends credentials only to the endpoint's own host.
/// Feature calls live in partial files beside this one (Users, Models, Files, ...).
/// </summary>
public sealed partial class ModelScopeApiClient
{
    public const string UserAgentPrefix = "modelide/0.1";
    private readonly HttpClient _http;
    private readonly HubSession _session;
    private readonly RetryPolicy _retry;

    public ModelScopeApiClient(HttpClient http, HubSession session, RetryPolicy? retry = null)
    {
        _http = http;
        _session = session;
        _retry = retry ?? RetryPolicy.Default;
    }

    public HubSession Session => _session;

    /// <summary>
    /// How long one attempt may wait for the hub's answer (headers and, for API calls, the body) before it counts as a
    /// network error (retried for idempotent calls). The HttpClient's own <see cref="HttpClient.Timeout"/> still applies.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest API answer read (64 MiB). Measured on the local hub: a page of 50 models is 28 KB, a model's detail
    /// 3.4 KB, a recursive listing 380 B per file; so this holds a listing of about 170,000 files, and a hub that sends
    /// more is refused instead of filling memory.
    /// </summary>
    public long MaxResponseBytes { get; init; } = 64L << 20;

    /// <summary>The shorter of <see cref="RequestTimeout"/> and the HttpClient's timeout, for messages.</summary>
    internal TimeSpan EffectiveTimeout(HttpClient http) => http.Timeout < RequestTimeout ? http.Timeout : RequestTimeout;

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Creates the HttpClient the product uses: no automatic redirects (we decide who gets the token).</summary>
    public static HttpClient CreateHttpClient(TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        };
        return new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(60) };
    }

    /// <summary>
    /// Builds a request to the hub; adds auth only when <paramref name="uri"/> is on the endpoint's host, and refuses
    /// (before any byte is sent) when that would put the token on plain http to another machine without the user's opt-in.
    /// </summary>
    public HttpRequestMessage CreateRequest(HttpMethod method, Uri uri, string? tokenOverride = null)
    {
        var token = tokenOverride ?? _session.AccessToken;
        var withToken = token is not null && IsSameHost(uri, _session.Endpoint);
        if (withToken)
        {
            _session.PlainHttp.EnsureMaySendCredentials(uri, "your ModelScope token");
        }

        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgentPrefix);
        // For correlating logs, as the SDK's uuid4().hex: 32 hex digits from a seeded generator, not a system call per request.
        request.Headers.TryAddWithoutValidation("X-Request-ID", Random.Shared.GetHexString(32, lowercase: true));
        if (withToken && token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.TryAddWithoutValidation("Cookie", $"m_session_id={token}");
        }

        return request;
    }

    /// <summary>
    /// Tells the session when the hub refused the credentials a request carried, so the signed-in session can be
    /// reported as expired once (see <see cref="HubSession.Rejected"/>). Other errors and anonymous requests are ignored.
    /// </summary>
    public void NoteRefusal(HttpRequestMessage request, ModelIdeException error)
    {
        if (error.Kind == ModelIdeErrorKind.AuthenticationRequired && request.Headers.Authorization is { Parameter: { } sent })
        {
            _session.ReportRejected(sent, error.Message);
        }
    }

    public Uri Url(string relative) => new(_session.Endpoint, relative.TrimStart('/'));

    public static bool IsSameHost(Uri a, Uri b) =>
        string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port && a.Scheme == b.Scheme;

    /// <summary>GET an <c>/openapi/v1</c> path and return the unwrapped <c>data</c>.</summary>
    public Task<JsonElement> GetOpenApiAsync(string relative, CancellationToken cancellationToken, string? tokenOverride = null) =>
        SendAsync(HttpMethod.Get, relative, body: null, ApiEnvelope.OpenApi, idempotent: true, tokenOverride, cancellationToken);

    /// <summary>Call a legacy <c>/api/v1</c> path and return the unwrapped <c>Data</c>.</summary>
    public Task<JsonElement> SendLegacyAsync(HttpMethod method, string relative, JsonNode? body, CancellationToken cancellationToken, string? tokenOverride = null) =>
        SendAsync(method, relative, body, ApiEnvelope.Legacy, idempotent: method != HttpMethod.Post, tokenOverride, cancellationToken);

    private async Task<JsonElement> SendAsync(HttpMethod method, string relative, JsonNode? body, ApiEnvelope envelope, bool idempotent, string? tokenOverride, CancellationToken cancellationToken)
    {
        var uri = Url(relative);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = CreateRequest(method, uri, tokenOverride);
                if (body is not null)
                {
                    request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(RequestTimeout);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                var root = await ReadJsonBodyAsync(response, uri, timeout.Token).ConfigureAwait(false);
                try
                {
                    return ApiResponseParser.Unwrap(envelope, response.StatusCode, root, RetryAfterOf(response), HeaderRequestId(response));
                }
                catch (ModelIdeException ex)
                {
                    NoteRefusal(request, ex);
                    throw;
                }
            }
            catch (ModelIdeException ex) when (idempotent && _retry.ShouldRetry(ex, attempt))
            {
                await Task.Delay(_retry.DelayFor(ex, attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
            {
                var wrapped = new ModelIdeException(ModelIdeErrorKind.Network, $"Could not reach {uri.Host}:{uri.Port}: {ex.Message}", ex);
                if (!idempotent || !_retry.ShouldRetry(wrapped, attempt))
                {
                    throw wrapped;
                }

                await Task.Delay(_retry.DelayFor(wrapped, attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Our RequestTimeout or HttpClient.Timeout fired, not the caller's token.
                var wrapped = new ModelIdeException(ModelIdeErrorKind.Network, $"{uri.Host}:{uri.Port} did not answer within {Seconds(EffectiveTimeout(_http))} s.", ex);
                if (!idempotent || !_retry.ShouldRetry(wrapped, attempt))
                {
                    throw wrapped;
                }

                await Task.Delay(_retry.DelayFor(wrapped, attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Reads an API answer into one buffer of at most <see cref="MaxResponseBytes"/> (sized from Content-Length when
    /// sent) and parses it in place; null when the body is empty or not JSON. No string copy, no second buffer.
    /// </summary>
    private async Task<JsonElement?> ReadJsonBodyAsync(HttpResponseMessage response, Uri uri, CancellationToken cancellationToken)
    {
        var declared = response.Content.Headers.ContentLength;
        if (declared > MaxResponseBytes)
        {
            throw TooLarge(uri, declared.Value);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[declared is { } d ? (int)d : 16 * 1024];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (declared is not null || length >= MaxResponseBytes)
                    {
                        // The declared length is read; or no length was sent and the cap is reached: one more byte decides.
                        var probe = new byte[1];
                        if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) == 0)
                        {
                            break;
                        }

                        throw TooLarge(uri, null);
                    }

                    Array.Resize(ref buffer, (int)Math.Min(MaxResponseBytes, (long)buffer.Length * 2));
                }

                var n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                length += n;
            }

            if (length == 0)
            {
                return null;
            }

            try
            {
                // Not disposed: the element handed back lives on in the caller, and Clone() would copy the body again.
                var document = JsonDocument.Parse(buffer.AsMemory(0, length));
                return document.RootElement;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    private ModelIdeException TooLarge(Uri uri, long? declared) => new(
        ModelIdeErrorKind.UnsafeInput,
        $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)} answered {uri.AbsolutePath} with " +
        (declared is { } d ? $"{FormatMegabytes(d)} MB" : $"more than {FormatMegabytes(MaxResponseBytes)} MB") +
        $"; an API answer larger than {FormatMegabytes(MaxResponseBytes)} MB is not read (a page of models is well under 1 MB). Is this the right hub?");

    private static string FormatMegabytes(long bytes) => (bytes / 1048576.0).ToString("#,0.#", CultureInfo.InvariantCulture);

    public static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string? HeaderRequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-request-id", out var values) ? values.FirstOrDefault() : null;
}

public enum ApiEnvelope
{
    /// <summary><c>{"Code":200,"Data":...,"Message":"success","RequestId":"...","Success":true}</c></summary>
    Legacy,
    /// <summary><c>{"success":true,"data":{...},"message":"..."}</c></summary>
    OpenApi,
}

/// <summary>Parses both ModelScope envelopes, including business errors sent with HTTP 200.</summary>
public static class ApiResponseParser
{
    private static readonly string[] s_messageKeys = ["message", "Message", "msg", "Msg", "error", "Error", "detail", "Detail"];
    private static readonly string[] s_requestIdKeys = ["request_id", "requestId", "RequestId"];

    public static JsonElement Unwrap(ApiEnvelope envelope, HttpStatusCode status, string body, TimeSpan? retryAfter = null, string? headerRequestId = null)
    {
        JsonElement? root = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                root = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                root = null;
            }
        }

        return Unwrap(envelope, status, root, retryAfter, headerRequestId);
    }

    /// <summary>As above, for a body already parsed (null: empty or not JSON).</summary>
    public static JsonElement Unwrap(ApiEnvelope envelope, HttpStatusCode status, JsonElement? body, TimeSpan? retryAfter = null, string? headerRequestId = null)
    {
        var parsed = body is not null;
        var root = body ?? default;
        var requestId = (parsed ? FirstString(root, s_requestIdKeys) : null) ?? headerRequestId;
        var message = parsed ? FirstString(root, s_messageKeys) : null;
        var code = parsed ? CodeOf(root) : null;

        if ((int)status >= 400)
        {
            throw ErrorFor(status, message, code, requestId, retryAfter);
        }

        if (!parsed || root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"The hub answered HTTP {(int)status} with a body that is not a JSON object.") { RequestId = requestId };
        }

        if (envelope == ApiEnvelope.Legacy)
        {
            // Success is Code == 200 (and Success when present). A business failure comes with HTTP 200.
            var ok = code == "200" && (!TryGet(root, "Success", out var s) || s.ValueKind != JsonValueKind.False);
            if (!ok)
            {
                throw BusinessError(message, code, requestId);
            }

            return TryGet(root, "Data", out var data) ? data : default;
        }

        if (TryGet(root, "success", out var success) && success.ValueKind == JsonValueKind.False)
        {
            throw BusinessError(message, code, requestId);
        }

        if (TryGet(root, "data", out var openData))
        {
            return openData;
        }

        return TryGet(root, "Data", out var legacyData) ? legacyData : default;
    }

    private static ModelIdeException BusinessError(string? message, string? code, string? requestId)
    {
        var text = TranslateKnownMessage(message) ?? "The hub reported an error.";
        var kind = code switch
        {
            "401" or "10010101002" => ModelIdeErrorKind.AuthenticationRequired,
            "403" => ModelIdeErrorKind.PermissionDenied,
            "404" => ModelIdeErrorKind.NotFound,
            _ when text.Contains("not logged in", StringComparison.OrdinalIgnoreCase) => ModelIdeErrorKind.AuthenticationRequired,
            _ when text.Contains("does not exist", StringComparison.OrdinalIgnoreCase) => ModelIdeErrorKind.NotFound,
            _ => ModelIdeErrorKind.ServerError,
        };
        return new ModelIdeException(kind, code is null ? text : $"{text} (code {code})") { ServerCode = code, RequestId = requestId };
    }

    public static ModelIdeException ErrorFor(HttpStatusCode status, string? message, string? code, string? requestId, TimeSpan? retryAfter)
    {
        var detail = TranslateKnownMessage(message);
        var n = (int)status;
        var (kind, text) = n switch
        {
            401 => (ModelIdeErrorKind.AuthenticationRequired, "The hub did not accept the token: sign in again."),
            403 => (ModelIdeErrorKind.PermissionDenied, "Access denied: this account may not see this repository."),
            404 => (ModelIdeErrorKind.NotFound, "Not found (a private repository also looks like this when signed out)."),
            429 => (ModelIdeErrorKind.RateLimited, retryAfter is { } ra
                ? $"The hub is rate limiting requests; retry after {ra.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s."
                : "The hub is rate limiting requests; retry later."),
            >= 500 => (ModelIdeErrorKind.ServerError, $"The hub had a server error (HTTP {n})."),
            _ => (ModelIdeErrorKind.InvalidInput, $"The hub rejected the request (HTTP {n})."),
        };
        if (!string.IsNullOrWhiteSpace(detail))
        {
            text = $"{text} {detail}";
        }

        return new ModelIdeException(kind, text) { ServerCode = code ?? n.ToString(CultureInfo.InvariantCulture), RequestId = requestId, RetryAfter = retryAfter };
    }

    // The hub answers some errors in Chinese; show both so a user can search for either.
    private static string? TranslateKnownMessage(string? message) => message switch
    {
        null => null,
        var m when m.Contains("用户未登录", StringComparison.Ordinal) => $"{m} (not logged in)",
        var m when m.Contains("模型不存在", StringComparison.Ordinal) => $"{m} (model does not exist)",
        var m => m,
    };

    private static string? CodeOf(JsonElement root)
    {
        foreach (var key in new[] { "Code", "code" })
        {
            if (TryGet(root, key, out var code))
            {
                return code.ValueKind switch
                {
                    JsonValueKind.Number => code.GetRawText(),
                    JsonValueKind.String => code.GetString(),
                    _ => null,
                };
            }
        }

        return null;
    }

    private static string? FirstString(JsonElement root, string[] keys)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var key in keys)
        {
            if (root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
            {
                return value.GetString();
            }
        }

        return null;
    }

    private static bool TryGet(JsonElement root, string name, out JsonElement value)
    {
        value = default;
        return root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out value);
    }
}

/// <summary>Retries for idempotent calls: exponential backoff, Retry-After honoured, capped.</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static RetryPolicy Default { get; } = new(5, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));

    public static RetryPolicy None { get; } = new(1, TimeSpan.Zero, TimeSpan.Zero);

    public bool ShouldRetry(ModelIdeException error, int attempt) =>
        attempt < MaxAttempts && error.Kind is ModelIdeErrorKind.RateLimited or ModelIdeErrorKind.ServerError or ModelIdeErrorKind.Network
        && !(error.Kind == ModelIdeErrorKind.ServerError && error.ServerCode is { Length: > 3 });

    public TimeSpan DelayFor(ModelIdeException error, int attempt)
    {
        if (error.RetryAfter is { } ra)
        {
            return ra < MaxDelay ? ra : MaxDelay;
        }

        var backoff = BaseDelay * Math.Pow(2, attempt - 1);
        return backoff < MaxDelay ? backoff : MaxDelay;
    }
}
