using System.Buffers;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar;

/// <summary>
/// Header-delimited framing (what vscode-jsonrpc speaks) that survives a malformed message: the sender gets a
/// JSON-RPC parse error (-32700, id null) and the connection stays up. Stock StreamJsonRpc disconnects instead.
/// </summary>
internal sealed class TolerantHeaderDelimitedMessageHandler(Stream sending, Stream receiving, IJsonRpcMessageFormatter formatter)
    : HeaderDelimitedMessageHandler(sending, receiving, formatter)
{
    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await base.ReadCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not ObjectDisposedException && IsParseFailure(ex))
            {
                var error = new JsonRpcError
                {
                    RequestId = RequestId.Null,
                    Error = new JsonRpcError.ErrorDetail
                    {
                        Code = JsonRpcErrorCode.ParseError,
                        Message = "Malformed JSON-RPC message: " + ex.Message,
                    },
                };
                await WriteAsync(error, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsParseFailure(Exception ex) =>
        ex is System.Text.Json.JsonException or BadRpcHeaderException or FormatException or InvalidOperationException or ArgumentException or NotSupportedException
        || ex.InnerException is System.Text.Json.JsonException;
}
