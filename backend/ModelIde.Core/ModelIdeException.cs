namespace ModelIde.Core;

/// <summary>An expected failure with a kind the UI can act on (<see cref="ModelIdeErrorKind"/>, the contract's) and a message a user can read.</summary>
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
