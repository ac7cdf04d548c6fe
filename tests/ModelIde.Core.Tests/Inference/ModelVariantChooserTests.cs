using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

public sealed class ModelVariantChooserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-variants-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_users_folder_named_gpu_does_not_make_every_variant_gpu_only()
    {
        // The user keeps models under .../gpu/...; only the folders inside the model say what an export is built for.
        var root = Path.Combine(_dir, "gpu", "models", "Qwen");
        Write(Path.Combine(root, "onnx", "model_q4.onnx"), 64);
        Write(Path.Combine(root, "onnx", "model_fp16.onnx"), 128);
        Write(Path.Combine(root, "cuda", "model.onnx"), 256);

        var variants = ModelVariantChooser.Find(root).ToDictionary(v => v.RelativeTo(root), v => v.GpuOnly);
        Assert.Equal(new Dictionary<string, bool> { ["cuda/model.onnx"] = true, ["onnx/model_fp16.onnx"] = false, ["onnx/model_q4.onnx"] = false }, variants);

        var onCpu = ModelVariantChooser.Choose(root, "cpu", 1L << 30);
        Assert.Equal("onnx/model_q4.onnx", onCpu.Chosen.RelativeTo(root));
        var onGpu = ModelVariantChooser.Choose(root, "gpu", 1L << 30);
        Assert.Equal("fp16", onGpu.Chosen.Precision);
    }

    private static void Write(string path, int bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
    }
}
