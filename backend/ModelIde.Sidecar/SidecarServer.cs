using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModelIde.Core;
using ModelIde.Core.Diagnostics;
using ModelIde.Protocol;
using ModelIde.Sidecar.Rpc;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar;

/// <summary>Attaches the sidecar's handlers to a pair of streams (stdio in production, an in-memory pipe in tests).</summary>
public static class SidecarServer
{
    public static JsonRpc Attach(Stream sending, Stream receiving, SidecarContext context)
    {
        var formatter = new SystemTextJsonFormatter();
        ConfigureJson(formatter.JsonSerializerOptions);
        var log = context.Logging.Factory.CreateLogger(typeof(SidecarServer));
        var handler = new TolerantHeaderDelimitedMessageHandler(sending, receiving, formatter, log);
        var rpc = new SidecarJsonRpc(handler, log);
        rpc.Disconnected += (_, e) =>
        {
            // The end of the input is the usual way to stop; anything else is said, or the sidecar would vanish silently.
            if (e.Reason is DisconnectedReason.RemotePartyTerminated or DisconnectedReason.LocallyDisposed)
            {
                log.LogDebug("Connection closed: {Reason}.", e.Reason);
            }
            else
            {
                log.LogError(e.Exception, "Connection lost: {Reason}: {Description}", e.Reason, e.Description);
            }
        };
        foreach (var target in RpcTargetCatalog.CreateAll(context))
        {
            // Expose the concrete type: the generic overload would expose only IRpcTarget (no methods).
            rpc.AddLocalRpcTarget(target.GetType(), target, new JsonRpcTargetOptions { DisposeOnDisconnect = true });
        }

        context.Notifier = new JsonRpcClientNotifier(rpc);
        rpc.StartListening();
        return rpc;
    }

    public static void ConfigureJson(JsonSerializerOptions options) => ProtocolJson.Configure(options);

    /// <summary>
    /// Maps failures to application error codes in one place (nothing else leaks internals) and logs each one there,
    /// once, with its stack; at debug level, every request and how long it took.
    /// </summary>
    private sealed class SidecarJsonRpc(IJsonRpcMessageHandler handler, ILogger log) : JsonRpc(handler)
    {
        protected override async ValueTask<JsonRpcMessage> DispatchRequestAsync(JsonRpcRequest request, TargetMethod targetMethod, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var answer = await base.DispatchRequestAsync(request, targetMethod, cancellationToken).ConfigureAwait(false);
            if (log.IsEnabled(LogLevel.Debug))
            {
                log.LogDebug("{Method} {Outcome} in {Milliseconds:F1} ms", request.Method, answer is JsonRpcError ? "failed" : "answered", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return answer;
        }

        protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception)
        {
            var ex = exception;
            if (ex is AggregateException { InnerExceptions.Count: 1 } agg)
            {
                ex = agg.InnerExceptions[0];
            }

            var detail = Map(request, ex);
            switch (ex)
            {
                case OperationCanceledException:
                    log.LogDebug("{Method} was cancelled.", request.Method);
                    break;
                case ModelIdeException mie:
                    log.LogWarning(ex, "{Method} failed: {Kind} (error {Code}).", request.Method, mie.Kind, (int)detail.Code);
                    break;
                case LocalRpcException or RpcArgumentDeserializationException or JsonException or ArgumentException or UriFormatException:
                    log.LogWarning(ex, "{Method} was refused (error {Code}).", request.Method, (int)detail.Code);
                    break;
                default:
                    log.LogError(ex, "{Method} failed unexpectedly (error {Code}).", request.Method, (int)detail.Code);
                    break;
            }

            return detail;
        }

        private JsonRpcError.ErrorDetail Map(JsonRpcRequest request, Exception ex)
        {
            return ex switch
            {
                ModelIdeException mie => new JsonRpcError.ErrorDetail
                {
                    Code = (JsonRpcErrorCode)RpcErrors.CodeFor(mie.Kind),
                    Message = SecretRedactor.Redact(mie.Message),
                    Data = ErrorData(mie),
                },
                OperationCanceledException => new JsonRpcError.ErrorDetail
                {
                    Code = JsonRpcErrorCode.RequestCanceled,
                    Message = "The operation was cancelled.",
                },
                LocalRpcException => base.CreateErrorDetails(request, ex),
                RpcArgumentDeserializationException or System.Text.Json.JsonException => new JsonRpcError.ErrorDetail
                {
                    Code = JsonRpcErrorCode.InvalidParams,
                    Message = SecretRedactor.Redact($"Invalid parameters for {request.Method}: {RpcErrorText.Describe(ex)}."),
                },

                // What .NET's path and URI parsing refuse (a NUL in a path, a malformed URL): the input, not the sidecar.
                ArgumentException or UriFormatException => new JsonRpcError.ErrorDetail
                {
                    Code = (JsonRpcErrorCode)RpcErrorCodes.InvalidInput,
                    Message = SecretRedactor.Redact($"Invalid input for {request.Method}: {RpcErrorText.Describe(ex)}."),
                    Data = new RpcErrorData(ModelIdeErrorKind.InvalidInput),
                },
                _ => new JsonRpcError.ErrorDetail
                {
                    Code = (JsonRpcErrorCode)RpcErrorCodes.Unknown,
                    Message = SecretRedactor.Redact($"{request.Method} failed: {ex.Message}"),
                    Data = new RpcErrorData(ModelIdeErrorKind.Unknown),
                },
            };
        }
    }

    private static RpcErrorData ErrorData(ModelIdeException ex)
    {
        var data = new RpcErrorData(ex.Kind, ex.ServerCode, ex.RequestId, ex.RetryAfter?.TotalSeconds);
        return ex is Core.Jobs.HostKeyRejectedException key
            ? data with { Host = key.Host, Port = key.Port, Fingerprint = key.Fingerprint }
            : data;
    }

    private sealed class JsonRpcClientNotifier(JsonRpc rpc) : IClientNotifier
    {
        public Task NotifyAsync(string method, object? argument) =>
            rpc.IsDisposed ? Task.CompletedTask : rpc.NotifyWithParameterObjectAsync(method, argument);
    }
}

public static class RpcErrors
{
    public static int CodeFor(ModelIdeErrorKind kind) => kind switch
    {
        ModelIdeErrorKind.InvalidInput => RpcErrorCodes.InvalidInput,
        ModelIdeErrorKind.AuthenticationRequired => RpcErrorCodes.AuthenticationRequired,
        ModelIdeErrorKind.PermissionDenied => RpcErrorCodes.PermissionDenied,
        ModelIdeErrorKind.NotFound => RpcErrorCodes.NotFound,
        ModelIdeErrorKind.RateLimited => RpcErrorCodes.RateLimited,
        ModelIdeErrorKind.ServerError => RpcErrorCodes.ServerError,
        ModelIdeErrorKind.Network => RpcErrorCodes.Network,
        ModelIdeErrorKind.IntegrityFailure => RpcErrorCodes.IntegrityFailure,
        ModelIdeErrorKind.UnsafeInput => RpcErrorCodes.UnsafeInput,
        ModelIdeErrorKind.Conflict => RpcErrorCodes.Conflict,
        ModelIdeErrorKind.RemoteFailure => RpcErrorCodes.RemoteFailure,
        ModelIdeErrorKind.DiskFull => RpcErrorCodes.DiskFull,
        _ => RpcErrorCodes.Unknown,
    };
}
