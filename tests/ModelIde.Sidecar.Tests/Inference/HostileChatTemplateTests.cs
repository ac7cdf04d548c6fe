using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Protocol;
using ModelIde.Sidecar.Tests.Rpc;
using StreamJsonRpc;

namespace ModelIde.Sidecar.Tests.Inference;

/// <summary>
/// Issue 19.3 against the real sidecar process: a model whose chat template is built to kill the process (deep nesting:
/// stack overflow) or freeze it (nested loops rendered on the request-reading thread). While the template renders, the
/// sidecar answers <c>sidecar/ping</c> within 1 s every time; the generation ends with the fallback prompt; closing stdin
/// ends the process even mid-render.
/// </summary>
[Collection(PingLatencyCollection.Name)]
public sealed class HostileChatTemplateTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan PingLimit = TimeSpan.FromSeconds(1);

    private static readonly ChatMessageDto[] ThreeMessages = [new(ChatRole.System, "s"), new(ChatRole.User, "hello"), new(ChatRole.Assistant, "a")];

    /// <summary>The bundled model with its tokenizer_config.json's chat_template replaced (the other files are links).</summary>
    internal static string ModelWithTemplate(string template)
    {
        var source = ModelIde.TestSupport.RepoPaths.TinyModelDir();
        var dir = Directory.CreateTempSubdirectory("modelide-hostile-template-").FullName;
        foreach (var file in Directory.GetFiles(source))
        {
            var name = Path.GetFileName(file);
            if (name != "tokenizer_config.json")
            {
                File.CreateSymbolicLink(Path.Combine(dir, name), file);
            }
        }

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer_config.json")))!.AsObject();
        config["chat_template"] = template;
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        return dir;
    }

    internal sealed class LiveSidecar : IDisposable
    {
        private LiveSidecar(Process process, JsonRpc rpc)
        {
            Process = process;
            Rpc = rpc;
        }

        public Process Process { get; }

        public JsonRpc Rpc { get; }

        public static LiveSidecar Start()
        {
            var process = SidecarProcessTests.StartSidecar(new Dictionary<string, string?> { ["MODELSCOPE_API_TOKEN"] = null }, "--endpoint", "http://127.0.0.1:9");
            _ = process.StandardError.ReadToEndAsync();
            var formatter = new SystemTextJsonFormatter();
            SidecarServer.ConfigureJson(formatter.JsonSerializerOptions);
            var rpc = new JsonRpc(new HeaderDelimitedMessageHandler(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, formatter));
            rpc.StartListening();
            return new LiveSidecar(process, rpc);
        }

        /// <summary>
        /// Pings until <paramref name="work"/> ends; returns the slowest answer and how many pings were sent. (The first
        /// ping of a fresh process pays for compiling the ping path: callers send one before the work starts.)
        /// </summary>
        public async Task<(TimeSpan Slowest, int Pings)> PingWhileAsync(Task work)
        {
            var slowest = TimeSpan.Zero;
            var pings = 0;
            do
            {
                var watch = Stopwatch.StartNew();
                var ping = Rpc.InvokeAsync<PingResult>(SidecarMethods.Ping);
                var answered = await Task.WhenAny(ping, Task.Delay(TimeSpan.FromSeconds(30))) == ping;
                Assert.True(answered, "sidecar/ping got no answer within 30 s while a chat template rendered");
                await ping;
                slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;


                pings++;
                await Task.WhenAny(work, Task.Delay(100));
            }
            while (!work.IsCompleted);

            return (slowest, pings);
        }

        public void Dispose()
        {
            Rpc.Dispose();
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }

    public static string NestedIfs(int depth) =>
        string.Concat(Enumerable.Repeat("{% if true %}", depth)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", depth));

    public static string NestedFors(int depth) =>
        string.Concat(Enumerable.Repeat("{% for m in messages %}", depth)) + "{{ m.content }}" + string.Concat(Enumerable.Repeat("{% endfor %}", depth));

    public static TheoryData<string, string> KillerTemplates() => new()
    {
        { "200,000 nested ifs", NestedIfs(200_000) },
        { "40 nested fors over 3 messages", NestedFors(40) },
    };

    [Theory]
    [MemberData(nameof(KillerTemplates))]
    public async Task A_template_built_to_kill_or_freeze_the_sidecar_falls_back_while_ping_stays_under_a_second(string what, string template)
    {
        var model = ModelWithTemplate(template);
        using var sidecar = LiveSidecar.Start();
        try
        {
            var load = await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
                new InferenceLoadParams(model, DevicePolicyKind.PreferCpu, Threads: 1));
            await sidecar.Rpc.InvokeAsync<PingResult>(SidecarMethods.Ping);
            var generate = sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                new InferenceGenerateParams(load.SessionId, "g1", Messages: ThreeMessages, MaxNewTokens: 4));
            var (slowest, pings) = await sidecar.PingWhileAsync(generate);
            var result = await generate;
            output.WriteLine($"{what}: {pings} pings, slowest {slowest.TotalMilliseconds:F0} ms; prompt {result.PromptTokens} tokens, stop {result.StopReason}");
            Assert.True(slowest < PingLimit, $"{what}: a ping took {slowest.TotalMilliseconds:F0} ms");
            Assert.False(sidecar.Process.HasExited, $"{what}: the sidecar died");
            Assert.Contains(result.StopReason, new[] { StopReasonKind.MaxTokens, StopReasonKind.Eos });
        }
        finally
        {
            Directory.Delete(model, recursive: true);
        }
    }

    [Fact]
    public async Task Closing_stdin_mid_render_ends_the_sidecar()
    {
        var model = ModelWithTemplate(NestedFors(40));
        using var sidecar = LiveSidecar.Start();
        try
        {
            var load = await sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceLoadResult>(InferenceMethods.Load,
                new InferenceLoadParams(model, DevicePolicyKind.PreferCpu, Threads: 1));
            var generate = sidecar.Rpc.InvokeWithParameterObjectAsync<InferenceGenerateResult>(InferenceMethods.Generate,
                new InferenceGenerateParams(load.SessionId, "g1", Messages: ThreeMessages, MaxNewTokens: 4));
            await Task.Delay(500);
            Assert.False(generate.IsCompleted, "the render ended before stdin could be closed mid-render");
            sidecar.Process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await sidecar.Process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            Directory.Delete(model, recursive: true);
        }
    }
}

/// <summary>Tests that time sidecar/ping run alone: other test processes on a 2-core machine would be what they measure.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PingLatencyCollection
{
    public const string Name = "ping latency";
}
