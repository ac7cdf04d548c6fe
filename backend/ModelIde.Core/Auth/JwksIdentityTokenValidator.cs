using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Duende.IdentityModel.OidcClient;
using Duende.IdentityModel.OidcClient.Results;

namespace ModelIde.Core.Auth;

/// <summary>
/// Checks an ID token against the issuer's published keys (RS256/PS256/ES256), its issuer, audience and expiry.
/// OidcClient ships only a no-validation validator, and it neither sends nor checks a nonce, so this one checks the
/// nonce of the sign-in it was created for (null for refresh responses, which carry none).
/// </summary>
public sealed class JwksIdentityTokenValidator(string? expectedNonce = null) : IIdentityTokenValidator
{
    public Task<IdentityTokenValidationResult> ValidateAsync(string identityToken, OidcClientOptions options, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(Validate(identityToken, options));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or CryptographicException or ArgumentException or InvalidOperationException)
        {
            return Task.FromResult(Error("invalid_id_token", "The ID token is malformed."));
        }
    }

    private IdentityTokenValidationResult Validate(string token, OidcClientOptions options)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[2].Length == 0)
        {
            return Error("invalid_id_token", "The ID token is not a signed JWT.");
        }

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var alg = header.RootElement.TryGetProperty("alg", out var a) ? a.GetString() : null;
        var kid = header.RootElement.TryGetProperty("kid", out var k) ? k.GetString() : null;
        var keys = options.ProviderInformation?.KeySet?.Keys ?? [];
        var candidates = keys.Where(key => kid is null || key.Kid == kid).ToList();
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var signature = Base64Url.DecodeFromChars(parts[2]);
        if (!candidates.Any(key => Verify(alg, key, signed, signature)))
        {
            return Error("invalid_signature", "The ID token's signature does not match the issuer's keys.");
        }

        var claims = payload.RootElement;
        var issuer = claims.TryGetProperty("iss", out var iss) ? iss.GetString() : null;
        var expectedIssuer = options.ProviderInformation?.IssuerName;
        if (issuer is null || expectedIssuer is null || !string.Equals(issuer.TrimEnd('/'), expectedIssuer.TrimEnd('/'), StringComparison.Ordinal))
        {
            return Error("invalid_issuer", "The ID token comes from another issuer.");
        }

        if (!claims.TryGetProperty("aud", out var aud) || !AudienceContains(aud, options.ClientId))
        {
            return Error("invalid_audience", "The ID token was issued to another client.");
        }

        if (!claims.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expSeconds)
            || expSeconds < DateTimeOffset.UtcNow.ToUnixTimeSeconds() - (long)options.ClockSkew.TotalSeconds)
        {
            return Error("expired_id_token", "The ID token has expired.");
        }

        if (expectedNonce is not null
            && !(claims.TryGetProperty("nonce", out var nonce) && nonce.ValueKind == JsonValueKind.String && nonce.GetString() == expectedNonce))
        {
            return Error("invalid_nonce", "The ID token's nonce does not match this sign-in.");
        }

        return new IdentityTokenValidationResult { User = new ClaimsPrincipal(new ClaimsIdentity(ClaimsOf(claims), "oidc", "name", "role")), SignatureAlgorithm = alg };
    }

    private static bool Verify(string? alg, Duende.IdentityModel.Jwk.JsonWebKey key, byte[] data, byte[] signature)
    {
        if (key.Use is { Length: > 0 } use && use != "sig")
        {
            return false;
        }

        switch (alg)
        {
            case "RS256" or "PS256" when key.Kty == "RSA" && key.N is not null && key.E is not null:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportParameters(new RSAParameters { Modulus = Base64Url.DecodeFromChars(key.N), Exponent = Base64Url.DecodeFromChars(key.E) });
                    return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, alg == "RS256" ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss);
                }

            case "ES256" when key.Kty == "EC" && key.Crv == "P-256" && key.X is not null && key.Y is not null:
                using (var ec = ECDsa.Create(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = Base64Url.DecodeFromChars(key.X), Y = Base64Url.DecodeFromChars(key.Y) },
                }))
                {
                    return ec.VerifyData(data, signature, HashAlgorithmName.SHA256);
                }

            default:
                return false;
        }
    }

    private static bool AudienceContains(JsonElement aud, string clientId) => aud.ValueKind switch
    {
        JsonValueKind.String => aud.GetString() == clientId,
        JsonValueKind.Array => aud.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.String && e.GetString() == clientId),
        _ => false,
    };

    private static IEnumerable<Claim> ClaimsOf(JsonElement payload)
    {
        foreach (var property in payload.EnumerateObject())
        {
            var values = property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().ToArray() : [property.Value];
            foreach (var value in values)
            {
                var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
                if (text is not null)
                {
                    yield return new Claim(property.Name, text);
                }
            }
        }
    }

    private static IdentityTokenValidationResult Error(string error, string description) =>
        new() { Error = error, ErrorDescription = description };
}
