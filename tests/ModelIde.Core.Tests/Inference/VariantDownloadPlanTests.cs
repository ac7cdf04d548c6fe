using ModelIde.Core.Inference;

namespace ModelIde.Core.Tests.Inference;

/// <summary>Issue 13.4: "Download" of a repository with several ONNX variants fetches the chosen one and the shared files.</summary>
public sealed class VariantDownloadPlanTests
{
    private const long MB = 1024 * 1024;
    private const long Plenty = 64L * 1024 * MB;

    // The file names of onnx-community/Qwen2.5-0.5B-Instruct (sizes made up, in proportion).
    private static readonly (string, long)[] OnnxCommunity =
    [
        (".gitattributes", 2_000), ("README.md", 6_000), ("config.json", 700), ("generation_config.json", 250), ("merges.txt", 1_600_000),
        ("special_tokens_map.json", 600), ("tokenizer.json", 7_000_000), ("tokenizer_config.json", 7_300), ("vocab.json", 2_700_000),
        ("onnx/model.onnx", 1_500_000), ("onnx/model.onnx_data", 1_980 * MB), ("onnx/model_bnb4.onnx", 850 * MB), ("onnx/model_fp16.onnx", 990 * MB),
        ("onnx/model_int8.onnx", 500 * MB), ("onnx/model_q4.onnx", 790 * MB), ("onnx/model_q4f16.onnx", 480 * MB),
        ("onnx/model_quantized.onnx", 500 * MB), ("onnx/model_uint8.onnx", 500 * MB),
    ];

    private static readonly string[] OnnxCommunityShared =
        ["README.md", "config.json", "generation_config.json", "merges.txt", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"];

    [Fact]
    public void Onnx_community_on_cpu_takes_the_int4_file_and_the_files_at_the_root()
    {
        var plan = VariantDownloadPlanner.Plan(OnnxCommunity, "cpu", Plenty);
        Assert.Equal("onnx/model_q4.onnx", plan.Chosen!.File);
        Assert.StartsWith("int4 is the fastest precision ONNX Runtime runs on CPU", plan.Reason, StringComparison.Ordinal);
        Assert.Equal(OnnxCommunityShared.Append("onnx/model_q4.onnx").Order(StringComparer.Ordinal), plan.Files);
        Assert.Equal(8, plan.Variants.Count);
        Assert.Equal(OnnxCommunity.Sum(f => f.Item2), plan.AllBytes);
        Assert.Equal(OnnxCommunity.Where(f => plan.Files.Contains(f.Item1)).Sum(f => f.Item2), plan.Bytes);
        Assert.True(plan.Bytes * 5 < plan.AllBytes);
    }

    [Fact]
    public void On_a_gpu_fp16_and_an_fp32_choice_brings_its_external_data()
    {
        Assert.Equal("onnx/model_fp16.onnx", VariantDownloadPlanner.Plan(OnnxCommunity, "gpu", Plenty).Chosen!.File);

        (string, long)[] optimum = [("config.json", 700), ("tokenizer.json", 7_000), ("model.onnx", 500_000), ("model.onnx_data", 2_000 * MB), ("model.onnx_data_1", 900 * MB)];
        var plan = VariantDownloadPlanner.Plan(optimum, "gpu", Plenty);
        Assert.Equal("model.onnx", plan.Chosen!.File);
        Assert.Equal("the only model in the repository", plan.Reason);
        Assert.Equal(["config.json", "model.onnx", "model.onnx_data", "model.onnx_data_1", "tokenizer.json"], plan.Files);
        Assert.Equal(2_900 * MB + 500_000, plan.Chosen.Bytes);
    }

    [Fact]
    public void Little_memory_takes_the_smallest_suitable_variant()
    {
        var plan = VariantDownloadPlanner.Plan(OnnxCommunity, "cpu", 300 * MB);
        Assert.Equal("onnx/model_q4.onnx", plan.Chosen!.File);
        Assert.Contains("none fits comfortably", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_genai_builder_repository_on_cpu_takes_one_cpu_folder_whole_and_no_cuda_or_directml()
    {
        static (string, long)[] Folder(string dir, string model, long bytes) =>
        [
            ($"{dir}/genai_config.json", 1_500), ($"{dir}/{model}.onnx", 300_000), ($"{dir}/{model}.onnx.data", bytes), ($"{dir}/tokenizer.json", 1_900_000),
            ($"{dir}/tokenizer_config.json", 3_000), ($"{dir}/config.json", 900),
        ];
        (string, long)[] phi3 =
        [
            ("README.md", 9_000), ("LICENSE", 1_100), (".gitattributes", 1_600),
            .. Folder("cpu_and_mobile/cpu-int4-rtn-block-32", "phi3-mini-4k-instruct-cpu-int4-rtn-block-32", 2_700 * MB),
            .. Folder("cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4", "phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4", 2_600 * MB),
            .. Folder("cuda/cuda-fp16", "phi3-mini-4k-instruct-cuda-fp16", 7_600 * MB),
            .. Folder("cuda/cuda-int4-rtn-block-32", "phi3-mini-4k-instruct-cuda-int4-rtn-block-32", 2_400 * MB),
            .. Folder("directml/directml-int4-awq-block-128", "model", 2_100 * MB),
        ];

        var plan = VariantDownloadPlanner.Plan(phi3, "cpu", Plenty);
        var chosen = "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4";
        Assert.Equal($"{chosen}/phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4.onnx", plan.Chosen!.File);
        Assert.Equal(5, plan.Variants.Count);
        Assert.Equal(3, plan.Variants.Count(v => v.GpuOnly));
        Assert.Equal(["LICENSE", "README.md", .. Folder(chosen, "phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4", 0).Select(f => f.Item1).Order(StringComparer.Ordinal)], plan.Files);

        Assert.Equal("cuda/cuda-fp16/phi3-mini-4k-instruct-cuda-fp16.onnx", VariantDownloadPlanner.Plan(phi3, "gpu", Plenty).Chosen!.File);

        // Only GPU builds and a CPU: no variant to offer, so everything (the user decides).
        var gpuOnly = phi3.Where(f => !f.Item1.StartsWith("cpu_and_mobile/", StringComparison.Ordinal)).ToArray();
        var none = VariantDownloadPlanner.Plan(gpuOnly, "cpu", Plenty);
        Assert.Null(none.Chosen);
        Assert.Contains("built for a GPU", none.Reason, StringComparison.Ordinal);
        Assert.Equal(gpuOnly.Length, none.Files.Count);
    }

    [Fact]
    public void Merged_decoder_leaves_out_its_two_halves_and_weights_of_other_runtimes()
    {
        (string, long)[] optimum =
        [
            ("config.json", 700), ("tokenizer.json", 7_000), ("model.safetensors", 990 * MB), ("pytorch_model.bin", 990 * MB),
            ("onnx/decoder_model.onnx", 990 * MB), ("onnx/decoder_with_past_model.onnx", 990 * MB), ("onnx/decoder_model_merged.onnx", 995 * MB),
            ("onnx/vision_encoder.onnx", 300 * MB),
        ];
        var plan = VariantDownloadPlanner.Plan(optimum, "cpu", Plenty);
        Assert.Equal("onnx/decoder_model_merged.onnx", plan.Chosen!.File);
        Assert.Single(plan.Variants);
        // The vision encoder is no variant, but a multimodal model needs it: shared.
        Assert.Equal(["config.json", "onnx/decoder_model_merged.onnx", "onnx/vision_encoder.onnx", "tokenizer.json"], plan.Files);
    }

    [Fact]
    public void A_repository_without_onnx_is_downloaded_whole()
    {
        var plan = VariantDownloadPlanner.Plan([("config.json", 1), ("model.safetensors", 10)], "cpu", Plenty);
        Assert.Null(plan.Chosen);
        Assert.Equal(["config.json", "model.safetensors"], plan.Files);
    }
}
