using System.Collections.Concurrent;

namespace ModelIde.Hub.Oidc;

/// <summary>
/// The OAuth tokens this hub issued, newest last. Test control only (like <c>POST /_admin/tokens</c>, which mints
/// tokens): a secret sweep needs the values to look for; the hub is loopback-only and its keys die with it.
/// </summary>
public sealed class IssuedTokenLog
{
    private const int Capacity = 1_000;
    private readonly ConcurrentQueue<string> _access = new();
    private readonly ConcurrentQueue<string> _refresh = new();

    public IReadOnlyList<string> AccessTokens => _access.ToArray();

    public IReadOnlyList<string> RefreshTokens => _refresh.ToArray();

    public void Record(string? accessToken, string? refreshToken)
    {
        Add(_access, accessToken);
        Add(_refresh, refreshToken);
    }

    private static void Add(ConcurrentQueue<string> queue, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        queue.Enqueue(token);
        while (queue.Count > Capacity && queue.TryDequeue(out _))
        {
        }
    }
}
