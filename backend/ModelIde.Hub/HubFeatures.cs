using Microsoft.AspNetCore.Builder;
using ModelIde.Hub.Git;
using ModelIde.Hub.Oidc;

namespace ModelIde.Hub;

/// <summary>Wires the optional parts of the hub (OAuth/OIDC server, git smart HTTP) into the API host.</summary>
internal static class HubFeatures
{
    public static void ConfigureServices(WebApplicationBuilder builder, HubContext hub) => OidcServer.ConfigureServices(builder.Services, hub);

    public static void ConfigurePipeline(WebApplication app, HubContext hub)
    {
        app.UseGitSmartHttp(hub);
        OidcServer.ConfigurePipeline(app);
    }

    public static void MapEndpoints(WebApplication app, HubContext hub) => OidcServer.MapEndpoints(app, hub);

    /// <summary>After start: registers the OAuth client.</summary>
    public static Task InitializeAsync(WebApplication app, CancellationToken cancellationToken) => OidcServer.SeedAsync(app.Services, cancellationToken);
}
