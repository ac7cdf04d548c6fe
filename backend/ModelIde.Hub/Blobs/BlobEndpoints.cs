using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelIde.Hub.Faults;

namespace ModelIde.Hub.Blobs;

/// <summary>
/// The blob host (a separate listener, like object storage/CDN): serves file bytes for signed URLs only,
/// honours a single <c>Range</c>, and never looks at user credentials.
/// </summary>
internal static class BlobEndpoints
{
    public static void Map(IEndpointRouteBuilder app, HubContext hub)
    {
        app.MapMethods("/blobs/{owner}/{name}/{commit}/{**path}", ["GET", "HEAD"], async (HttpContext http, string owner, string name, string commit, string path) =>
        {
            var model = hub.Catalogue.Find(owner, name);
            var revision = model?.Revision(commit);
            var file = revision?.Find(path);
            long.TryParse(http.Request.Query["expires"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var expires);
            if (model is null || revision is null || file is null
                || !hub.Signer.Verify(model.Id, revision.CommitId, file.Path, expires, http.Request.Query["sig"]))
            {
                http.Response.StatusCode = 403;
                http.Response.ContentType = "text/plain";
                await http.Response.WriteAsync("Signature missing, wrong or expired.", http.RequestAborted);
                return;
            }

            var size = file.Size;
            long start = 0, end = size - 1;
            var rangeHeader = http.Request.Headers.Range.ToString();
            var partial = false;
            if (rangeHeader.Length > 0 && size > 0)
            {
                switch (ParseRange(rangeHeader, size, out start, out end))
                {
                    case RangeResult.Unsatisfiable:
                        http.Response.StatusCode = 416;
                        http.Response.Headers.ContentRange = $"bytes */{size}";
                        return;
                    case RangeResult.Satisfiable:
                        partial = true;
                        break;
                    default:
                        (start, end) = (0, size - 1); // a Range we do not serve (several ranges, bad syntax) is ignored: 200
                        break;
                }
            }

            http.Response.StatusCode = partial ? 206 : 200;
            http.Response.Headers.AcceptRanges = "bytes";
            http.Response.Headers.ETag = $"\"{file.Sha256}\"";
            http.Response.ContentType = "application/octet-stream";
            if (partial)
            {
                http.Response.Headers.ContentRange = $"bytes {start}-{end}/{size}";
            }

            var length = size == 0 ? 0 : end - start + 1;
            http.Response.ContentLength = length;
            if (HttpMethods.IsHead(http.Request.Method) || length == 0)
            {
                return;
            }

            var cut = http.Features.Get<FaultEffects>()?.CutAfterBytes;
            await using var stream = file.Open();
            stream.Seek(start, SeekOrigin.Begin);
            var toSend = cut is { } c ? Math.Min(c, length) : length;
            if (cut is null && http.Response.Body is HubPipeline.ByteCountingStream counted)
            {
                await SendToOutputAsync(stream, toSend, counted, http.RequestAborted);
                return;
            }

            var buffer = new byte[81920];
            while (toSend > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, toSend)), http.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                await http.Response.Body.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
                toSend -= read;
            }

            if (cut is not null && cut < length)
            {
                await http.Response.Body.FlushAsync(http.RequestAborted);
                // Let the partial body leave the socket before the reset, so the client sees headers and some bytes.
                await Task.Delay(250, http.RequestAborted);
                http.Abort(); // the client sees a connection closed mid-body
            }
        });
    }

    /// <summary>
    /// Reads the file straight into the server's output buffers: one copy of every byte fewer than writing a buffer
    /// through the response stream. This host shares the bench machine's two cores with the client it serves (a real
    /// blob host runs elsewhere), so its copies are CPU the client under test does not get; paced and cut responses
    /// keep the stream.
    /// </summary>
    private static async Task SendToOutputAsync(Stream file, long length, HubPipeline.ByteCountingStream counted, CancellationToken cancellationToken)
    {
        const int chunk = 64 << 10;
        var output = counted.Output;
        while (length > 0)
        {
            var memory = output.GetMemory(chunk);
            var read = await file.ReadAsync(memory[..(int)Math.Min(Math.Min(memory.Length, chunk), length)], cancellationToken);
            if (read == 0)
            {
                break;
            }

            output.Advance(read);
            counted.AddWrittenToOutput(read);
            length -= read;
            var flushed = await output.FlushAsync(cancellationToken);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                break;
            }
        }
    }

    internal enum RangeResult
    {
        Ignored,
        Satisfiable,
        Unsatisfiable,
    }

    /// <summary>One range: <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c>; anything else is ignored (RFC 9110 §14.2).</summary>
    internal static RangeResult ParseRange(string header, long size, out long start, out long end)
    {
        start = 0;
        end = size - 1;
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(','))
        {
            return RangeResult.Ignored;
        }

        var spec = header["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return RangeResult.Ignored;
        }

        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return RangeResult.Ignored;
            }

            if (suffix == 0)
            {
                return RangeResult.Unsatisfiable;
            }

            start = Math.Max(0, size - suffix);
            return RangeResult.Satisfiable;
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out start))
        {
            return RangeResult.Ignored;
        }

        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                start = 0;
                end = size - 1;
                return RangeResult.Ignored;
            }

            end = Math.Min(end, size - 1);
        }

        return start >= size ? RangeResult.Unsatisfiable : RangeResult.Satisfiable;
    }
}
