using System.Globalization;
using ModelIde.Core.Auth;
using ModelIde.Core.Git;
using ModelIde.Core.Jobs;
using ModelIde.Core.Models;
using ModelIde.Core.ModelScopeApi;
using ModelIde.Core.Tests.Hub;
using ModelIde.TestSupport;

namespace ModelIde.Core.Tests.Auth;

/// <summary>
/// Issue 19 case 9: a token must not travel over plain http to another machine unless the user allowed that host.
/// "Another machine" is <c>*.example.test</c>, which reaches a <see cref="RecordingHttpServer"/> on 127.0.0.1: the
/// policy looks at the URL's host name, the bytes still end up where the test can see them.
/// </summary>
public sealed class PlainHttpPolicyTests
{
    private static readonly string Token = "ms-sniff-" + Guid.NewGuid().ToString("N");

    [Theory]
    [InlineData("https://hub.example.test/", "", true)]
    [InlineData("https://hub.example.test:8443/", "", true)]
    [InlineData("http://127.0.0.1:8765/", "", true)]
    [InlineData("http://127.3.4.5/", "", true)]
    [InlineData("http://localhost:8765/", "", true)]
    [InlineData("http://[::1]:8765/", "", true)]
    [InlineData("http://[::ffff:127.0.0.1]:8765/", "", true)]
    [InlineData("http://hub.example.test/", "", false)]
    [InlineData("http://10.0.0.5:8765/", "", false)]
    [InlineData("http://localhost.example.test/", "", false)]
    [InlineData("http://127.0.0.1.example.test/", "", false)]
    [InlineData("ftp://hub.example.test/", "hub.example.test", false)]
    [InlineData("http://hub.example.test/", "hub.example.test", true)]
    [InlineData("http://HUB.Example.test:9000/", "hub.example.test", true)]
    [InlineData("http://hub.example.test:9000/", "http://hub.example.test", true)]
    [InlineData("http://hub.example.test:9000/", "hub.example.test:9000", true)]
    [InlineData("http://hub.example.test:9001/", "hub.example.test:9000", false)]
    [InlineData("http://hub.example.test/", "hub.example.test:80", true)]
    [InlineData("http://other.example.test/", "hub.example.test, 10.0.0.5:8765", false)]
    [InlineData("http://10.0.0.5:8765/", "hub.example.test, 10.0.0.5:8765", true)]
    [InlineData("http://sub.hub.example.test/", "hub.example.test", false)]
    [InlineData("http://[fd00::5]:8765/", "[fd00::5]", true)]
    [InlineData("http://[fd00::5]:8765/", "[fd00::5]:8764", false)]
    public void Https_and_this_machine_always_pass_plain_http_only_to_the_named_hosts(string url, string allowed, bool expected)
    {
        var policy = PlainHttpPolicy.FromEnvironment(name => name == PlainHttpPolicy.EnvironmentVariable ? allowed : null);

        Assert.Equal(expected, policy.MaySendCredentials(new Uri(url)));
    }

    [Fact]
    public void The_refusal_names_the_host_and_the_opt_in_for_exactly_that_host()
    {
        var ex = Assert.Throws<ModelIdeException>(() => PlainHttpPolicy.LoopbackOnly.EnsureMaySendCredentials(new Uri("http://hub.example.test:8080/api"), "your ModelScope token"));

        Assert.Equal(ModelIdeErrorKind.InvalidInput, ex.Kind);
        Assert.Equal(PlainHttpPolicy.PlainHttpRefusedCode, ex.ServerCode);
        Assert.Equal(
            "Refusing to send your ModelScope token to http://hub.example.test:8080 over plain HTTP: anyone on the network path could read it. " +
            "Use https://, or, only on a network you trust, allow plain HTTP for this host: set MODELIDE_ALLOW_HTTP_HOSTS=hub.example.test:8080.",
            ex.Message);
        Assert.Throws<ModelIdeException>(() => new PlainHttpPolicy(["hub.example.test:port"]));

        // From the environment (a setting the extension passes on), a bad entry allows nothing and breaks nothing.
        var tolerant = PlainHttpPolicy.FromEnvironment(name => name == PlainHttpPolicy.EnvironmentVariable ? "hub.example.test:port, ok.example.test" : null);
        Assert.Equal(["ok.example.test"], tolerant.AllowedHosts);

        // The extension tells its sidecar how its users opt in (a setting, not the environment).
        var fromExtension = PlainHttpPolicy.FromEnvironment(name => name == PlainHttpPolicy.OptInHintVariable ? "add \"{host}\" to the setting \"modelscope.allowHttpHosts\"" : null);
        var refused = Assert.Throws<ModelIdeException>(() => fromExtension.EnsureMaySendCredentials(new Uri("http://hub.example.test/"), "your ModelScope token"));
        Assert.EndsWith("allow plain HTTP for this host: add \"hub.example.test\" to the setting \"modelscope.allowHttpHosts\".", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signed_in_api_call_to_a_plain_http_hub_elsewhere_sends_no_byte_of_the_token()
    {
        using var server = new RecordingHttpServer();
        using var http = server.ClientMappingEveryHostHere();
        var session = new HubSession(HubUrl(server)) { PlainHttp = PlainHttpPolicy.LoopbackOnly };
        session.SignIn(Token, "demo", "git-" + Token);
        var api = new ModelScopeApiClient(http, session, RetryPolicy.None);

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => api.GetCurrentUserAsync(CancellationToken.None));
        var search = await Assert.ThrowsAsync<ModelIdeException>(() => api.SearchModelsAsync(new ModelSearchQuery { Search = "x" }, CancellationToken.None));
        var file = Assert.Throws<ModelIdeException>(() => api.CreateRequest(HttpMethod.Get, api.FileDownloadUri(ModelId.Parse("a/b"), null, "model.onnx")));

        Assert.All(new[] { ex, search, file }, e => Assert.Contains("over plain HTTP", e.Message, StringComparison.Ordinal));
        Assert.Contains($"MODELIDE_ALLOW_HTTP_HOSTS=hub.example.test:{server.Port.ToString(CultureInfo.InvariantCulture)}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
        Assert.False(server.Saw(Token));
    }

    [Fact]
    public async Task Validating_a_pasted_token_against_a_plain_http_hub_elsewhere_sends_nothing()
    {
        using var server = new RecordingHttpServer();
        using var http = server.ClientMappingEveryHostHere();

        // AccessTokenSignIn builds its own session: the policy comes from the process environment (none set here).
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new AccessTokenSignIn(http).ValidateAsync(HubUrl(server), Token, CancellationToken.None));

        Assert.Contains("over plain HTTP", ex.Message, StringComparison.Ordinal);
        Assert.False(server.Saw(Token));
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task Anonymous_browsing_of_a_plain_http_hub_still_goes_out_and_an_allowed_host_gets_the_token()
    {
        using var server = new RecordingHttpServer();
        using var http = server.ClientMappingEveryHostHere();
        var anonymous = new ModelScopeApiClient(http, new HubSession(HubUrl(server)) { PlainHttp = PlainHttpPolicy.LoopbackOnly }, RetryPolicy.None);

        // Nothing secret in an anonymous call: it reaches the server (which answers 401).
        await Assert.ThrowsAsync<ModelIdeException>(() => anonymous.SearchModelsAsync(new ModelSearchQuery(), CancellationToken.None));
        Assert.Equal(1, server.Connections);

        // The control: with the host allowed, the same signed-in call carries the token to the recorder.
        var session = new HubSession(HubUrl(server)) { PlainHttp = new PlainHttpPolicy(["hub.example.test"]) };
        session.SignIn(Token, "demo", null);
        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new ModelScopeApiClient(http, session, RetryPolicy.None).GetCurrentUserAsync(CancellationToken.None));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
        Assert.True(server.Saw(Token));
    }

    [Fact]
    public async Task Slurm_rest_over_plain_http_elsewhere_sends_neither_the_jwt_nor_the_job_token()
    {
        using var server = new RecordingHttpServer();
        using var http = server.ClientMappingEveryHostHere();
        var jwt = "jwt-" + Guid.NewGuid().ToString("N");
        var baseUri = new Uri($"http://slurm.example.test:{server.Port.ToString(CultureInfo.InvariantCulture)}/");
        var refused = new SlurmRestClient(http, new SlurmRestOptions(baseUri, "jobuser", jwt) { PlainHttp = PlainHttpPolicy.LoopbackOnly });

        var ping = await Assert.ThrowsAsync<ModelIdeException>(() => refused.PingAsync(CancellationToken.None));
        var submit = await Assert.ThrowsAsync<ModelIdeException>(() => refused.SubmitAsync("#!/bin/sh\n", [], new Dictionary<string, string> { ["MODELSCOPE_API_TOKEN"] = Token }, CancellationToken.None));

        Assert.All(new[] { ping, submit }, e => Assert.Contains("Refusing to send the Slurm token", e.Message, StringComparison.Ordinal));
        Assert.Equal(0, server.Connections);
        Assert.False(server.Saw(jwt) || server.Saw(Token));

        // Control: allowed per host, the JWT goes out (slurmrestd on a trusted cluster network).
        var allowed = new SlurmRestClient(http, new SlurmRestOptions(baseUri, "jobuser", jwt) { PlainHttp = new PlainHttpPolicy(["slurm.example.test"]) });
        await Assert.ThrowsAsync<ModelIdeException>(() => allowed.PingAsync(CancellationToken.None));
        Assert.True(server.Saw(jwt));
    }

    [Fact]
    public async Task Browser_sign_in_at_a_plain_http_hub_elsewhere_is_refused_before_any_request_unless_the_host_is_allowed()
    {
        using var server = new RecordingHttpServer();
        var options = new OidcSignInOptions { Endpoint = HubUrl(server), Timeout = TimeSpan.FromSeconds(5) };
        var browserOpened = false;
        Task Open(Uri _, CancellationToken __)
        {
            browserOpened = true;
            return Task.CompletedTask;
        }

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() => new OidcBrowserSignIn(server.ClientMappingEveryHostHere, PlainHttpPolicy.LoopbackOnly).SignInAsync(options, Open, CancellationToken.None));
        Assert.Contains("over plain HTTP", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
        Assert.False(browserOpened);

        // Allowed: discovery goes to the host (the recorder's 401 makes it fail there, before a browser opens).
        var allowed = new OidcBrowserSignIn(server.ClientMappingEveryHostHere, new PlainHttpPolicy(["hub.example.test"]));
        await Assert.ThrowsAnyAsync<Exception>(() => allowed.SignInAsync(options, Open, CancellationToken.None));
        Assert.True(server.Connections > 0);
        Assert.Contains("/.well-known/openid-configuration", System.Text.Encoding.ASCII.GetString(server.Received), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clone_from_a_plain_http_hub_elsewhere_never_starts_git_with_the_token()
    {
        using var server = new RecordingHttpServer();
        using var folder = new TempFolder();
        // "git" for this cloner is real git behind the recorder as its http proxy: what git would send, the recorder sees.
        var git = Path.Combine(folder.Path, "git-via-recorder");
        await File.WriteAllTextAsync(git, $"#!/bin/sh\nexport http_proxy={server.ProxyUrl} HTTP_PROXY={server.ProxyUrl}\nunset no_proxy NO_PROXY\nexec git \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(git, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var gitToken = "git-" + Guid.NewGuid().ToString("N");

        var ex = await Assert.ThrowsAsync<ModelIdeException>(() =>
            new GitCloner(git, plainHttp: PlainHttpPolicy.LoopbackOnly).CloneAsync(HubUrl(server), ModelId.Parse("owner/model"), Path.Combine(folder.Path, "a"), null, gitToken, null, CancellationToken.None));
        Assert.Contains("Refusing to send your ModelScope git token", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "a")));

        // Control: allowed, git goes through the recorder and answers the 401 challenge with the token.
        await Assert.ThrowsAsync<ModelIdeException>(() =>
            new GitCloner(git, plainHttp: new PlainHttpPolicy(["hub.example.test"])).CloneAsync(HubUrl(server), ModelId.Parse("owner/model"), Path.Combine(folder.Path, "b"), null, gitToken, null, CancellationToken.None));
        Assert.True(server.Saw(gitToken));
    }

    private static Uri HubUrl(RecordingHttpServer server) => new($"http://hub.example.test:{server.Port.ToString(CultureInfo.InvariantCulture)}/");
}
