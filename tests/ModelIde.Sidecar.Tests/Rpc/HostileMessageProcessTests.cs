using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ModelIde.Protocol;
using ModelIde.TestSupport;

namespace ModelIde.Sidecar.Tests.Rpc;

/// <summary>
/// The real sidecar process given what no well-behaved client sends: broken framing, messages StreamJsonRpc treats as
/// protocol violations, a request id reused while in flight, and params that are present but hostile. Each gets one
/// clear error (or, for a stray response, nothing), the process keeps answering, and no error names the sidecar's types.
/// </summary>
public sealed class HostileMessageProcessTests
{
    private const string Ping = """{"jsonrpc":"2.0","id":PING,"method":"sidecar/ping"}""";

    // name → raw bytes, the error code expected (null: no answer at all) and the id it carries (null: JSON null).
    private static readonly Dictionary<string, (Func<byte[]> Raw, int? Code, int? Id)> s_framingFaults = new()
    {
        ["Content-Length not a number"] = (() => Ascii("Content-Length: abc\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"sidecar/ping\"}"), -32700, null),
        ["Content-Length beyond int"] = (() => Ascii("Content-Length: 99999999999999999999\r\n\r\n{\"a\":1}"), -32700, null),
        ["negative Content-Length"] = (() => Ascii("Content-Length: -5\r\n\r\n{\"a\":1}"), -32700, null),
        ["no Content-Length"] = (() => Ascii("Content-Type: application/vscode-jsonrpc\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"sidecar/ping\"}"), -32700, null),
        ["header line without a colon"] = (() => Ascii("garbage line\r\n\r\n{\"a\":1}"), -32700, null),
        ["NUL inside the header name"] = (() => Ascii("Content-Le\0ngth: 7\r\n\r\n{\"a\":1}"), -32700, null),
        ["JSON without a header"] = (() => Ascii("{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"sidecar/ping\"}\n"), -32700, null),
        ["20 KB without a line end"] = (() => Ascii(new string('x', 20_000)), -32700, null),
        ["charset other than utf-8"] = (() => Ascii("Content-Length: 7\r\nContent-Type: application/vscode-jsonrpc; charset=klingon\r\n\r\n{\"a\":1}"), -32700, null),
        ["two thousand bad headers in a row"] = (() => Ascii(string.Concat(Enumerable.Repeat("Content-Length: x\r\n\r\n{}", 2000))), -32700, null),
        ["body over the 64 MiB limit"] = (Oversized, -32700, null),
        ["method null"] = (() => Framed("""{"jsonrpc":"2.0","id":6,"method":null}"""), -32600, 6),
        ["notification with method null"] = (() => Framed("""{"jsonrpc":"2.0","method":null}"""), null, null),
        ["a result nobody asked for"] = (() => Framed("""{"jsonrpc":"2.0","id":6,"result":null}"""), null, null),
        ["an error nobody asked for"] = (() => Framed("""{"jsonrpc":"2.0","id":6,"error":{"code":1,"message":"x"}}"""), null, null),
        ["a result with id null"] = (() => Framed("""{"jsonrpc":"2.0","id":null,"result":1}"""), null, null),
        ["an error without members"] = (() => Framed("""{"jsonrpc":"2.0","id":6,"error":{}}"""), -32700, null),
    };

    public static TheoryData<string> FramingFaults() => new(s_framingFaults.Keys);

    [Theory]
    [MemberData(nameof(FramingFaults))]
    public async Task A_framing_fault_gets_at_most_one_error_and_the_next_request_is_answered(string fault)
    {
        var (raw, code, id) = s_framingFaults[fault];
        using var p = SidecarProcessTests.StartSidecar("--endpoint", "http://127.0.0.1:9");
        try
        {
            var input = p.StandardInput.BaseStream;
            await input.WriteAsync(raw());
            var (before, pong) = await PingAsync(p, 4242);
            Assert.True(pong.TryGetProperty("result", out var result), $"{fault}: the ping after it failed: {pong}");
            Assert.Equal(p.Id, result.GetProperty("processId").GetInt32());
            if (code is null)
            {
                Assert.True(before.Count == 0, $"{fault}: expected no answer, got {string.Join(" | ", before)}");
                return;
            }

            var error = Assert.Single(before);
            using var doc = JsonDocument.Parse(error);
            Assert.Equal(code, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
            var idElement = doc.RootElement.GetProperty("id");
            Assert.Equal(id, idElement.ValueKind == JsonValueKind.Null ? null : idElement.GetInt32());
            AssertSaysNothingInternal(doc.RootElement.GetProperty("error").GetProperty("message").GetString()!);
        }
        finally
        {
            p.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_request_id_reused_while_in_flight_is_refused_and_the_first_request_can_still_be_cancelled()
    {
        // A hub that accepts connections and never answers: the browser sign-in waits on its discovery document.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        using var p = SidecarProcessTests.StartSidecar("--endpoint", endpoint);
        try
        {
            var input = p.StandardInput.BaseStream;
            var output = p.StandardOutput.BaseStream;
            var signIn = $$$"""{"jsonrpc":"2.0","id":600,"method":"auth/signInWithBrowser","params":{"endpoint":"{{{endpoint}}}","timeoutSeconds":60}}""";
            await SidecarRpcTests.WriteFramedAsync(input, signIn);
            var (before, _) = await PingAsync(p, 1);   // the first request is in flight once the ping is answered
            Assert.Empty(before);
            for (var i = 0; i < 2; i++)
            {
                await SidecarRpcTests.WriteFramedAsync(input, signIn);
                using var refused = JsonDocument.Parse(await SidecarRpcTests.ReadFramedAsync(output));
                Assert.Equal(600, refused.RootElement.GetProperty("id").GetInt32());
                Assert.Equal(-32600, refused.RootElement.GetProperty("error").GetProperty("code").GetInt32());
                Assert.Contains("still in progress", refused.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            }

            var started = System.Diagnostics.Stopwatch.StartNew();
            await SidecarRpcTests.WriteFramedAsync(input, """{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":600}}""");
            using var cancelled = JsonDocument.Parse(await SidecarRpcTests.ReadFramedAsync(output));
            Assert.Equal(600, cancelled.RootElement.GetProperty("id").GetInt32());
            Assert.Equal(-32800, cancelled.RootElement.GetProperty("error").GetProperty("code").GetInt32());
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the cancel took {started.Elapsed}");

            // Answered and gone: the id may be used again.
            await SidecarRpcTests.WriteFramedAsync(input, """{"jsonrpc":"2.0","id":600,"method":"sidecar/ping"}""");
            using var again = JsonDocument.Parse(await SidecarRpcTests.ReadFramedAsync(output));
            Assert.True(again.RootElement.TryGetProperty("result", out _), again.RootElement.ToString());
        }
        finally
        {
            p.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Hostile_params_get_a_clear_invalid_input_error_and_change_nothing()
    {
        var state = Path.Combine(Path.GetTempPath(), $"modelide-hostile-{Guid.NewGuid():N}");
        Directory.CreateDirectory(state);
        var env = new Dictionary<string, string?> { ["MODELIDE_JOBS_STATE_DIR"] = state, ["HOME"] = state };
        using var p = SidecarProcessTests.StartSidecar(env, "--endpoint", "http://127.0.0.1:9");
        var model = JsonSerializer.Serialize(RepoPaths.TinyModelDir());
        var id = 0;
        async Task<JsonElement> CallAsync(string method, string @params)
        {
            await SidecarRpcTests.WriteFramedAsync(p.StandardInput.BaseStream, $$"""{"jsonrpc":"2.0","id":{{++id}},"method":"{{method}}","params":{{@params}}}""");
            using var doc = JsonDocument.Parse(await SidecarRpcTests.ReadFramedAsync(p.StandardOutput.BaseStream));
            Assert.Equal(id, doc.RootElement.GetProperty("id").GetInt32());
            return doc.RootElement.Clone();
        }

        void AssertInvalidInput(JsonElement reply, string says)
        {
            Assert.True(reply.TryGetProperty("error", out var error), reply.ToString());
            Assert.Equal(RpcErrorCodes.InvalidInput, error.GetProperty("code").GetInt32());
            var message = error.GetProperty("message").GetString()!;
            Assert.Contains(says, message, StringComparison.Ordinal);
            AssertSaysNothingInternal(message);
        }

        try
        {
            // ONNX Runtime starts every thread asked for: 20,000 took the process to 9,000 threads and 1.5 GB.
            var started = System.Diagnostics.Stopwatch.StartNew();
            AssertInvalidInput(await CallAsync("inference/load", $$"""{"modelDir":{{model}},"policy":"preferCpu","threads":20000}"""), "threads must be between 1 and 1024");
            AssertInvalidInput(await CallAsync("inference/load", $$"""{"modelDir":{{model}},"policy":"preferCpu","threads":-1}"""), "threads must be between 1 and 1024");
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"refusing took {started.Elapsed}");

            // Each would have become a line of known_hosts trusting a key for another host.
            var knownHosts = Path.Combine(state, "known_hosts");
            AssertInvalidInput(await CallAsync("jobs/trustHost", """{"host":"a.invalid","port":22,"fingerprint":"SHA256:good\nvictim.example ssh-rsa SHA256:EVIL"}"""), "SHA256 fingerprint");
            AssertInvalidInput(await CallAsync("jobs/trustHost", """{"host":"a.invalid,victim.example","port":22,"fingerprint":"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"""), "host name or address");
            AssertInvalidInput(await CallAsync("jobs/trustHost", """{"host":"a.invalid\nvictim.example","port":22,"fingerprint":"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"""), "host name or address");
            Assert.False(File.Exists(knownHosts) && File.ReadAllText(knownHosts).Contains("victim", StringComparison.Ordinal));
            var trusted = await CallAsync("jobs/trustHost", """{"host":"gpu01.example","port":2222,"fingerprint":"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""");
            Assert.True(trusted.TryGetProperty("result", out _), trusted.ToString());
            Assert.Contains("[gpu01.example]:2222 ssh-key SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", File.ReadAllLines(knownHosts));

            // Nulls where a value belongs: the validation's own words, not a NullReferenceException.
            var preview = await CallAsync("jobs/preview", """{"backend":"ssh://u@h","model":null,"dataset":["d"],"extraArgs":[null]}""");
            if (preview.TryGetProperty("error", out var previewError))
            {
                AssertSaysNothingInternal(previewError.GetProperty("message").GetString()!);
                Assert.DoesNotContain("Object reference", previewError.GetProperty("message").GetString()!, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("model", preview.GetProperty("result").ToString(), StringComparison.OrdinalIgnoreCase);
            }

            Assert.True((await CallAsync("jobs/unwatch", "{}")).TryGetProperty("result", out _));
            AssertInvalidInput(await CallAsync("sidecar/initialize", """{"endpoint":"http://[::1"}"""), "Invalid input for sidecar/initialize");
            AssertInvalidInput(await CallAsync("downloads/cachedModels", """{"cacheDir":"/tmp/a\u0000b"}"""), "Invalid input for downloads/cachedModels");

            var load = await CallAsync("inference/load", $$"""{"modelDir":{{model}},"policy":"preferCpu"}""");
            var session = load.GetProperty("result").GetProperty("sessionId").GetString();
            AssertInvalidInput(await CallAsync("inference/generate", $$"""{"sessionId":"{{session}}","generationId":"g1","messages":[{"role":"user","content":null}],"maxNewTokens":2}"""), "needs a role and a content");
            AssertInvalidInput(await CallAsync("inference/generate", $$"""{"sessionId":"{{session}}","generationId":"g2","messages":[null],"maxNewTokens":2}"""), "needs a role and a content");

            // Params of the wrong shape: where, in the message's own terms.
            var wrongType = await CallAsync("auth/activate", """{"endpoint":5}""");
            Assert.Equal(-32602, wrongType.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Contains("$.endpoint", wrongType.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            AssertSaysNothingInternal(wrongType.GetProperty("error").GetProperty("message").GetString()!);
            var array = await CallAsync("sidecar/echo", "[1,2,3]");
            Assert.Equal(-32602, array.GetProperty("error").GetProperty("code").GetInt32());
            AssertSaysNothingInternal(array.GetProperty("error").GetProperty("message").GetString()!);

            Assert.False(p.HasExited);
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            Directory.Delete(state, recursive: true);
        }
    }

    // Sends a ping and reads until its answer: what came before it, and the answer.
    private static async Task<(List<string> Before, JsonElement Pong)> PingAsync(System.Diagnostics.Process p, int id)
    {
        await SidecarRpcTests.WriteFramedAsync(p.StandardInput.BaseStream, Ping.Replace("PING", id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var before = new List<string>();
        while (true)
        {
            var message = await SidecarRpcTests.ReadFramedAsync(p.StandardOutput.BaseStream);
            using var doc = JsonDocument.Parse(message);
            if (doc.RootElement.TryGetProperty("id", out var got) && got.ValueKind == JsonValueKind.Number && got.GetInt32() == id)
            {
                return (before, doc.RootElement.Clone());
            }

            before.Add(message);
            Assert.True(before.Count <= 20, $"more than 20 messages before the ping's answer (a flood): {string.Join(" | ", before.Take(3))}");
        }
    }

    private static void AssertSaysNothingInternal(string message)
    {
        foreach (var internalName in new[] { "System.", "StreamJsonRpc", "ModelIde.", "Unable to find method", "{no object}", "`1" })
        {
            Assert.DoesNotContain(internalName, message, StringComparison.Ordinal);
        }

        Assert.True(message.Length < 400, $"{message.Length} characters: {message[..Math.Min(200, message.Length)]}…");
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Framed(string json) => Ascii($"Content-Length: {Encoding.UTF8.GetByteCount(json)}\r\n\r\n{json}");

    private static byte[] Oversized()
    {
        const int length = (64 * 1024 * 1024) + 1;   // TolerantHeaderDelimitedMessageHandler.MaxContentBytes + 1
        var header = Ascii($"Content-Length: {length}\r\n\r\n");
        var raw = new byte[header.Length + length];
        header.CopyTo(raw, 0);
        raw.AsSpan(header.Length).Fill((byte)' ');
        return raw;
    }
}
