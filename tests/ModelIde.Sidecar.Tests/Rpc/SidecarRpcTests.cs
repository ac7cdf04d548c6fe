using System.Text.Json;
using ModelIde.Protocol;
using Nerdbank.Streams;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar.Tests.Rpc;

public sealed class SidecarRpcTests
{
    [Fact]
    public async Task Ping_answers_with_the_process_id()
    {
        await using var c = SidecarConnection.Start();
        var result = await c.Client.InvokeAsync<PingResult>(SidecarMethods.Ping);
        Assert.Equal(Environment.ProcessId, result.ProcessId);
    }

    [Fact]
    public async Task Initialize_sets_the_endpoint()
    {
        await using var c = SidecarConnection.Start();
        var result = await c.Client.InvokeWithParameterObjectAsync<InitializeResult>(SidecarMethods.Initialize, new InitializeParams("http://127.0.0.1:4321"));
        Assert.Equal("http://127.0.0.1:4321/", result.Endpoint);
        Assert.Equal(new Uri("http://127.0.0.1:4321/"), c.Context.Session.Endpoint);
    }

    [Fact]
    public async Task Unknown_method_is_a_method_not_found_error()
    {
        await using var c = SidecarConnection.Start();
        var ex = await Assert.ThrowsAsync<RemoteMethodNotFoundException>(() => c.Client.InvokeAsync<object>("models/doesNotExist"));
        Assert.Equal(JsonRpcErrorCode.MethodNotFound, ex.ErrorCode);
    }

    [Fact]
    public async Task Malformed_json_gets_a_parse_error_and_the_connection_stays_up()
    {
        // A raw reader sees the sidecar's answer to garbage; a real client then still gets answers.
        var (clientStream, serverStream) = FullDuplexStream.CreatePair();
        using var context = new SidecarContext(new SidecarOptions("http://127.0.0.1:9/"));
        using var server = SidecarServer.Attach(serverStream, serverStream, context);

        await WriteFramedAsync(clientStream, "{ this is not json ]");
        var reply = await ReadFramedAsync(clientStream);
        using var doc = JsonDocument.Parse(reply);
        Assert.Equal(-32700, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("id").ValueKind);

        await WriteFramedAsync(clientStream, """{"jsonrpc":"2.0","id":7,"method":"sidecar/ping"}""");
        var pong = await ReadFramedAsync(clientStream);
        using var pongDoc = JsonDocument.Parse(pong);
        Assert.Equal(7, pongDoc.RootElement.GetProperty("id").GetInt32());
        Assert.Equal(Environment.ProcessId, pongDoc.RootElement.GetProperty("result").GetProperty("processId").GetInt32());
        Assert.False(server.Completion.IsCompleted);
    }

    [Fact]
    public async Task Wrong_parameter_types_get_an_invalid_params_error()
    {
        var (clientStream, serverStream) = FullDuplexStream.CreatePair();
        using var context = new SidecarContext(new SidecarOptions("http://127.0.0.1:9/"));
        using var server = SidecarServer.Attach(serverStream, serverStream, context);

        await WriteFramedAsync(clientStream, """{"jsonrpc":"2.0","id":3,"method":"sidecar/echo","params":{"items":42}}""");
        using var doc = JsonDocument.Parse(await ReadFramedAsync(clientStream));
        Assert.Equal(3, doc.RootElement.GetProperty("id").GetInt32());
        Assert.Equal((int)JsonRpcErrorCode.InvalidParams, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.False(server.Completion.IsCompleted);
    }

    [Fact]
    public async Task Echo_round_trips_a_thousand_items()
    {
        await using var c = SidecarConnection.Start();
        var items = Enumerable.Range(0, 1000).Select(i => $"model-{i}").ToArray();
        var result = await c.Client.InvokeWithParameterObjectAsync<EchoParams>(SidecarMethods.Echo, new EchoParams(items));
        Assert.Equal(items, result.Items);
    }

    internal static async Task WriteFramedAsync(Stream stream, string content)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(content);
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    internal static async Task<string> ReadFramedAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var header = new List<byte>();
        var one = new byte[1];
        while (!(header.Count >= 4 && header[^4] == '\r' && header[^3] == '\n' && header[^2] == '\r' && header[^1] == '\n'))
        {
            var n = await stream.ReadAsync(one, cts.Token);
            Assert.True(n == 1, "stream closed while reading a header");
            header.Add(one[0]);
        }

        var headerText = System.Text.Encoding.ASCII.GetString(header.ToArray());
        var lengthLine = headerText.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cts.Token);
        return System.Text.Encoding.UTF8.GetString(body);
    }
}
