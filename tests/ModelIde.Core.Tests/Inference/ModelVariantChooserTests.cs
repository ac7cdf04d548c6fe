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

    [Fact]
    public void GenAI_builder_variants_are_found_however_deep_the_repository_nests_them()
    {
        // A repo that keeps its builder outputs under a few folders of its own: each genai_config.json folder is one
        // variant (the file it names), whatever the depth; the CPU gets the int4 one, a GPU the fp16 one.
        var root = Path.Combine(_dir, "repo");
        var cpu = Path.Combine(root, "onnx", "exports", "v2", "cpu_and_mobile", "cpu-int4-rtn-block-32-acc-level-4");
        var cuda = Path.Combine(root, "onnx", "exports", "v2", "cuda", "cuda-fp16");
        foreach (var (dir, size) in new[] { (cpu, 64), (cuda, 128) })
        {
            Write(Path.Combine(dir, "model.onnx"), size);
            Write(Path.Combine(dir, "model.onnx.data"), size * 10);
            File.WriteAllText(Path.Combine(dir, "genai_config.json"), """{"model":{"decoder":{"filename":"model.onnx"}}}""");
        }

        var onCpu = ModelVariantChooser.Choose(root, "cpu", 1L << 30);
        Assert.Equal("onnx/exports/v2/cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4/model.onnx", onCpu.Chosen.RelativeTo(root));
        Assert.Equal(("int4", false, 704L), (onCpu.Chosen.Precision, onCpu.Chosen.GpuOnly, onCpu.Chosen.Bytes));
        Assert.Equal(2, onCpu.Variants.Count);
        var onGpu = ModelVariantChooser.Choose(root, "gpu", 1L << 30);
        Assert.Equal("onnx/exports/v2/cuda/cuda-fp16/model.onnx", onGpu.Chosen.RelativeTo(root));
    }

    private static void Write(string path, int bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
    }
}
