using ModelIde.Core.ModelScopeApi;
using ModelIde.Hub;

namespace ModelIde.Core.Tests.Hub;

/// <summary>One real local hub (API + blob host on loopback) shared by the tests of the "LocalHub" collection, which run one at a time (faults are global).</summary>
public sealed class LocalHubFixture : IAsyncLifetime
{
    public LocalHub Hub { get; private set; } = null!;

    public HttpClient Http { get; } = ModelScopeApiClient.CreateHttpClient(TimeSpan.FromSeconds(60));

    public async Task InitializeAsync() => Hub = await LocalHub.StartAsync(new LocalHubOptions { Port = 0 }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Hub.DisposeAsync();
    }

    /// <summary>A client signed in as demo (or signed out), with faults and the request log cleared.</summary>
    public ModelScopeApiClient Client(bool signedIn = true, RetryPolicy? retry = null)
    {
        Hub.Faults.Clear();
        Hub.RequestLog.Clear();
        var session = new HubSession(Hub.BaseUri);
        if (signedIn)
        {
            session.SignIn(LocalHubOptions.DefaultDemoToken, "demo", null);
        }

        return new ModelScopeApiClient(Http, session, retry ?? new RetryPolicy(5, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5)));
    }

    public static string RepoModelsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "tiny-stdlib-coder");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("models/tiny-stdlib-coder not found above the test folder.");
    }
}

[CollectionDefinition("LocalHub")]
public sealed class LocalHubCollection : ICollectionFixture<LocalHubFixture>;

/// <summary>A temp folder removed after the test.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("modelide-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
