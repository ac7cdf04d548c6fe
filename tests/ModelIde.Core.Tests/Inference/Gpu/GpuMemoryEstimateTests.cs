using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Tests.Inference.Gpu;

public sealed class GpuMemoryEstimateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-estimate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Sized(string name, long bytes)
    {
        using var f = File.Create(Path.Combine(_dir, name));
        f.SetLength(bytes);
    }

    [Fact]
    public void Weights_count_the_model_and_its_external_data_but_not_other_variants()
    {
        Sized("model.onnx", 1_000_000);
        Sized("model.onnx_data", 500_000_000);
        Sized("model.onnx_data_1", 200_000_000);
        Sized("model_fp16.onnx", 300_000_000);
        // Qwen2.5-0.5B's config.json: 24 layers, 2 KV heads, 896 / 14 = 64 per head, 32,768 positions.
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"num_hidden_layers":24,"num_attention_heads":14,"num_key_value_heads":2,"hidden_size":896,"max_position_embeddings":32768}""");

        var e = GpuMemoryEstimate.ForModel(Path.Combine(_dir, "model.onnx"), contextTokens: 4096);
        Assert.Equal(701_000_000, e.WeightBytes);
        Assert.Equal(4096, e.ContextTokens);
        Assert.Equal(2L * 24 * 2 * 64 * 4096 * 4, e.KvCacheBytes);

        var fp16 = GpuMemoryEstimate.ForModel(Path.Combine(_dir, "model_fp16.onnx"));
        Assert.Equal(300_000_000, fp16.WeightBytes);
        Assert.Equal(8192, fp16.ContextTokens);
        Assert.Equal(2L * 24 * 2 * 64 * 8192 * 2, fp16.KvCacheBytes);
    }

    [Fact]
    public void Genai_config_gives_the_shape_and_context()
    {
        Sized("model.onnx", 2_000);
        Sized("model.onnx.data", 320_000_000);
        File.WriteAllText(Path.Combine(_dir, "genai_config.json"),
            """{"model":{"context_length":2048,"decoder":{"num_hidden_layers":4,"num_key_value_heads":2,"head_size":32,"session_options":{"provider_options":[{"cuda":{}}]}}}}""");
        var e = GpuMemoryEstimate.ForModel(Path.Combine(_dir, "model.onnx"));
        Assert.Equal(320_002_000, e.WeightBytes);
        Assert.Equal(2L * 4 * 2 * 32 * 2048 * 2, e.KvCacheBytes);
        Assert.True(e.FitsIn(e.TotalBytes));
        Assert.False(e.FitsIn(e.TotalBytes - 1));
    }
}
