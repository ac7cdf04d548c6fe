using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ModelIde.Core.Tests.Auth;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Models;
using ModelIde.Sidecar.Tests.Rpc;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar.Tests.Auth;

/// <summary>
/// Issue 19 cases 9, 11 and 12 through what the user runs: the `modelide` CLI and the sidecar process, against a fake
/// hub on 127.0.0.1. For case 9 the fake is the processes' <c>http_proxy</c>, so a hub named <c>hub.example.test</c>
/// (another machine, by name) reaches it and every byte the process would send over the network is recorded.
/// </summary>
public sealed class HostileHubProcessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string Token = "ms-sniff-" + Guid.NewGuid().ToString("N");

    // Hang guards only (a child process that never ends); the assertions are on exit codes, bytes and messages.
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(3);

    private static Uri HubByName(RecordingHttpServer server) => new($"http://hub.example.test:{server.Port.ToString(CultureInfo.InvariantCulture)}/");

    private static Dictionary<string, string> ThroughProxy(RecordingHttpServer server, string? allow = null)
    {
        var env = new Dictionary<string, string>
        {
            ["http_proxy"] = server.ProxyUrl,
            ["HTTP_PROXY"] = server.ProxyUrl,
            ["no_proxy"] = string.Empty,
            ["NO_PROXY"] = string.Empty,
            ["MODELIDE_ALLOW_HTTP_HOSTS"] = allow ?? string.Empty,
        };
        return env;
    }

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(Uri endpoint, IDictionary<string, string> env, params string[] args)
    {
        using var p = DownloadProcessKillTests.StartCli(endpoint, env, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(Hang);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Cli_with_a_token_refuses_a_plain_http_hub_elsewhere_and_sends_nothing_unless_the_host_is_allowed()
    {
        using var server = new RecordingHttpServer();
        var hub = HubByName(server);

        var (code, _, stderr) = await RunCliAsync(hub, ThroughProxy(server), "models", "list", "--endpoint", hub.AbsoluteUri, "--token", Token);
        Assert.Equal(2, code);
        Assert.Contains($"Refusing to send your ModelScope token to http://hub.example.test:{server.Port} over plain HTTP", stderr, StringComparison.Ordinal);
        Assert.Contains($"MODELIDE_ALLOW_HTTP_HOSTS=hub.example.test:{server.Port}", stderr, StringComparison.Ordinal);

        // The token from the environment, and git for a clone: nothing leaves either.
        var cloneDir = Path.Combine(Directory.CreateTempSubdirectory("modelide-clone-").FullName, "repo");
        var env = ThroughProxy(server);
        env["MODELSCOPE_API_TOKEN"] = Token;
        (code, _, stderr) = await RunCliAsync(hub, env, "clone", "owner/model", cloneDir, "--endpoint", hub.AbsoluteUri);
        Assert.NotEqual(0, code);
        Assert.Contains("over plain HTTP", stderr, StringComparison.Ordinal);
        Assert.False(server.Saw(Token), "the token reached the network");
        Assert.DoesNotContain(Token, stderr, StringComparison.Ordinal);

        // The control: with the host allowed, the same command carries the token to the recorder (what it did before).
        (code, _, _) = await RunCliAsync(hub, ThroughProxy(server, allow: "hub.example.test"), "models", "list", "--endpoint", hub.AbsoluteUri, "--token", Token);
        Assert.Equal(3, code); // the recorder answers 401
        Assert.True(server.Saw(Token));
    }

    [Fact]
    public async Task Sidecar_refuses_to_validate_a_token_at_a_plain_http_hub_elsewhere_and_sends_nothing()
    {
        using var server = new RecordingHttpServer();
        await using var sidecar = await LiveSidecar.StartAsync("http://127.0.0.1:9/", ThroughProxy(server));

        var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            sidecar.Rpc.InvokeWithParameterObjectAsync<AuthSessionDto>(AuthMethods.ValidateToken, new ValidateTokenParams(HubByName(server).AbsoluteUri, Token)).WaitAsync(Hang));

        Assert.Equal(RpcErrorCodes.InvalidInput, ex.ErrorCode);
        Assert.Contains("over plain HTTP", ex.Message, StringComparison.Ordinal);
        Assert.Equal("plainHttpRefused", ((RpcErrorData)ex.DeserializedErrorData!).ServerCode);
        Assert.False(server.Saw(Token));
        Assert.Equal(0, server.Connections);
    }

    /// <summary>A models/search page whose dates are out of range, unreadable or fine.</summary>
    private const string PageWithHostileDates = """
        {"success":true,"data":{"total_count":6,"models":[
          {"id":"a/epoch-ms-too-big","last_modified":9000000000000000000},
          {"id":"a/exponent","last_modified":9e18},
          {"id":"a/negative","last_modified":-9000000000000000000},
          {"id":"a/text","last_modified":"9e18"},
          {"id":"a/huge-double","last_modified":1e300},
          {"id":"a/fine","last_modified":1700000000}
        ]}}
        """;

    [Fact]
    public async Task Out_of_range_dates_are_left_empty_and_the_rest_of_the_page_is_shown_by_the_cli_and_the_sidecar()
    {
        using var server = new RecordingHttpServer(_ => FakeAnswer.Json(PageWithHostileDates));

        var (code, stdout, stderr) = await RunCliAsync(server.BaseUri, new Dictionary<string, string>(), "models", "list", "--endpoint", server.BaseUri.AbsoluteUri, "--json");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        using (var doc = JsonDocument.Parse(stdout))
        {
            var models = doc.RootElement.GetProperty("models").EnumerateArray().ToList();
            Assert.Equal(6, models.Count);
            Assert.All(models.Take(5), m => Assert.Equal(JsonValueKind.Null, m.GetProperty("lastModified").ValueKind));
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), models[5].GetProperty("lastModified").GetDateTimeOffset());
        }

        (code, stdout, stderr) = await RunCliAsync(server.BaseUri, new Dictionary<string, string>(), "models", "list", "--endpoint", server.BaseUri.AbsoluteUri);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains("a/epoch-ms-too-big", stdout, StringComparison.Ordinal);

        await using var sidecar = await LiveSidecar.StartAsync(server.BaseUri.AbsoluteUri);
        var page = await sidecar.Rpc.InvokeWithParameterObjectAsync<ModelsSearchResult>(ModelsMethods.Search, new ModelsSearchParams()).WaitAsync(Hang);
        Assert.Equal(6, page.Models.Count);
        Assert.Equal([null, null, null, null, null], page.Models.Take(5).Select(m => m.LastModified));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), DateTimeOffset.Parse(page.Models[5].LastModified!, CultureInfo.InvariantCulture));
    }

    /// <summary>A 1.5 GB models/search answer: a JSON page that never seems to end.</summary>
    private static FakeAnswer HugePage(bool declareLength) => new(
        200,
        "{\"success\":true,\"data\":{\"models\":[",
        Unit: "{\"id\":\"a/b\",\"description\":\"" + new string('x', 1000) + "\"},",
        UnitRepeats: 1_500_000,
        Tail: "{\"id\":\"a/c\"}]}}",
        DeclareLength: declareLength);

    private const long Cap = 64L << 20;

    // What the kernel's socket buffers can hold beyond what the client read (loopback autotuning reaches a few MB).
    private const long SocketSlack = 32L << 20;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cli_stops_reading_a_huge_api_answer_at_the_cap_with_a_clear_error(bool declareLength)
    {
        using var server = new RecordingHttpServer(_ => HugePage(declareLength));

        var (code, _, stderr) = await RunCliAsync(server.BaseUri, new Dictionary<string, string>(), "models", "list", "--endpoint", server.BaseUri.AbsoluteUri);

        Assert.Equal(1, code);
        Assert.Contains(declareLength ? "answered /openapi/v1/models with 1,473.4 MB" : "answered /openapi/v1/models with more than 64 MB", stderr, StringComparison.Ordinal);
        Assert.True(server.BodyBytesSent <= (declareLength ? SocketSlack : Cap + SocketSlack), $"{server.BodyBytesSent:N0} bytes were sent");
        output.WriteLine($"declared length {declareLength}: the hub got {server.BodyBytesSent:N0} body bytes out before the CLI stopped");
    }

    [Fact]
    public async Task Sidecar_answers_a_huge_api_answer_with_an_error_stays_small_and_keeps_serving()
    {
        using var server = new RecordingHttpServer(_ => HugePage(declareLength: false));
        await using var sidecar = await LiveSidecar.StartAsync(server.BaseUri.AbsoluteUri);

        var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            sidecar.Rpc.InvokeWithParameterObjectAsync<ModelsSearchResult>(ModelsMethods.Search, new ModelsSearchParams()).WaitAsync(Hang));

        Assert.Equal(RpcErrorCodes.UnsafeInput, ex.ErrorCode);
        Assert.Contains("more than 64 MB", ex.Message, StringComparison.Ordinal);
        Assert.True(server.BodyBytesSent <= Cap + SocketSlack, $"{server.BodyBytesSent:N0} bytes were sent");
        // Peak resident memory of the sidecar (1.86 GB before): the capped body, once, plus the runtime.
        var peak = PeakResidentBytes(sidecar.Process);
        output.WriteLine($"sidecar peak RSS {peak / 1048576} MB; the hub got {server.BodyBytesSent:N0} body bytes out");
        Assert.True(peak < 400L << 20, $"the sidecar peaked at {peak / 1048576} MB");
        await sidecar.Rpc.InvokeAsync<object>(SidecarMethods.Ping).WaitAsync(Hang);
    }

    /// <summary>VmHWM from /proc: the most resident memory the process ever had.</summary>
    private static long PeakResidentBytes(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id.ToString(CultureInfo.InvariantCulture)}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Reads every error's data as the sidecar's <see cref="RpcErrorData"/>.</summary>
    private sealed class TypedErrorJsonRpc(IJsonRpcMessageHandler handler) : JsonRpc(handler)
    {
        protected override Type GetErrorDetailsDataType(JsonRpcError error) => typeof(RpcErrorData);
    }

    /// <summary>The real sidecar process with a JSON-RPC client on its stdio.</summary>
    private sealed class LiveSidecar : IAsyncDisposable
    {
        private LiveSidecar(Process process, JsonRpc rpc)
        {
            Process = process;
            Rpc = rpc;
        }

        public Process Process { get; }

        public JsonRpc Rpc { get; }

        public static async Task<LiveSidecar> StartAsync(string endpoint, IDictionary<string, string>? env = null)
        {
            var changes = new Dictionary<string, string?> { ["MODELSCOPE_API_TOKEN"] = null, ["MODELIDE_ALLOW_HTTP_HOSTS"] = null };
            foreach (var (k, v) in env ?? new Dictionary<string, string>())
            {
                changes[k] = v;
            }

            var process = SidecarProcessTests.StartSidecar(changes, "--endpoint", endpoint);
            _ = process.StandardError.ReadToEndAsync();
            var formatter = new SystemTextJsonFormatter();
            SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
            var rpc = new TypedErrorJsonRpc(new HeaderDelimitedMessageHandler(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, formatter));
            rpc.StartListening();
            var sidecar = new LiveSidecar(process, rpc);
            await rpc.InvokeAsync<object>(SidecarMethods.Ping).WaitAsync(Hang);
            return sidecar;
        }

        public async ValueTask DisposeAsync()
        {
            Rpc.Dispose();
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
        }
    }
}
