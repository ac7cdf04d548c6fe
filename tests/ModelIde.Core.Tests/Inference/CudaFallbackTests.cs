using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

/// <summary>
/// A CUDA Run that fails while generating (out of memory, driver mismatch) moves the model to a CPU session and the
/// generation goes on from where it was. Without a GPU, a CPU session stands in for the CUDA one and the N-th Run throws
/// a real <see cref="OnnxRuntimeException"/> (ONNX Runtime refusing a broken model), as a failing CUDA Run would.
/// </summary>
[Collection(DecoderFixturesCollection.Name)]
public sealed class CudaFallbackTests(DecoderFixtures fixtures, TinyModel tiny)
{
    // Run 1 is the prefill; run 6 is the fifth decode step. tiny-stdlib-coder has a plain KV cache (presents become the
    // next pasts); genai-builder-fp32 binds one shared KV buffer per layer (GroupQueryAttention writes in place).
    public static TheoryData<string, int> Cases() => new()
    {
        { "tiny-stdlib-coder", 1 },
        { "tiny-stdlib-coder", 6 },
        { "genai-builder-fp32", 6 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_failing_Run_continues_on_CPU_with_the_reference_ids_and_an_unbroken_stream(string name, int failingRun)
    {
        using var model = DecoderLanguageModel.Load(name == "tiny-stdlib-coder" ? tiny.Directory : fixtures.Folder(name), DevicePolicyKind.PreferCpu, threads: 1);
        model.StandInForCudaForTests();
        string? failure = null;
        model.BeforeRunForTests = n =>
        {
            if (n == failingRun)
            {
                ProvokeOnnxRuntimeFailure(m => failure = m);
            }
        };
        var c = tiny.Reference.RootElement.GetProperty("generation")[1];
        var expected = c.GetProperty("greedy_ids_onnxruntime").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var chunks = new List<GeneratedToken>();

        var result = model.Generate(c.GetProperty("prompt").GetString()!, new GenerationOptions { MaxNewTokens = expected.Length }, chunks.Add);

        Assert.NotNull(failure);
        // The steps before the failure kept their cache where a CUDA session does (IOBinding); the rest ran on the host.
        Assert.Equal(failingRun - 1, model.DeviceKvRunsForTests);
        Assert.Equal(expected, result.TokenIds);
        Assert.Equal(c.GetProperty("greedy_text_onnxruntime").GetString(), result.Text);
        // Every id reached the stream once, in order, and the chunks make up the text: nothing repeated, nothing lost.
        Assert.Equal(result.TokenIds, chunks.Select(t => t.TokenId).Take(result.TokenIds.Count));
        Assert.Equal(result.Text, string.Concat(chunks.Select(t => t.Text)));
        Assert.Equal("cpu", model.Device);
        Assert.Contains("failed during generation", model.Reason, StringComparison.Ordinal);
        Assert.Contains(failure!.Split('\n')[0].Trim(), model.Reason, StringComparison.Ordinal);
        Assert.EndsWith("running on CPU (1 threads)", model.Reason, StringComparison.Ordinal);

        // The CPU session stays: the next generation runs there from the start and gives the same ids.
        Assert.Equal(expected, model.Generate(c.GetProperty("prompt").GetString()!, new GenerationOptions { MaxNewTokens = expected.Length }).TokenIds);
    }

    // The GPU warm-up at load (two tokens, so the user's first prompt does not pay for cuBLAS and the arena) must leave
    // nothing behind: the first real generation gives the reference ids. A warm-up whose Run fails moves the model to the
    // CPU without an error, as a real generation would, and the user's generation then runs there.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void The_gpu_warm_up_leaves_the_first_generation_unchanged_and_a_failing_one_falls_back(int failingRun)
    {
        using var model = DecoderLanguageModel.Load(tiny.Directory, DevicePolicyKind.PreferCpu, threads: 1);
        model.StandInForCudaForTests();
        var runs = 0;
        model.BeforeRunForTests = n =>
        {
            runs = n;
            if (n == failingRun)
            {
                ProvokeOnnxRuntimeFailure(_ => { });
            }
        };

        model.WarmUpOnGpu();

        Assert.Equal(failingRun == 0 ? 2 : 3, runs); // the prefill and one decode step; a failed prefill runs again on the CPU
        Assert.Equal(failingRun == 0 ? "gpu" : "cpu", model.Device);
        Assert.Equal(failingRun == 0 ? 2 : 0, model.DeviceKvRunsForTests);
        model.BeforeRunForTests = null;
        var c = tiny.Reference.RootElement.GetProperty("generation")[1];
        var expected = c.GetProperty("greedy_ids_onnxruntime").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        Assert.Equal(expected, model.Generate(c.GetProperty("prompt").GetString()!, new GenerationOptions { MaxNewTokens = expected.Length }).TokenIds);
    }

    [Fact]
    public void A_failing_Run_on_a_CPU_session_is_reported_not_retried()
    {
        using var model = DecoderLanguageModel.Load(tiny.Directory, DevicePolicyKind.PreferCpu, threads: 1);
        var reason = model.Reason;
        var runs = 0;
        model.BeforeRunForTests = n =>
        {
            runs = n;
            if (n == 3)
            {
                ProvokeOnnxRuntimeFailure(_ => { });
            }
        };

        var e = Assert.Throws<ModelIdeException>(() => model.Generate("def add(a, b):", new GenerationOptions { MaxNewTokens = 8 }));

        Assert.Equal(3, runs);
        Assert.Equal("cpu", model.Device);
        Assert.Equal(reason, model.Reason);
        Assert.Contains("failed while generating", e.Message, StringComparison.Ordinal);
    }

    // ONNX Runtime itself raising (a session over bytes that are no model); its message goes to seen before it is rethrown.
    private static void ProvokeOnnxRuntimeFailure(Action<string> seen)
    {
        try
        {
            using var broken = new InferenceSession(new byte[] { 1, 2, 3, 4 });
        }
        catch (OnnxRuntimeException e)
        {
            seen(e.Message);
            throw;
        }

        throw new InvalidOperationException("ONNX Runtime accepted a broken model.");
    }
}
