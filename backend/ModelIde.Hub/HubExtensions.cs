using Microsoft.AspNetCore.Builder;

namespace ModelIde.Hub;

/// <summary>Hooks for the optional parts of the hub (OAuth/OIDC server, git smart HTTP).</summary>
internal static class HubExtensions
{
    public static void ConfigureServices(WebApplicationBuilder builder, HubContext hub)
    {
        _ = builder;
        _ = hub;
    }

    public static void ConfigurePipeline(WebApplication app, HubContext hub)
    {
        _ = app;
        _ = hub;
    }

    public static void MapEndpoints(WebApplication app, HubContext hub)
    {
        _ = app;
        _ = hub;
    }

    public static Task InitializeAsync(WebApplication app, HubContext hub, CancellationToken cancellationToken)
    {
        _ = app;
        _ = hub;
        return Task.CompletedTask;
    }
}
