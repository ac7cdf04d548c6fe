using ModelIde.Hub.Auth;
using ModelIde.Hub.Blobs;
using ModelIde.Hub.Faults;
using ModelIde.Hub.Models;
using ModelIde.Hub.Oidc;

namespace ModelIde.Hub;

/// <summary>State shared by the API host and the blob host of one running hub.</summary>
internal sealed class HubContext
{
    public HubContext(LocalHubOptions options, ModelCatalogue catalogue, string dataDirectory)
    {
        Options = options;
        Catalogue = catalogue;
        DataDirectory = dataDirectory;
        Users = new HubUsers(options);
    }

    public LocalHubOptions Options { get; }

    public ModelCatalogue Catalogue { get; }

    public string DataDirectory { get; }

    public HubUsers Users { get; }

    public FaultInjector Faults { get; } = new();

    public RequestLog Log { get; } = new();

    /// <summary>OAuth tokens the token endpoint returned (test control: <c>GET /_admin/oauth/issued</c>).</summary>
    public IssuedTokenLog IssuedOAuthTokens { get; } = new();

    public BlobSigner Signer { get; } = new();

    public Uri BaseUri { get; set; } = new("http://127.0.0.1/");

    public Uri BlobBaseUri { get; set; } = new("http://127.0.0.1/");

    /// <summary>Resolves a bearer token that is not an SDK token (an OAuth access token); set when the OIDC server is on.</summary>
    public Func<HttpContext, Task<(TokenState State, HubUser? User)>>? OAuthBearerResolver { get; set; }

    /// <summary>May this caller see the model? Private models only for their owner (the real hub answers 404 otherwise).</summary>
    public static bool CanSee(HubModel model, HubUser? user) =>
        !model.Private || (user is not null && string.Equals(user.UserName, model.Owner, StringComparison.Ordinal));
}
