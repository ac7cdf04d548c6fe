using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Tests.Hub;
using ModelIde.Hub;

namespace ModelIde.Core.Tests.Downloads;

/// <summary>
/// A local hub serving one model whose name has dots (<c>modelide/tiny.coder-v1.5</c>: the old SDK's folder is
/// <c>tiny___coder-v1___5</c>), a copy of the repository's tiny model, for tests of caches the SDK wrote.
/// </summary>
public sealed class OldSdkCacheHub : IAsyncLifetime
{
    public const string ModelName = "tiny.coder-v1.5";
    private readonly TempFolder _models = new();

    public LocalHub Hub { get; private set; } = null!;

    public HttpClient Http { get; } = ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(60));

    /// <summary>The model's files as the hub serves them (its folder).</summary>
    public string ModelFolder => Path.Combine(_models.Path, ModelName);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ModelFolder);
        foreach (var file in Directory.EnumerateFiles(LocalHubFixture.RepoModelsDirectory()))
        {
            File.Copy(file, Path.Combine(ModelFolder, Path.GetFileName(file)));
        }

        Hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0, CatalogueSize = 0, ModelsDirectory = _models.Path }, CancellationToken.None);
    }

    public ModelScopeApiClient Client()
    {
        Hub.RequestLog.Clear();
        var session = new HubSession(Hub.BaseUri);
        session.SignIn(LocalHubOptions.DefaultDemoToken, "demo", null);
        return new ModelScopeApiClient(Http, session, RetryPolicy.None);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Hub.DisposeAsync();
        _models.Dispose();
    }
}
