using System.Collections.Concurrent;

namespace ModelIde.Hub;

/// <summary>
/// One request as the hub saw it: enough for tests to check what a client sent (never the secret itself). <c>BytesSent</c>
/// counts body bytes the blob host handed to the connection, so a benchmark can tell how much a resumed download fetched twice.
/// </summary>
public sealed record HubRequest(
    DateTimeOffset At,
    string Host,
    string Method,
    string Path,
    string Query,
    bool HasAuthorization,
    bool HasSessionCookie,
    string? Range,
    string? UserAgent,
    int Status,
    long BytesSent = 0);

/// <summary>Requests seen by the API host (<c>Host = "api"</c>) and the blob host (<c>Host = "blob"</c>).</summary>
public sealed class RequestLog
{
    public const string ApiHost = "api";
    public const string BlobHost = "blob";
    private const int Capacity = 20_000;
    private readonly ConcurrentQueue<HubRequest> _entries = new();

    public IReadOnlyList<HubRequest> Entries => _entries.ToArray();

    public IReadOnlyList<HubRequest> Blob => _entries.Where(e => e.Host == BlobHost).ToArray();

    public void Add(HubRequest request)
    {
        _entries.Enqueue(request);
        while (_entries.Count > Capacity && _entries.TryDequeue(out _))
        {
        }
    }

    public void Clear() => _entries.Clear();
}
