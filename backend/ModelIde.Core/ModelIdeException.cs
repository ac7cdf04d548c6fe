namespace ModelIde.Core;

/// <summary>What kind of failure an operation hit; the sidecar maps each kind to one JSON-RPC error code.</summary>
public enum ModelIdeErrorKind
{
    Unknown = 0,
    /// <summary>Bad input from the user or a caller (wrong argument, malformed file).</summary>
    InvalidInput,
    /// <summary>No token, a wrong token or an expired session: the user must sign in (again).</summary>
    AuthenticationRequired,
    /// <summary>Signed in, but not allowed (private or gated repository).</summary>
    PermissionDenied,
    NotFound,
    /// <summary>429 from the server; <see cref="ModelIdeException.RetryAfter"/> says how long to wait.</summary>
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

/// <summary>An expected failure with a kind the UI can act on and a message a user can read.</summary>
public class ModelIdeException : Exception
{
    public ModelIdeException(ModelIdeErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    public ModelIdeErrorKind Kind { get; }

    /// <summary>Server's error code (ModelScope's business <c>Code</c>, HTTP status, ...) when there is one.</summary>
    public string? ServerCode { get; init; }

    /// <summary>The server's request id, for support.</summary>
    public string? RequestId { get; init; }

    /// <summary>For <see cref="ModelIdeErrorKind.RateLimited"/>: how long the server asked us to wait.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
