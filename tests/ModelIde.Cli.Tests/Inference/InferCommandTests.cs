using System.Text.Json;
using ModelIde.Cli;

namespace ModelIde.Cli.Tests.Inference;

public sealed class InferCommandTests
{
    private static string TinyModelDir() => ModelIde.TestSupport.RepoPaths.TinyModelDir();

    [Fact]
    public async Task Json_output_has_exactly_device_reason_file_token_ids_text_speed_and_timings()
    {
        var dir = TinyModelDir();
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference.json")));
        var g = reference.RootElement.GetProperty("generation")[1];
        var expected = g.GetProperty("greedy_ids_onnxruntime").EnumerateArray().Take(12).Select(x => x.GetInt32()).ToArray();
        var stdout = new StringWriter();
        var code = await CliApp.RunAsync(
            ["infer", "--model", dir, "--prompt", g.GetProperty("prompt").GetString()!, "--max-new-tokens", "12", "--device", "cpu", "--json"],
            new CliConsole(stdout, new StringWriter()), CancellationToken.None);

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(new[] { "device", "reason", "file", "file_reason", "token_ids", "text", "tokens_per_second", "load_ms", "prompt_tokens", "first_token_ms", "decode_tokens_per_second", "kv_cache" },
            doc.RootElement.EnumerateObject().Select(p => p.Name));
        // The figures a GPU-vs-CPU comparison needs, measured the way a plain ONNX Runtime loop measures them.
        Assert.Equal(g.GetProperty("prompt_ids").GetArrayLength(), doc.RootElement.GetProperty("prompt_tokens").GetInt32());
        Assert.True(doc.RootElement.GetProperty("first_token_ms").GetDouble() > 0);
        Assert.True(doc.RootElement.GetProperty("decode_tokens_per_second").GetDouble() > 0);
        Assert.True(doc.RootElement.GetProperty("load_ms").GetDouble() > 0);
        Assert.Equal("host", doc.RootElement.GetProperty("kv_cache").GetString());
        Assert.Contains("CPU requested; running on CPU", doc.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("model.onnx", doc.RootElement.GetProperty("file").GetString());
        Assert.Equal(expected, doc.RootElement.GetProperty("token_ids").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString());
    }

    [Fact]
    public async Task Streaming_output_goes_to_stdout_and_speed_to_stderr()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(
            ["infer", "--model", TinyModelDir(), "--prompt", "def f(x):\n", "--max-new-tokens", "8"],
            new CliConsole(stdout, stderr), CancellationToken.None);
        Assert.Equal(0, code);
        Assert.False(string.IsNullOrWhiteSpace(stdout.ToString()));
        Assert.Contains("tokens/s", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tokens/s", stdout.ToString(), StringComparison.Ordinal);
    }
}
