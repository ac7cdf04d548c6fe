namespace ModelIde.Protocol;

/// <summary>Lifecycle methods of the sidecar itself.</summary>
public static class SidecarMethods
{
    /// <summary>First call after start: the hub endpoint and the client's settings; answers with the sidecar's version.</summary>
    [RpcRequest(typeof(InitializeParams), typeof(InitializeResult))]
    public const string Initialize = "sidecar/initialize";

    /// <summary>Cheap liveness check; answers with the process id.</summary>
    [RpcRequest(typeof(PingResult))]
    public const string Ping = "sidecar/ping";

    /// <summary>Echoes the given items; used to measure round trips of large payloads.</summary>
    [RpcRequest(typeof(EchoParams), typeof(EchoParams))]
    public const string Echo = "sidecar/echo";

    /// <summary>The client's log level changed (the output channel's "Set Log Level..."): the sidecar follows it at once.</summary>
    [RpcNotification(typeof(SetLogLevelParams), Direction = RpcDirection.ClientToSidecar)]
    public const string SetLogLevel = "sidecar/setLogLevel";
}

/// <summary>How much the sidecar logs to stderr (the extension's output channel level).</summary>
public enum SidecarLogLevel
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// <param name="LogLevel">The sidecar's log level from now on (as <see cref="SidecarMethods.SetLogLevel"/>).</param>
/// <param name="Locale">The client's UI language (<c>vscode.env.language</c>): the sidecar's UI culture.</param>
public sealed record InitializeParams(string Endpoint, SidecarLogLevel? LogLevel = null, string? Locale = null);

public sealed record InitializeResult(string Version, int ProcessId, string Endpoint);

public sealed record PingResult(int ProcessId, long UptimeMilliseconds);

public sealed record EchoParams(IReadOnlyList<string> Items);

public sealed record SetLogLevelParams(SidecarLogLevel Level);

/// <summary>
/// Application error codes carried in JSON-RPC error responses (JSON-RPC reserves -32768..-32000 for itself;
/// these sit in the server-error range). The error's <c>data</c> is an <see cref="RpcErrorData"/>.
/// </summary>
public static class RpcErrorCodes
{
    /// <summary>A message that could not be read: bad framing (skipped to the next Content-Length header) or not JSON-RPC 2.0; id null.</summary>
    public const int ParseError = -32700;

    /// <summary>A request without a method, or under an id that is still in flight; carries the request's id.</summary>
    public const int InvalidRequest = -32600;

    public const int InvalidParams = -32602;
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

    /// <summary>JSON-RPC's own code for a cancelled request (the LSP convention StreamJsonRpc follows).</summary>
    public const int RequestCancelled = -32800;
}

/// <summary>
/// What kind of failure an operation hit: Core throws it (ModelIdeException), the sidecar sends it in
/// <see cref="RpcErrorData"/>, one application error code per kind.
/// </summary>
public enum ModelIdeErrorKind
{
    Unknown,
    /// <summary>Bad input from the user or a caller (wrong argument, malformed file).</summary>
    InvalidInput,
    /// <summary>No token, a wrong token or an expired session: the user must sign in (again).</summary>
    AuthenticationRequired,
    /// <summary>Signed in, but not allowed (private or gated repository).</summary>
    PermissionDenied,
    NotFound,
    /// <summary>429 from the server; <see cref="RpcErrorData.RetryAfterSeconds"/> says how long to wait.</summary>
    RateLimited,
    /// <summary>5xx or a business error from the hub.</summary>
    ServerError,
    /// <summary>Connection refused, reset, cut mid-body or timed out.</summary>
    Network,
    /// <summary>Downloaded bytes do not match the listed SHA-256, or a file on disk is corrupt.</summary>
    IntegrityFailure,
    /// <summary>A path from a server that would escape its folder, or another hostile value.</summary>
    UnsafeInput,
    /// <summary>Another process or operation holds the resource.</summary>
    Conflict,
    /// <summary>A remote system (SSH host, Slurm, ONNX Runtime) failed.</summary>
    RemoteFailure,
    /// <summary>No space left on the local disk (ENOSPC, quota): the user must free space; what was written is kept.</summary>
    DiskFull,
}

/// <summary>What the extension can act on: sign in again, retry after N seconds, show the request id, trust a host key.</summary>
/// <param name="ServerCode">The server's own code (ModelScope's business code, HTTP status, <c>UnknownHostKey</c>, ...).</param>
/// <param name="Host">With <c>UnknownHostKey</c> and <c>HostKeyMismatch</c>: the SSH host whose key was refused.</param>
/// <param name="Fingerprint">With <c>UnknownHostKey</c> and <c>HostKeyMismatch</c>: the refused key's <c>SHA256:...</c> fingerprint.</param>
public sealed record RpcErrorData(
    ModelIdeErrorKind Kind,
    string? ServerCode = null,
    string? RequestId = null,
    double? RetryAfterSeconds = null,
    string? Host = null,
    int? Port = null,
    string? Fingerprint = null);

/// <summary>The <see cref="RpcErrorData.ServerCode"/> values the extension acts on.</summary>
public static class RpcServerCodes
{
    /// <summary>A first connection to an SSH host whose key is not trusted yet: show the fingerprint, trust, retry.</summary>
    public const string UnknownHostKey = "UnknownHostKey";

    /// <summary>The host's key differs from the trusted one: no one-click trust.</summary>
    public const string HostKeyMismatch = "HostKeyMismatch";
}
