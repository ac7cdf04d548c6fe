using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelIde.Protocol;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar;

/// <summary>
/// Header-delimited framing (what vscode-jsonrpc speaks) that survives whatever arrives: a message it cannot read gets
/// one JSON-RPC error (-32700 or -32600) and the connection stays up, where stock StreamJsonRpc disconnects, or (on a
/// bad header) fails on the same unread bytes forever. Writing is the stock handler's.
/// </summary>
/// <remarks>
/// A header without a usable Content-Length leaves the body's end unknown: the reader then skips to the next
/// "Content-Length:" and answers that stretch of input with one error, however many frames it held. A body is copied out
/// of the pipe before it is parsed (the parsed message may keep it), and capped at <see cref="MaxContentBytes"/>.
/// </remarks>
internal sealed class TolerantHeaderDelimitedMessageHandler(Stream sending, Stream receiving, IJsonRpcMessageFormatter formatter, ILogger? log = null)
    : HeaderDelimitedMessageHandler(sending, receiving, formatter)
{
    /// <summary>The largest body read; a longer one is skipped unread (the extension's messages are far smaller).</summary>
    internal const int MaxContentBytes = 64 * 1024 * 1024;

    /// <summary>The longest header block (all its lines); real headers are under 100 bytes.</summary>
    internal const int MaxHeaderBytes = 8 * 1024;

    private static readonly byte[] s_contentLength = "Content-Length:"u8.ToArray();

    private readonly ILogger _log = log ?? NullLogger.Instance;

    // Requests read and not yet answered, by id, with their method: a second request under an id still in flight is
    // refused (StreamJsonRpc would fail it with an internal error and lose the first one's cancellation), and an error
    // StreamJsonRpc writes about the params can name the method.
    private readonly ConcurrentDictionary<RequestId, string> _inFlight = new();

    // The reader's own refusals: one refusing a duplicate id must not end the original request's time in flight.
    private readonly ConcurrentDictionary<JsonRpcMessage, byte> _refusals = new(ReferenceEqualityComparer.Instance);

    // After a frame whose end is unknown: skipping to the next "Content-Length:" (the error already sent) until a header
    // with a usable length is read.
    private bool _skipping;

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        var reader = Reader ?? throw new InvalidOperationException("This handler cannot read.");
        while (true)
        {
            if (_skipping && !await SkipToNextHeaderAsync(reader, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var header = await ReadHeaderAsync(reader, cancellationToken).ConfigureAwait(false);
            if (header.EndOfStream)
            {
                return null;
            }

            if (header.ContentLength is not null)
            {
                _skipping = false;
            }

            if (header.ContentLength is not { } length)
            {
                // The body's end is unknown: whatever follows, up to the next header, is this frame's. One error per
                // stretch of such input, however many headers inside it fail too.
                if (!_skipping)
                {
                    await RefuseAsync(RequestId.Null, (JsonRpcErrorCode)RpcErrorCodes.ParseError, header.Problem! + "; skipped to the next Content-Length header", cancellationToken).ConfigureAwait(false);
                }

                _skipping = true;
                continue;
            }

            if (length > MaxContentBytes || header.Problem is not null)
            {
                await SkipAsync(reader, length, cancellationToken).ConfigureAwait(false);
                await RefuseAsync(RequestId.Null, (JsonRpcErrorCode)RpcErrorCodes.ParseError,
                    header.Problem ?? $"a message of {length:N0} bytes is over the limit of {MaxContentBytes:N0}; it was skipped", cancellationToken).ConfigureAwait(false);
                continue;
            }

            var body = await ReadBodyAsync(reader, length, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return null;
            }

            JsonRpcMessage message;
            try
            {
                message = Formatter.Deserialize(new ReadOnlySequence<byte>(body));
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                await RefuseAsync(RequestId.Null, (JsonRpcErrorCode)RpcErrorCodes.ParseError, RpcErrorText.Describe(ex), cancellationToken).ConfigureAwait(false);
                continue;
            }

            switch (message)
            {
                case JsonRpcRequest { Method: null or "" } request:
                    if (!request.RequestId.IsEmpty)
                    {
                        await RefuseAsync(request.RequestId, (JsonRpcErrorCode)RpcErrorCodes.InvalidRequest, "the request names no method", cancellationToken).ConfigureAwait(false);
                    }

                    continue;
                case JsonRpcRequest { IsResponseExpected: true } request when !_inFlight.TryAdd(request.RequestId, request.Method):
                    await RefuseAsync(request.RequestId, (JsonRpcErrorCode)RpcErrorCodes.InvalidRequest,
                        $"a request with id {request.RequestId} is still in progress; ids must be unique among requests in flight", cancellationToken).ConfigureAwait(false);
                    continue;
                case JsonRpcResult or JsonRpcError:
                    // The sidecar sends the extension no requests, so no answer is awaited (StreamJsonRpc would disconnect).
                    _log.LogWarning("Ignored a JSON-RPC response from the client: the sidecar sends it no requests.");
                    continue;
                default:
                    return message;
            }
        }
    }

    protected override void Write(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        if (_refusals.TryRemove(content, out _))
        {
            // Written as it is.
        }
        else if (content is JsonRpcError { RequestId.IsEmpty: false } error && _inFlight.TryRemove(error.RequestId, out var method))
        {
            content = RpcErrorText.WithoutInternals(error, method);
        }
        else if (content is JsonRpcResult result)
        {
            _inFlight.TryRemove(result.RequestId, out _);
        }

        base.Write(content, cancellationToken);
    }

    private async ValueTask RefuseAsync(RequestId id, JsonRpcErrorCode code, string problem, CancellationToken cancellationToken)
    {
        _log.LogWarning("Refused a JSON-RPC message from the client: {Problem}", problem);
        var error = new JsonRpcError
        {
            RequestId = id,
            Error = new JsonRpcError.ErrorDetail
            {
                Code = code,
                Message = (code == (JsonRpcErrorCode)RpcErrorCodes.ParseError ? "Malformed JSON-RPC message: " : "Invalid JSON-RPC request: ") + problem,
            },
        };
        _refusals[error] = 0;
        await WriteAsync(error, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A header block: its Content-Length when it had a usable one, else (or for another fault) the problem.</summary>
    private readonly record struct Header(bool EndOfStream, int? ContentLength, string? Problem);

    // Reads one header block. Nothing is consumed until the block is whole and good; a bad one consumes only its first
    // byte, so the search for the next header starts inside it (a wrong length upstream can glue the rest of a body to
    // the front of a good header: "...}Content-Length: 49").
    private static async ValueTask<Header> ReadHeaderAsync(System.IO.Pipelines.PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var header = ParseHeader(buffer, out var end);
            if (header is null)
            {
                if (result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.End);
                    return new Header(true, null, null);
                }

                if (buffer.Length > MaxHeaderBytes)
                {
                    header = new Header(false, null, $"no header end within {MaxHeaderBytes:N0} bytes");
                }
                else
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
            }

            reader.AdvanceTo(header.Value.ContentLength is null ? buffer.GetPosition(1) : end);
            return header.Value;
        }
    }

    // The header block at the start of the buffer; null when more input is needed to tell.
    private static Header? ParseHeader(ReadOnlySequence<byte> buffer, out SequencePosition end)
    {
        end = buffer.Start;
        int? length = null;
        string? problem = null;
        var lines = new SequenceReader<byte>(buffer);
        while (true)
        {
            if (!lines.TryReadTo(out ReadOnlySequence<byte> lineBytes, (byte)'\n'))
            {
                // An unfinished line that already cannot be a header need not wait for its end.
                var partial = Encoding.UTF8.GetString(buffer.Slice(lines.Position));
                var colon = partial.IndexOf(':', StringComparison.Ordinal);
                return IsToken(colon < 0 ? partial : partial[..colon]) ? null : new Header(false, null, $"'{Shorten(partial)}' is not a header line");
            }

            var line = Encoding.UTF8.GetString(lineBytes).TrimEnd('\r');
            if (line.Length == 0)
            {
                // The blank line that ends the block (also without the \r vscode-jsonrpc writes: nothing is lost by it).
                end = lines.Position;
                return length is null
                    ? new Header(false, null, problem ?? "the header has no Content-Length")
                    : new Header(false, length, problem);
            }

            var separator = line.IndexOf(':', StringComparison.Ordinal);
            if (separator <= 0 || !IsToken(line.AsSpan(0, separator)))
            {
                // Not "Name: value": the body of a message sent without a header, or garbage.
                return new Header(false, null, $"'{Shorten(line)}' is not a header line");
            }

            var name = line[..separator];
            var value = line[(separator + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
                {
                    return new Header(false, null, $"Content-Length '{Shorten(value)}' is not a positive whole number");
                }

                length = n;
            }
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && CharsetOf(value) is { } charset
                     && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                problem = $"charset '{Shorten(charset)}' is not supported (only utf-8); the message was skipped";
            }
        }
    }

    // The body, copied out of the pipe; null when the input ends inside it.
    private static async ValueTask<byte[]?> ReadBodyAsync(System.IO.Pipelines.PipeReader reader, int length, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.Buffer.Length >= length)
            {
                var body = result.Buffer.Slice(0, length).ToArray();
                reader.AdvanceTo(result.Buffer.GetPosition(length));
                return body;
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(result.Buffer.End);
                return null;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    // Consumes length bytes without keeping them.
    private static async ValueTask SkipAsync(System.IO.Pipelines.PipeReader reader, long length, CancellationToken cancellationToken)
    {
        while (length > 0)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var take = Math.Min(length, result.Buffer.Length);
            reader.AdvanceTo(result.Buffer.GetPosition(take));
            length -= take;
            if (result.IsCompleted && length > 0)
            {
                return;
            }
        }
    }

    // Consumes input up to the next "Content-Length:" (kept for the header reader); false when the input ends first.
    private async ValueTask<bool> SkipToNextHeaderAsync(System.IO.Pipelines.PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var scan = new SequenceReader<byte>(buffer);
            if (scan.TryReadTo(out ReadOnlySequence<byte> _, s_contentLength, advancePastDelimiter: false))
            {
                reader.AdvanceTo(scan.Position);
                return true;
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return false;
            }

            // Keep a tail that could be the start of the name, split across reads.
            var keep = Math.Min(buffer.Length, s_contentLength.Length - 1);
            reader.AdvanceTo(buffer.GetPosition(buffer.Length - keep), buffer.End);
        }
    }

    private static string? CharsetOf(string contentType)
    {
        foreach (var part in contentType.Split(';'))
        {
            var kv = part.Trim();
            if (kv.StartsWith("charset=", StringComparison.OrdinalIgnoreCase))
            {
                return kv["charset=".Length..].Trim('"', ' ');
            }
        }

        return null;
    }

    // An HTTP header name (RFC 9110 token): what separates a header line from a JSON body.
    private static bool IsToken(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (c <= ' ' || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string text) => RpcErrorText.Shorten(text);
}
