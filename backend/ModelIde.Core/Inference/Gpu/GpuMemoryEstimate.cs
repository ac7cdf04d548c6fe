using System.Text.Json;

namespace ModelIde.Core.Inference.Gpu;

/// <summary>
/// GPU memory a model needs before it is loaded: its weights (the ONNX file and its external data), the KV cache for
/// the context it will run with, and a fixed workspace for the CUDA context, cuBLAS and cuDNN.
/// </summary>
public sealed record GpuMemoryEstimate(long WeightBytes, long KvCacheBytes, int ContextTokens, long WorkspaceBytes)
{
    /// <summary>CUDA context plus cuBLAS/cuDNN workspaces, measured as a few hundred MB on current GPUs; rounded up.</summary>
    public const long DefaultWorkspaceBytes = 768L << 20;

    /// <summary>Activations and the allocator's rounding, as a share of the weights.</summary>
    public long TotalBytes => WeightBytes + KvCacheBytes + WorkspaceBytes + (WeightBytes / 10);

    public bool FitsIn(long freeBytes) => TotalBytes <= freeBytes;

    /// <summary>
    /// Reads sizes from <paramref name="modelPath"/> and its data files (model.onnx.data, model.onnx_data, _data_1, ...)
    /// and the shape from genai_config.json or config.json beside it. <paramref name="contextTokens"/> caps the
    /// context (default: the model's own, at most 8,192).
    /// </summary>
    public static GpuMemoryEstimate ForModel(string modelPath, int? contextTokens = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var name = Path.GetFileName(modelPath);
        var weights = Directory.GetFiles(dir)
            .Where(f => Path.GetFileName(f) is var n && (n == name || n.StartsWith(name + ".", StringComparison.Ordinal) || n.StartsWith(name + "_data", StringComparison.Ordinal)))
            .Sum(f => new FileInfo(f).Length);

        var shape = ReadShape(dir);
        var context = Math.Min(contextTokens ?? 8192, shape.Context ?? 8192);
        var elementBytes = name.Contains("fp16", StringComparison.OrdinalIgnoreCase) || name.Contains("f16", StringComparison.OrdinalIgnoreCase) || shape.Fp16 ? 2 : 4;
        long kv = shape is { Layers: { } l, KvHeads: { } h, HeadSize: { } s } ? 2L * l * h * s * context * elementBytes : 0;
        return new GpuMemoryEstimate(weights, kv, context, DefaultWorkspaceBytes);
    }

    private sealed record Shape(int? Layers, int? KvHeads, int? HeadSize, int? Context, bool Fp16);

    private static Shape ReadShape(string dir)
    {
        var genai = Read(Path.Combine(dir, "genai_config.json"));
        // A downloaded genai_config.json may be any JSON at all: only an object with a "model" object describes a shape.
        if (genai is { ValueKind: JsonValueKind.Object } g && g.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.Object)
        {
            var decoder = model.TryGetProperty("decoder", out var d) ? d : default;
            var fp16 = decoder.ValueKind == JsonValueKind.Object && decoder.TryGetProperty("session_options", out var so) &&
                so.ToString().Contains("cuda", StringComparison.OrdinalIgnoreCase);
            return new Shape(Int(decoder, "num_hidden_layers"), Int(decoder, "num_key_value_heads"), Int(decoder, "head_size"), Int(model, "context_length"), fp16);
        }

        if (Read(Path.Combine(dir, "config.json")) is { } c)
        {
            var heads = Int(c, "num_attention_heads");
            var head = Int(c, "head_dim") ?? (Int(c, "hidden_size") is { } hidden && heads is > 0 ? hidden / heads : null);
            // torch_dtype says nothing about the ONNX export's KV type; fp32 is the safe guess.
            return new Shape(Int(c, "num_hidden_layers"), Int(c, "num_key_value_heads") ?? heads, head, Int(c, "max_position_embeddings"), false);
        }

        return new Shape(null, null, null, null, false);
    }

    private static JsonElement? Read(string path)
    {
        try
        {
            return File.Exists(path) ? JsonDocument.Parse(SideFileReader.ReadText(path, SideFileReader.JsonLimit)).RootElement : null;
        }
        catch (Exception e) when (e is JsonException or ModelIdeException)
        {
            return null;
        }
    }

    private static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
}
