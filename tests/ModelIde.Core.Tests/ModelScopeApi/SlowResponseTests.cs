using System.Security.Cryptography;
using ModelIde.Core.Downloads;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Models;
using ModelIde.Hub;
using ModelIde.Hub.Faults;
using ModelIde.Core.Tests.Hub;

namespace ModelIde.Core.Tests.ModelScopeApi;

/// <summary>The hub answers later than the client's request timeout (latency fault): a network error, retries for idempotent calls, no hang.</summary>
[Collection("LocalHub")]
public sealed class SlowResponseTests(LocalHubFixture fixture) : IDisposable
{
    /// <summary>The hub is shared by the collection: no fault of one test may outlive it.</summary>
    public void Dispose() => fixture.Hub.Faults.Clear();

    private static readonly ModelId Tiny = ModelId.Parse("modelide/tiny-stdlib-coder");
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(1500); // generous: a normal answer on a loaded 2-core CI machine must stay under it
    private const int Attempts = 3;
    private const string FilesPath = "/api/v1/models/modelide/tiny-stdlib-coder/repo/files";

    // A guard against a hang: far above timeout x attempts, so it only trips when the client never gives up.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    private ModelScopeApiClient SlowTolerantClient() =>
        new(fixture.Http, fixture.Client().Session, new RetryPolicy(Attempts, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100))) { RequestTimeout = Timeout };

    private static int DelayPastTimeout => (int)(Timeout.TotalMilliseconds * 5);

    [Fact]
    public async Task A_get_slower_than_the_timeout_is_retried_and_succeeds()
    {
        var api = SlowTolerantClient();
        fixture.Hub.Faults.Clear();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = FilesPath, DelayMs = DelayPastTimeout, Count = Attempts - 1 });

        var files = await api.ListModelFilesAsync(Tiny, null, CancellationToken.None).WaitAsync(Hang);

        Assert.Contains(files, f => f.Path == "model.onnx");
        Assert.Empty(fixture.Hub.Faults.Active); // both slow answers were consumed: the call went through on the third try
        Assert.Equal(Attempts, await fixture.Hub.SettledRequestCountAsync(r => r.Path == FilesPath));
    }

    [Fact]
    public async Task A_hub_that_stays_slow_gives_a_clear_network_error_and_the_call_works_once_it_recovers()
    {
        var api = SlowTolerantClient();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = FilesPath, DelayMs = DelayPastTimeout });

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => api.ListModelFilesAsync(Tiny, null, CancellationToken.None).WaitAsync(Hang));
        Assert.Equal(ModelIdeErrorKind.Network, ex.Kind);
        Assert.Contains("did not answer within 1.5 s", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Attempts, await fixture.Hub.SettledRequestCountAsync(r => r.Path == FilesPath));

        fixture.Hub.Faults.Clear();
        var files = await api.ListModelFilesAsync(Tiny, null, CancellationToken.None).WaitAsync(Hang);
        Assert.Contains(files, f => f.Path == "model.onnx");
    }

    [Fact]
    public async Task A_slow_post_is_not_retried()
    {
        var api = SlowTolerantClient();
        fixture.Hub.Faults.Add(new FaultRule { PathPrefix = "/api/v1/login", DelayMs = DelayPastTimeout });

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => api.LoginAsync(LocalHubOptions.DefaultDemoToken, CancellationToken.None).WaitAsync(Hang));

        Assert.Equal(ModelIdeErrorKind.Network, ex.Kind);
        Assert.Equal(1, await fixture.Hub.SettledRequestCountAsync(r => r.Path == "/api/v1/login"));
    }

    [Fact]
    public async Task A_blob_host_slower_than_the_timeout_is_retried_and_the_file_verifies()
    {
        var api = SlowTolerantClient();
        fixture.Hub.Faults.Clear();
        fixture.Hub.Faults.Add(new FaultRule { PathRegex = "^/blobs/.*/config\\.json", DelayMs = DelayPastTimeout, Count = 2 });
        using var cache = new TempFolder();
        var options = new DownloadOptions { Retry = new RetryPolicy(Attempts, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100)) };

        var result = await new ModelDownloader(api, fixture.Http, new ModelCacheLayout(cache.Path), options)
            .DownloadAsync(Tiny, null, ["config.json"], null, CancellationToken.None).WaitAsync(Hang);

        var original = Path.Combine(LocalHubFixture.RepoModelsDirectory(), "config.json");
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(original)), SHA256.HashData(File.ReadAllBytes(Path.Combine(result.LocalPath, "config.json"))));
        Assert.Empty(fixture.Hub.Faults.Active);
        Assert.Equal(Attempts, await fixture.Hub.SettledRequestCountAsync(r => r.Host == RequestLog.BlobHost && r.Path.EndsWith("/config.json", StringComparison.Ordinal)));
    }
}
