namespace ModelIde.Protocol;

/// <summary>Lifecycle methods of the sidecar itself.</summary>
public static class SidecarMethods
{
    /// <summary>Request. First call after start: endpoint and settings; answers with the sidecar's version.</summary>
    public const string Initialize = "sidecar/initialize";

    /// <summary>Request. Cheap liveness check; answers with the process id.</summary>
    public const string Ping = "sidecar/ping";

    /// <summary>Request. Echoes the given items; used to measure round trips of large payloads.</summary>
    public const string Echo = "sidecar/echo";

    /// <summary>Notification, sidecar → client. One log line, already redacted.</summary>
    public const string Log = "sidecar/log";
}

public sealed record InitializeParams(string Endpoint, string? LogLevel = null, string? Locale = null);

public sealed record InitializeResult(string Version, int ProcessId, string Endpoint);

public sealed record PingResult(int ProcessId, long UptimeMilliseconds);

public sealed record EchoParams(IReadOnlyList<string> Items);

public sealed record LogParams(string Level, string Message);

/// <summary>
/// Application error codes carried in JSON-RPC error responses (JSON-RPC reserves -32768..-32000 for itself;
/// these sit in the server-error range). The error's <c>data</c> is an <see cref="RpcErrorData"/>.
/// </summary>
public static class RpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidInput = -32001;
    public const int AuthenticationRequired = -32002;
    public const int PermissionDenied = -32003;
    public const int NotFound = -32004;
    public const int RateLimited = -32005;
    public const int ServerError = -32006;
    public const int Network = -32007;
    public const int IntegrityFailure = -32008;
    public const int UnsafeInput = -32009;
    public const int Conflict = -32010;
    public const int RemoteFailure = -32011;
    public const int DiskFull = -32012;
    public const int Unknown = -32099;
}

/// <summary>What the extension can act on: sign in again, retry after N seconds, show the request id.</summary>
public sealed record RpcErrorData(string Kind, string? ServerCode = null, string? RequestId = null, double? RetryAfterSeconds = null);
