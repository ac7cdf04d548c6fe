using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelIde.Hub.Api;
using ModelIde.Hub.Auth;
using ModelIde.Hub.Blobs;
using ModelIde.Hub.Faults;
using ModelIde.Hub.Models;

namespace ModelIde.Hub;

/// <summary>
/// The running local hub: a ModelScope-compatible API on 127.0.0.1 (<see cref="BaseUri"/>) and a blob host on a
/// second port (<see cref="BlobBaseUri"/>) that downloads are redirected to.
/// </summary>
public sealed class LocalHub : IAsyncDisposable
{
    private readonly WebApplication _api;
    private readonly WebApplication _blobs;
    private readonly HubContext _hub;
    private readonly string? _ownedDataDirectory;

    private LocalHub(WebApplication api, WebApplication blobs, HubContext hub, string? ownedDataDirectory)
    {
        _api = api;
        _blobs = blobs;
        _hub = hub;
        _ownedDataDirectory = ownedDataDirectory;
    }

    /// <summary>The public OAuth client registered in the hub's OpenID Connect server (no secret, loopback redirects).</summary>
    public const string OAuthClientId = Oidc.OidcServer.ClientId;

    public Uri BaseUri => _hub.BaseUri;

    public Uri BlobBaseUri => _hub.BlobBaseUri;

    public LocalHubOptions Options => _hub.Options;

    /// <summary>SDK access token of the seeded user <c>demo</c>.</summary>
    public string DemoToken => _hub.Options.DemoToken;

    /// <summary>Password of <c>demo</c> on the OAuth login page.</summary>
    public string DemoPassword => _hub.Options.DemoPassword;

    /// <summary>An SDK token that is already expired (user <c>expired</c>).</summary>
    public string ExpiredToken => HubUsers.ExpiredUserToken;

    /// <summary>Id of the private model only <c>demo</c> can see.</summary>
    public string PrivateModelId => ModelCatalogue.PrivateModelId;

    public string DataDirectory => _hub.DataDirectory;

    public FaultInjector Faults => _hub.Faults;

    public RequestLog RequestLog => _hub.Log;

    /// <summary>Requests the blob host saw (tests check that none carried the user's token).</summary>
    public IReadOnlyList<HubRequest> BlobRequestLog => _hub.Log.Blob;

    /// <summary>
    /// How many logged requests match, once the log has stopped growing for <paramref name="quietPolls"/> polls 100 ms
    /// apart: a request is logged when it ends, and one whose client went away (killed, timed out) only shortly after.
    /// </summary>
    public async Task<int> SettledRequestCountAsync(Func<HubRequest, bool> which, int quietPolls = 5)
    {
        var last = -1;
        for (var stable = 0; stable < quietPolls; await Task.Delay(100).ConfigureAwait(false))
        {
            var now = _hub.Log.Entries.Count(which);
            stable = now == last ? stable + 1 : 0;
            last = now;
        }

        return last;
    }

    /// <summary>True when any request to the blob host carried an Authorization header or a session cookie.</summary>
    public bool BlobHostSawCredentials => BlobRequestLog.Any(r => r.HasAuthorization || r.HasSessionCookie);

    internal ModelCatalogue Catalogue => _hub.Catalogue;

    /// <summary>The git token <c>POST /api/v1/login</c> returns for <paramref name="userName"/>.</summary>
    public string GitTokenFor(string userName) => _hub.Users.GitTokenFor(userName);

    /// <summary>Git clone URL of a folder-backed model (new SDK form <c>{endpoint}/models/{owner}/{name}.git</c>).</summary>
    public Uri GitUrl(string repoId) => new(BaseUri, $"models/{repoId}.git");

    /// <summary>Makes an SDK token expired from now on.</summary>
    public bool ExpireToken(string token) => _hub.Users.ExpireToken(token);

    /// <summary>Issues a new SDK token for an existing user (optionally expiring).</summary>
    public string IssueToken(string userName, TimeSpan? lifetime = null) => _hub.Users.IssueToken(userName, lifetime);

    public static async Task<LocalHub> StartAsync(LocalHubOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? owned = null;
        var data = options.DataDirectory;
        if (data is null)
        {
            data = owned = Path.Combine(Path.GetTempPath(), "modelide-hub-" + Guid.NewGuid().ToString("N")[..12]);
        }

        Directory.CreateDirectory(data);
        var modelsDirectory = options.ModelsDirectory ?? ModelCatalogue.FindModelsDirectory();
        var catalogue = await Task.Run(() => ModelCatalogue.Build(modelsDirectory, options.CatalogueSize), cancellationToken).ConfigureAwait(false);
        var hub = new HubContext(options, catalogue, data);

        var blobs = BuildApp(options.BlobPort);
        blobs.UseRequestLogAndFaults(hub, RequestLog.BlobHost);
        BlobEndpoints.Map(blobs, hub);

        var apiBuilder = CreateBuilder(options.Port);
        HubFeatures.ConfigureServices(apiBuilder, hub);
        var api = apiBuilder.Build();
        api.UseRequestLogAndFaults(hub, RequestLog.ApiHost);
        HubFeatures.ConfigurePipeline(api, hub);
        OpenApiEndpoints.Map(api, hub);
        LegacyApiEndpoints.Map(api, hub);
        AdminEndpoints.Map(api, hub);
        HubFeatures.MapEndpoints(api, hub);

        try
        {
            await blobs.StartAsync(cancellationToken).ConfigureAwait(false);
            hub.BlobBaseUri = AddressOf(blobs);
            await api.StartAsync(cancellationToken).ConfigureAwait(false);
            hub.BaseUri = AddressOf(api);

            // A fixed issuer: the login page may be reached through a proxy (code-server's /proxy/<port>/), but the
            // code must redeem at the hub's own address. The port is known only now (port 0 = pick a free one).
            api.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIddict.Server.OpenIddictServerOptions>>()
                .CurrentValue.Issuer = hub.BaseUri;
            await HubFeatures.InitializeAsync(api, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await blobs.DisposeAsync().ConfigureAwait(false);
            await api.DisposeAsync().ConfigureAwait(false);
            if (owned is not null)
            {
                Directory.Delete(owned, recursive: true);
            }

            throw;
        }

        return new LocalHub(api, blobs, hub, owned);
    }

    private static WebApplicationBuilder CreateBuilder(int port)
    {
        // Empty builder: no appsettings/env config and so no file watchers (tests start many hubs; inotify is finite).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddRoutingCore();
        builder.Services.AddLogging();
        return builder;
    }

    private static WebApplication BuildApp(int port) => CreateBuilder(port).Build();

    private static Uri AddressOf(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }

    public async ValueTask DisposeAsync()
    {
        await _api.StopAsync().ConfigureAwait(false);
        await _blobs.StopAsync().ConfigureAwait(false);
        await _api.DisposeAsync().ConfigureAwait(false);
        await _blobs.DisposeAsync().ConfigureAwait(false);
        if (_ownedDataDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownedDataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
