using System.Diagnostics;
using System.Globalization;
using ModelIde.Protocol;
using ModelIde.TestSupport;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar.Tests.Rpc;

/// <summary>
/// Issue 19 cases 9, 11 and 12 through the sidecar process (`modelide-sidecar`, as the extension starts it), against a
/// fake hub on 127.0.0.1. For case 9 the fake is the process's <c>http_proxy</c>, so a hub named <c>hub.example.test</c>
/// (another machine, by name) reaches it and every byte the sidecar would send over the network is recorded.
/// </summary>
public sealed class HostileHubSidecarTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string Token = "ms-sniff-" + Guid.NewGuid().ToString("N");

    // A hang guard only (a process that never answers); the assertions are on errors, bytes and memory.
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(3);

    private static Uri HubByName(RecordingHttpServer server) => new($"http://hub.example.test:{server.Port.ToString(CultureInfo.InvariantCulture)}/");

    private static Dictionary<string, string> ThroughProxy(RecordingHttpServer server) => new()
    {
        ["http_proxy"] = server.ProxyUrl,
        ["HTTP_PROXY"] = server.ProxyUrl,
        ["no_proxy"] = string.Empty,
        ["NO_PROXY"] = string.Empty,
    };

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

    [Fact]
    public async Task Out_of_range_dates_are_left_empty_and_every_model_of_the_page_is_returned()
    {
        using var server = new RecordingHttpServer(_ => FakeAnswer.Json(HostileAnswers.PageWithHostileDates));
        await using var sidecar = await LiveSidecar.StartAsync(server.BaseUri.AbsoluteUri);

        var page = await sidecar.Rpc.InvokeWithParameterObjectAsync<ModelsSearchResult>(ModelsMethods.Search, new ModelsSearchParams()).WaitAsync(Hang);

        Assert.Equal(6, page.Models.Count);
        Assert.Equal([null, null, null, null, null], page.Models.Take(5).Select(m => m.LastModified));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), page.Models[5].LastModified);
    }

    [Fact]
    public async Task Sidecar_answers_a_huge_api_answer_with_an_error_stays_small_and_keeps_serving()
    {
        using var server = new RecordingHttpServer(_ => HostileAnswers.HugePage(declareLength: false));
        await using var sidecar = await LiveSidecar.StartAsync(server.BaseUri.AbsoluteUri);

        var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() =>
            sidecar.Rpc.InvokeWithParameterObjectAsync<ModelsSearchResult>(ModelsMethods.Search, new ModelsSearchParams()).WaitAsync(Hang));

        Assert.Equal(RpcErrorCodes.UnsafeInput, ex.ErrorCode);
        Assert.Contains("more than 64 MB", ex.Message, StringComparison.Ordinal);
        Assert.True(server.BodyBytesSent <= HostileAnswers.Cap + HostileAnswers.SocketSlack, $"{server.BodyBytesSent:N0} bytes were sent");
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
