using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ModelIde.Hub.Auth;

public sealed record HubUser(string UserName, string Email, string Id, string Password);

public enum TokenState
{
    Missing,
    Valid,
    Expired,
    Unknown,
}

/// <summary>Seeded users and their SDK access tokens (<c>ms-...</c>), plus the derived git tokens.</summary>
public sealed class HubUsers
{
    public const string ExpiredUserToken = "ms-expired-0000000000";

    private readonly ConcurrentDictionary<string, HubUser> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string User, DateTimeOffset? ExpiresAt)> _tokens = new(StringComparer.Ordinal);
    private readonly byte[] _gitKey = RandomNumberGenerator.GetBytes(32);

    public HubUsers(LocalHubOptions options)
    {
        Add(new HubUser("demo", "demo@modelide.local", "10001", options.DemoPassword), options.DemoToken, null);
        // A second user whose only token has already expired, so clients can test the "expired" path.
        Add(new HubUser("expired", "expired@modelide.local", "10002", "expired-password"), ExpiredUserToken, DateTimeOffset.UnixEpoch);
    }

    public HubUser? Find(string userName) => _users.TryGetValue(userName, out var user) ? user : null;

    public void Add(HubUser user, string token, DateTimeOffset? expiresAt)
    {
        _users[user.UserName] = user;
        _tokens[token] = (user.UserName, expiresAt);
    }

    /// <summary>Issues a new SDK token for an existing user.</summary>
    public string IssueToken(string userName, TimeSpan? lifetime = null)
    {
        if (!_users.ContainsKey(userName))
        {
            throw new ArgumentException($"No user '{userName}'.", nameof(userName));
        }

        var token = "ms-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _tokens[token] = (userName, lifetime is { } l ? DateTimeOffset.UtcNow + l : null);
        return token;
    }

    /// <summary>Makes a token expired from now on; returns false when it is unknown.</summary>
    public bool ExpireToken(string token)
    {
        if (!_tokens.TryGetValue(token, out var entry))
        {
            return false;
        }

        _tokens[token] = (entry.User, DateTimeOffset.UtcNow.AddSeconds(-1));
        return true;
    }

    public (TokenState State, HubUser? User) Check(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (TokenState.Missing, null);
        }

        if (_tokens.TryGetValue(token, out var entry) && _users.TryGetValue(entry.User, out var user))
        {
            return entry.ExpiresAt is { } at && at <= DateTimeOffset.UtcNow ? (TokenState.Expired, user) : (TokenState.Valid, user);
        }

        return (TokenState.Unknown, null);
    }

    /// <summary>Checks a git password: the user's git token, or (like the new SDK's fallback) a valid SDK token of that user.</summary>
    public HubUser? CheckGitPassword(string userName, string password)
    {
        foreach (var candidate in _users.Values)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(GitTokenFor(candidate.UserName)), Encoding.ASCII.GetBytes(password)))
            {
                return candidate;
            }
        }

        var (state, user) = Check(password);
        _ = userName; // ModelScope uses the fixed user name "oauth2"; the token alone identifies the user.
        return state == TokenState.Valid ? user : null;
    }

    /// <summary>The git token <c>POST /api/v1/login</c> hands out: stable per user for this hub instance, never the SDK token.</summary>
    public string GitTokenFor(string userName) =>
        "git-" + Convert.ToHexStringLower(HMACSHA256.HashData(_gitKey, Encoding.UTF8.GetBytes(userName)))[..32];
}
