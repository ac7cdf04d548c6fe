using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ModelIde.Hub.Blobs;

/// <summary>Signs blob URLs (HMAC over repo, revision, path and expiry) so the blob host never needs the user's token.</summary>
public sealed class BlobSigner
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public (long Expires, string Signature) Sign(string repoId, string commitId, string path, DateTimeOffset expires)
    {
        var exp = expires.ToUnixTimeSeconds();
        return (exp, Compute(repoId, commitId, path, exp));
    }

    public bool Verify(string repoId, string commitId, string path, long expires, string? signature)
    {
        if (signature is null || DateTimeOffset.UtcNow.ToUnixTimeSeconds() > expires)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(repoId, commitId, path, expires));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }

    private string Compute(string repoId, string commitId, string path, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{repoId}\n{commitId}\n{path}\n{expires}"))));
}
