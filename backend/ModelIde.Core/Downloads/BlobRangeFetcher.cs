using System.Net;
using System.Net.Http.Headers;
using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Core.Downloads;

/// <summary>
/// Opens a (ranged) file body: the first request goes to the hub with credentials; its redirect to the blob host
/// is followed here, not by HttpClient, so the token never goes to another host (see <see cref="ModelScopeApiClient.CreateRequest"/>).
/// </summary>
public sealed class BlobRangeFetcher(ModelScopeApiClient api, HttpClient http)
{
    public const int MaxRedirects = 5;

    /// <summary>
    /// Sends GET with <c>Range: bytes=from-to</c> (none when the whole file is asked for); returns a 200, 206 or 416
    /// response (caller disposes; a 416 says in Content-Range how long the file really is). Other errors come back as
    /// <see cref="ModelIdeException"/> with the right kind for retrying (429/5xx/network). The response's
    /// <c>RequestMessage.RequestUri</c> is the blob URL the hub redirected to.
    /// </summary>
    /// <summary>
    /// Where the hub sends a file: HEAD without following the redirect (as modelscope_hub's <c>_probe_redirect_url</c>
    /// does) and the <c>Location</c> it answers; null when it answers anything else (then the GET to the hub decides, and
    /// reports its errors).
    /// </summary>
    public async Task<Uri?> ResolveAsync(Uri hubUri, CancellationToken cancellationToken)
    {
        using var request = api.CreateRequest(HttpMethod.Head, hubUri);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(api.RequestTimeout);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location)
        {
            return null;
        }

        var uri = location.IsAbsoluteUri ? location : new Uri(hubUri, location);
        return uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps ? uri : null;
    }

    public async Task<HttpResponseMessage> OpenAsync(Uri hubUri, long from, long? to, CancellationToken cancellationToken)
    {
        var uri = hubUri;
        for (var hop = 0; ; hop++)
        {
            using var request = api.CreateRequest(HttpMethod.Get, uri);
            if (from > 0 || to is not null)
            {
                request.Headers.Range = new RangeHeaderValue(from, to);
            }

            HttpResponseMessage response;
            try
            {
                // Bounds the wait for headers only; body reads are watched by the downloader's stall timeout.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(api.RequestTimeout);
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ModelIdeException(ModelIdeErrorKind.Network, $"Could not reach {uri.Host}:{uri.Port}: {ex.Message}", ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ModelIdeException(ModelIdeErrorKind.Network, $"{uri.Host}:{uri.Port} did not answer within {ModelScopeApiClient.Seconds(api.EffectiveTimeout(http))} s.", ex);
            }

            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.Location;
                response.Dispose();
                if (location is null || hop >= MaxRedirects)
                {
                    throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"The hub sent a redirect without a usable target for {hubUri.AbsolutePath}.");
                }

                uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                {
                    throw new ModelIdeException(ModelIdeErrorKind.UnsafeInput, $"The hub redirected a download to a non-HTTP URL ({uri.Scheme}:).");
                }

                continue;
            }

            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                return response;
            }

            try
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                // Reuse the API's error mapping (404/401/403/429/5xx and the envelope message).
                try
                {
                    ApiResponseParser.Unwrap(ApiEnvelope.Legacy, response.StatusCode, body, ModelScopeApiClient.RetryAfterOf(response));
                }
                catch (ModelIdeException ex)
                {
                    // A token revoked while a download runs: the session is reported expired like on any API call.
                    api.NoteRefusal(request, ex);
                    throw;
                }

                throw new ModelIdeException(ModelIdeErrorKind.ServerError, $"Unexpected HTTP {status} for {uri.AbsolutePath}.");
            }
            finally
            {
                response.Dispose();
            }
        }
    }
}
