using System.Globalization;
using ModelIde.TestSupport;

namespace ModelIde.Cli.Tests.Auth;

/// <summary>
/// Issue 19 case 9 through the CLI process: a hub named <c>hub.example.test</c> (another machine, by name) over plain
/// http. A <see cref="RecordingHttpServer"/> is the process's <c>http_proxy</c>, so whatever modelide (or the git it
/// starts) would send over the network is recorded.
/// </summary>
public sealed class PlainHttpCliTests
{
    private static readonly string Token = "ms-sniff-" + Guid.NewGuid().ToString("N");

    private static string HubByName(RecordingHttpServer server) => $"http://hub.example.test:{server.Port.ToString(CultureInfo.InvariantCulture)}/";

    private static Dictionary<string, string?> ThroughProxy(RecordingHttpServer server) => new()
    {
        ["http_proxy"] = server.ProxyUrl,
        ["HTTP_PROXY"] = server.ProxyUrl,
        ["no_proxy"] = null,
        ["NO_PROXY"] = null,
        ["MODELIDE_ALLOW_HTTP_HOSTS"] = null,
        ["MODELIDE_ALLOW_HTTP_OPT_IN"] = null,
        ["MODELSCOPE_API_TOKEN"] = null,
        ["MODELSCOPE_ENDPOINT"] = null,
    };

    [Fact]
    public async Task A_token_for_a_plain_http_hub_elsewhere_never_leaves_the_process_and_the_refusal_names_the_opt_in()
    {
        using var server = new RecordingHttpServer();
        var hub = HubByName(server);

        var r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", hub, "--token", Token], ThroughProxy(server));
        Assert.Equal(2, r.Code);
        Assert.Contains($"Refusing to send your ModelScope token to http://hub.example.test:{server.Port} over plain HTTP", r.Err, StringComparison.Ordinal);
        Assert.Contains($"pass --allow-http hub.example.test:{server.Port} (or set MODELIDE_ALLOW_HTTP_HOSTS)", r.Err, StringComparison.Ordinal);

        // The token from the environment, for a clone (the API login first, then git): nothing leaves either.
        var env = ThroughProxy(server);
        env["MODELSCOPE_API_TOKEN"] = Token;
        var dir = Path.Combine(Directory.CreateTempSubdirectory("modelide-clone-").FullName, "repo");
        r = await CliProcess.RunAsync(CliHost.Dll, ["clone", "owner/model", dir, "--endpoint", hub], env);
        Assert.NotEqual(0, r.Code);
        Assert.Contains("over plain HTTP", r.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));

        // Signing in: nothing either.
        r = await CliProcess.RunAsync(CliHost.Dll, ["login", "--endpoint", hub, "--token", "-"], ThroughProxy(server), stdin: Token + "\n");
        Assert.Equal(2, r.Code);
        Assert.Contains("over plain HTTP", r.Err, StringComparison.Ordinal);

        Assert.False(server.Saw(Token), "the token reached the network");
        Assert.Equal(0, server.Connections);
        Assert.DoesNotContain(Token, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allow_http_for_that_host_or_the_environment_lets_the_token_go_and_a_bad_host_is_a_usage_error()
    {
        using var server = new RecordingHttpServer();
        var hub = HubByName(server);

        // The control: allowed, the same command carries the token to the recorder (what every run did before).
        var r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", hub, "--token", Token, "--allow-http", $"hub.example.test:{server.Port}"], ThroughProxy(server));
        Assert.Equal(3, r.Code); // the recorder answers 401
        Assert.True(server.Saw(Token));

        using var other = new RecordingHttpServer();
        var env = ThroughProxy(other);
        env["MODELIDE_ALLOW_HTTP_HOSTS"] = "hub.example.test";
        r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", HubByName(other), "--token", Token], env);
        Assert.Equal(3, r.Code);
        Assert.True(other.Saw(Token));

        // Another host than the one allowed is still refused; a value that is not a host is a usage error.
        using var third = new RecordingHttpServer();
        r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", HubByName(third), "--token", Token, "--allow-http", "other.example.test"], ThroughProxy(third));
        Assert.Equal(2, r.Code);
        Assert.False(third.Saw(Token));
        r = await CliProcess.RunAsync(CliHost.Dll, ["models", "list", "--endpoint", HubByName(third), "--token", Token, "--allow-http", "hub.example.test:port"], ThroughProxy(third));
        Assert.Equal(2, r.Code);
        Assert.Contains("'hub.example.test:port' is not a host name or host:port", r.Err, StringComparison.Ordinal);
        Assert.Equal(0, third.Connections);
    }
}
