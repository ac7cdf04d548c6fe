using System.Collections.Concurrent;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Rpc;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Inference;

public sealed class InferenceRpcTests
{
    private static string TinyModelDir() => ModelIde.TestSupport.RepoPaths.TinyModelDir();

    /// <summary>Collects inference/token notifications on the client side.</summary>
    private sealed class TokenSink
    {
        public ConcurrentQueue<InferenceTokenParams> Tokens { get; } = new();

        [JsonRpcMethod(InferenceMethods.Token, UseSingleObjectParameterDeserialization = true)]
        public void OnToken(InferenceTokenParams p) => Tokens.Enqueue(p);
    }

    /// <summary>The FullDuplexStream pattern of <see cref="SidecarConnection"/>, with a client target registered before listening.</summary>
    private sealed class Connection(JsonRpc client, JsonRpc server, SidecarContext context, Stream stream) : IAsyncDisposable
    {
        public JsonRpc Client { get; } = client;

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            server.Dispose();
            context.Dispose();
            await stream.DisposeAsync();
        }
    }

    private static Connection ConnectionWithSink(TokenSink sink)
    {
        var (clientStream, serverStream) = FullDuplexStream.CreatePair();
        var context = new SidecarContext(new SidecarOptions("http://127.0.0.1:9/"));
        var server = SidecarServer.Attach(serverStream, serverStream, context);
        var formatter = new SystemTextJsonFormatter();
        SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
        var client = new JsonRpc(new HeaderDelimitedMessageHandler(clientStream, clientStream, formatter));
        client.AddLocalRpcTarget(sink);
        // Handle notifications one at a time, in arrival order, as vscode-jsonrpc does.
        client.SynchronizationContext = new Microsoft.VisualStudio.Threading.NonConcurrentSynchronizationContext(sticky: false);
        client.StartListening();
        return new Connection(client, server, context, clientStream);
    }

    [Fact]
    public async Task Load_generate_with_streamed_tokens_and_unload()
    {
        var sink = new TokenSink();
        await using var c = ConnectionWithSink(sink);

        var load = await c.Client.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
            new InferenceLoadParams(TinyModelDir(), DevicePolicyKind.PreferCpu, Threads: 2));
        Assert.Equal("cpu", load.Device);
        Assert.True(load.IsChatModel);

        var result = await c.Client.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
            new InferenceGenerateParams(load.SessionId, "g1", Prompt: "def fibonacci(n):\n", MaxNewTokens: 24));

        Assert.Equal(24, result.GeneratedTokens);
        // The device and reason come with each result too: a GPU failure mid-generation changes them (CudaFallbackTests).
        Assert.Equal(load.Device, result.Device);
        Assert.Equal(load.Reason, result.Reason);
        Assert.Equal(StopReasonKind.MaxTokens, result.StopReason);
        // Notifications are sent before the response, but the client may still be dispatching the last ones.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        InferenceTokenParams[] streamed;
        while ((streamed = sink.Tokens.Where(t => t.GenerationId == "g1").ToArray()).Length < result.GeneratedTokens && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(result.Text, string.Concat(streamed.Select(t => t.Text)));
        Assert.Equal(result.TokenIds, streamed.Select(t => t.TokenId).Take(result.TokenIds.Count));

        var chat = await c.Client.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
            new InferenceGenerateParams(load.SessionId, "g2", Messages: [new ChatMessageDto(ChatRole.User, "hi")], MaxNewTokens: 4));
        Assert.True(chat.PromptTokens > 4);

        await c.Client.InvokeWithParameterObjectAsync<InferenceUnloadResult>(InferenceMethods.Unload, new InferenceUnloadParams(load.SessionId));
        var gone = await Assert.ThrowsAsync<RemoteInvocationException>(() => c.Client.InvokeWithParameterObjectAsync<InferenceGenerateResult>(
            InferenceMethods.Generate, new InferenceGenerateParams(load.SessionId, "g3", Prompt: "x")));
        Assert.Equal(RpcErrorCodes.NotFound, gone.ErrorCode);
    }

    [Fact]
    public async Task Cancel_request_stops_a_generation()
    {
        var sink = new TokenSink();
        await using var c = ConnectionWithSink(sink);
        var load = await c.Client.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load, new InferenceLoadParams(TinyModelDir(), DevicePolicyKind.PreferCpu, Threads: 1));

        using var cts = new CancellationTokenSource();
        var generation = c.Client.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
            new InferenceGenerateParams(load.SessionId, "long", Prompt: "import os\n", MaxNewTokens: 2000), cts.Token);
        // Cancelled 200 ms in: the tiny model needs about 2 s for 2,000 tokens on one thread, so the cancel lands
        // mid-generation (on a very slow start, before it: then a cancellation with no tokens, which is accepted too).
        // The latency of Stop itself is GenerationStopProcessTests' subject.
        await Task.Delay(200);
        await cts.CancelAsync();
        // The sidecar answers a cancelled generation with its partial result (stopReason "cancelled"); a client may also
        // surface the cancellation as an exception, depending on which arrives first.
        try
        {
            var partial = await generation;
            Assert.Equal(StopReasonKind.Cancelled, partial.StopReason);
            Assert.True(partial.GeneratedTokens < 2000);
        }
        catch (OperationCanceledException)
        {
        }

        // The session is free again: a new generation on it runs.
        var next = await c.Client.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
            new InferenceGenerateParams(load.SessionId, "after", Prompt: "x = ", MaxNewTokens: 2));
        Assert.Equal(2, next.GeneratedTokens);
    }

    [Fact]
    public async Task Bad_model_folder_is_an_error_and_the_sidecar_stays_up()
    {
        await using var c = SidecarConnection.Start();
        var empty = Directory.CreateTempSubdirectory("modelide-empty-").FullName;
        try
        {
            var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => c.Client.InvokeWithParameterObjectAsync<InferenceLoadResult>(
                InferenceMethods.Load, new InferenceLoadParams(empty)));
            Assert.Equal(RpcErrorCodes.InvalidInput, e.ErrorCode);
            Assert.Contains("ONNX", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, true);
        }

        var ping = await c.Client.InvokeAsync<PingResult>(SidecarMethods.Ping);
        Assert.Equal(Environment.ProcessId, ping.ProcessId);
    }

    [Fact]
    public async Task Devices_reports_the_cpu_provider()
    {
        await using var c = SidecarConnection.Start();
        var devices = await c.Client.InvokeWithParameterObjectAsync<InferenceDevicesResult>(InferenceMethods.Devices, new InferenceDevicesParams(DevicePolicyKind.Auto));
        Assert.Contains(devices.ExecutionProviders, e => e.Name == "CPUExecutionProvider");
        Assert.False(string.IsNullOrWhiteSpace(devices.Summary));
    }
}
