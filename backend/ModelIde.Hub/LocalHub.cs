using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelIde.Hub;

public sealed record LocalHubOptions
{
    public const string DefaultDemoToken = "ms-demo-0000000000";

    /// <summary>API port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Port of the blob host (downloads are redirected there); 0 picks a free port.</summary>
    public int BlobPort { get; init; }

    /// <summary>State folder (git repositories, OAuth keys); null = a fresh temp folder.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Folder of models to serve (each <c>owner-less</c> folder becomes <c>modelide/NAME</c>); null = repo's models/.</summary>
    public string? ModelsDirectory { get; init; }

    public string DemoToken { get; init; } = DefaultDemoToken;

    public int CatalogueSize { get; init; } = 10_000;
}

/// <summary>The running local hub. Placeholder until the hub feature lands: answers users/me only.</summary>
public sealed class LocalHub : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalHub(WebApplication app, Uri baseUri, Uri blobBaseUri)
    {
        _app = app;
        BaseUri = baseUri;
        BlobBaseUri = blobBaseUri;
    }

    public Uri BaseUri { get; }

    public Uri BlobBaseUri { get; }

    public static async Task<LocalHub> StartAsync(LocalHubOptions options, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        var app = builder.Build();
        app.MapGet("/openapi/v1/users/me", () => Results.Json(new { success = true, data = new { username = "demo" } }));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address.EndsWith('/') ? address : address + "/");
        return new LocalHub(app, uri, uri);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
