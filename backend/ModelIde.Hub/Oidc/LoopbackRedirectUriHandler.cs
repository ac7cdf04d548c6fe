using System.Net;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace ModelIde.Hub.Oidc;

/// <summary>
/// Replaces OpenIddict's exact redirect_uri match for the public <c>modelide</c> client with RFC 8252 §7.3 loopback
/// matching: <c>http://127.0.0.1:{any port}/{any path}</c> (or <c>[::1]</c>), because a native app picks its port at run time.
/// </summary>
internal sealed class LoopbackRedirectUriHandler : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
            .UseSingletonHandler<LoopbackRedirectUriHandler>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidateClientRedirectUri.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!string.Equals(context.ClientId, OidcServer.ClientId, StringComparison.Ordinal) || !IsLoopback(context.RedirectUri))
        {
            context.Reject(Errors.InvalidRequest, "The redirect_uri must be http://127.0.0.1:{port}/{path} (RFC 8252 loopback) for the modelide client.");
        }

        return ValueTask.CompletedTask;
    }

    internal static bool IsLoopback(string? redirectUri) =>
        Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttp
        && uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
        && IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)
        && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo);
}
