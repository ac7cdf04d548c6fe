namespace ModelIde.Hub.Models;

/// <summary>Deterministic metadata-only models with realistic names, owners and spread-out statistics.</summary>
internal static class CatalogueGenerator
{
    private sealed record Family(string Owner, string Prefix, string[] Versions, string[] Sizes, string[] Variants, string Task, string ModelType, string Library);

    private static readonly Family[] s_families =
    [
        new("Qwen", "Qwen", ["1.5", "2", "2.5", "3"], ["0.5B", "1.5B", "3B", "7B", "14B", "32B", "72B"], ["", "-Instruct", "-Chat", "-GPTQ-Int4", "-AWQ", "-GGUF"], "text-generation", "qwen2", "transformers"),
        new("Qwen", "Qwen2.5-Coder", [""], ["0.5B", "1.5B", "3B", "7B", "14B", "32B"], ["", "-Instruct", "-Instruct-GGUF", "-Instruct-AWQ"], "text-generation", "qwen2", "transformers"),
        new("Qwen", "Qwen2-VL", [""], ["2B", "7B", "72B"], ["", "-Instruct", "-Instruct-AWQ"], "visual-question-answering", "qwen2_vl", "transformers"),
        new("ZhipuAI", "glm", ["-4", "-4v", "-4-plus"], ["9b", "32b"], ["", "-chat", "-chat-hf", "-0414"], "text-generation", "chatglm", "transformers"),
        new("ZhipuAI", "chatglm", ["2", "3"], ["6b"], ["", "-32k", "-128k", "-base"], "text-generation", "chatglm", "pytorch"),
        new("deepseek-ai", "DeepSeek", ["-V2", "-V2.5", "-V3", "-R1"], ["", "-Lite", "-Distill-Qwen-7B", "-Distill-Llama-8B"], ["", "-Chat", "-Base"], "text-generation", "deepseek_v3", "transformers"),
        new("deepseek-ai", "deepseek-coder", [""], ["-1.3b", "-6.7b", "-33b"], ["-base", "-instruct"], "text-generation", "llama", "transformers"),
        new("LLM-Research", "Meta-Llama", ["-3", "-3.1", "-3.2", "-3.3"], ["-1B", "-3B", "-8B", "-70B"], ["", "-Instruct"], "text-generation", "llama", "transformers"),
        new("LLM-Research", "Mistral", ["-7B", "-Nemo"], ["-v0.1", "-v0.2", "-v0.3", ""], ["", "-Instruct"], "text-generation", "mistral", "transformers"),
        new("baichuan-inc", "Baichuan", ["2", "-M1"], ["-7B", "-13B", "-14B"], ["-Base", "-Chat", "-Chat-4bits"], "text-generation", "baichuan", "pytorch"),
        new("OpenBMB", "MiniCPM", ["", "-2", "-V-2_6", "3"], ["-1B", "-2B", "-4B", "-8B"], ["", "-sft-bf16", "-int4", "-gguf"], "text-generation", "minicpm", "transformers"),
        new("Shanghai_AI_Laboratory", "internlm", ["2", "2_5", "3"], ["-1_8b", "-7b", "-20b"], ["", "-chat", "-chat-4bits", "-base"], "text-generation", "internlm2", "transformers"),
        new("01ai", "Yi", ["", "-1.5"], ["-6B", "-9B", "-34B"], ["", "-Chat", "-Chat-4bits", "-200K"], "text-generation", "llama", "transformers"),
        new("BAAI", "bge", ["-small", "-base", "-large", "-m3"], ["-zh", "-en", ""], ["", "-v1.5", "-reranker"], "sentence-similarity", "bert", "sentence-transformers"),
        new("iic", "nlp_corom_sentence-embedding", ["_chinese", "_english"], ["-base", "-tiny", "-large"], ["", "-ecom", "-medical"], "sentence-embedding", "bert", "pytorch"),
        new("iic", "speech_paraformer", ["-large", "_asr_nat", "-vad-punc"], ["_asr_nat-zh-cn-16k", "-zh-cn-8k", "-en-16k"], ["-common-vocab8404-pytorch", "-online", ""], "auto-speech-recognition", "paraformer", "funasr"),
        new("iic", "cv_resnet", ["18", "50", "101"], ["_image-classification", "_object-detection", "_face-detection"], ["_imagenet", "_coco", "_damo"], "image-classification", "resnet", "pytorch"),
        new("iic", "nlp_csanmt_translation", ["_zh2en", "_en2zh", "_en2fr", "_fr2en"], ["", "-base", "-large"], ["", "-v2"], "translation", "csanmt", "pytorch"),
        new("AI-ModelScope", "stable-diffusion", ["-v1-5", "-2-1", "-xl-base-1.0", "-3-medium", "-3.5-large"], ["", "-turbo", "-refiner"], ["", "-fp16", "-onnx"], "text-to-image", "stable-diffusion", "diffusers"),
        new("AI-ModelScope", "whisper", ["-tiny", "-base", "-small", "-medium", "-large-v3"], ["", ".en"], ["", "-onnx", "-ct2"], "auto-speech-recognition", "whisper", "transformers"),
        new("AI-ModelScope", "clip-vit", ["-base-patch32", "-base-patch16", "-large-patch14"], ["", "-336"], ["", "-zh", "-onnx"], "zero-shot-image-classification", "clip", "transformers"),
        new("black-forest-labs", "FLUX.1", ["-dev", "-schnell", "-Fill-dev", "-Canny-dev"], ["", "-fp8"], ["", "-gguf", "-onnx"], "text-to-image", "flux", "diffusers"),
        new("Kwai-Kolors", "Kolors", ["", "-IP-Adapter", "-ControlNet"], ["", "-Plus", "-Canny", "-Depth"], ["", "-diffusers", "-fp16"], "text-to-image", "kolors", "diffusers"),
        new("jinaai", "jina-embeddings", ["-v2", "-v3"], ["-small", "-base"], ["-en", "-zh", "-code", ""], "feature-extraction", "bert", "sentence-transformers"),
        new("OpenGVLab", "InternVL", ["2", "2_5", "3"], ["-1B", "-2B", "-4B", "-8B", "-26B", "-78B"], ["", "-MPO", "-AWQ"], "visual-question-answering", "internvl_chat", "transformers"),
        new("TencentARC", "PhotoMaker", ["", "-V2"], ["", "-sdxl"], ["", "-fp16"], "text-to-image", "photomaker", "diffusers"),
        new("PaddlePaddle", "PP-OCR", ["v3", "v4", "v5"], ["_mobile", "_server"], ["_det", "_rec", "_cls"], "ocr-recognition", "ppocr", "paddlepaddle"),
        new("microsoft", "Phi", ["-2", "-3-mini", "-3.5-mini", "-4"], ["", "-4k", "-128k"], ["", "-instruct", "-onnx"], "text-generation", "phi3", "transformers"),
        new("google", "gemma", ["-2", "-3"], ["-2b", "-9b", "-27b", "-4b", "-12b"], ["", "-it", "-pt"], "text-generation", "gemma", "transformers"),
        new("moonshotai", "Kimi", ["-K2", "-VL", "-Dev"], ["", "-A3B"], ["-Instruct", "-Base", "-Thinking"], "text-generation", "deepseek_v3", "transformers"),
        new("MiniMax", "MiniMax", ["-Text-01", "-M1", "-VL-01"], ["", "-40k", "-80k"], ["", "-hf"], "text-generation", "minimax", "transformers"),
        new("sentence-transformers", "all", ["-MiniLM-L6", "-MiniLM-L12", "-mpnet-base", "-distilroberta"], ["-v1", "-v2"], ["", "-onnx"], "sentence-similarity", "bert", "sentence-transformers"),
        new("stabilityai", "stable-video-diffusion", ["-img2vid", "-img2vid-xt"], ["", "-1-1"], ["", "-fp16"], "image-to-video", "svd", "diffusers"),
        new("damo", "cv_ddcolor", ["_image-colorization", "_video-colorization"], ["", "_tiny", "_large"], ["", "_artistic"], "image-colorization", "ddcolor", "pytorch"),
        new("Xorbits", "bge-reranker", ["-base", "-large", "-v2-m3"], ["", "-zh"], ["", "-onnx", "-gguf"], "text-ranking", "xlm-roberta", "sentence-transformers"),
    ];

    private static readonly string[] s_communityOwners =
    [
        "thomas", "wangxinyu", "lixiaoming", "zhangwei", "chenjing", "liuyang", "hf-mirror", "swift", "modelscope-community",
        "yangfan", "huangli", "zhaolei", "sunhao", "zhoujie", "wuxin", "xuqing", "gaopeng", "linyi", "heming", "guoxia",
    ];

    private static readonly string[] s_licenses = ["apache-2.0", "mit", "other", "cc-by-nc-4.0", "llama3", "gpl-3.0", "bsd-3-clause", "openrail", "creativeml-openrail-m", "cc-by-4.0"];
    private static readonly string[] s_fineTunes = ["", "-lora", "-sft", "-dpo", "-merged", "-q4_k_m", "-int8", "-zh", "-medical", "-law", "-finance", "-roleplay", "-math", "-code"];
    private static readonly string[] s_descriptions =
    [
        "A {0} model for {1}, released by {2}.",
        "{0}: fine-tuned for {1}; weights in {3} format.",
        "Community build of {0} ({1}).",
        "{0} checkpoint for {1}. 中文与英文均可使用。",
        "Quantized {0} for fast {1} on consumer GPUs.",
    ];

    public static IEnumerable<HubModel> Generate(int count, long firstNumericId)
    {
        var rng = new Random(20_260_601);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var start = new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);
        const int spanDays = 1_370;
        var produced = 0;
        while (produced < count)
        {
            var family = s_families[rng.Next(s_families.Length)];
            var baseName = family.Prefix + Pick(rng, family.Versions) + Pick(rng, family.Sizes) + Pick(rng, family.Variants);
            var community = rng.NextDouble() < 0.55;
            var owner = community ? s_communityOwners[rng.Next(s_communityOwners.Length)] : family.Owner;
            var name = community ? baseName + Pick(rng, s_fineTunes) : baseName;
            if (!seen.Add($"{owner}/{name}"))
            {
                name = $"{name}-v{rng.Next(2, 100)}";
                if (!seen.Add($"{owner}/{name}"))
                {
                    continue;
                }
            }

            var downloads = (long)Math.Exp(rng.NextDouble() * 14.5);
            var likes = downloads / rng.Next(40, 400);
            var created = start.AddDays(rng.NextDouble() * spanDays);
            var modified = created.AddDays(rng.NextDouble() * (spanDays - (created - start).TotalDays));
            var license = community ? s_licenses[rng.Next(s_licenses.Length)] : s_licenses[rng.Next(3)];
            var description = string.Format(System.Globalization.CultureInfo.InvariantCulture, s_descriptions[rng.Next(s_descriptions.Length)], name, family.Task, owner, family.Library);
            var tags = new List<string> { family.ModelType, family.Library };
            if (name.Contains("GGUF", StringComparison.OrdinalIgnoreCase) || name.Contains("q4", StringComparison.OrdinalIgnoreCase))
            {
                tags.Add("gguf");
            }

            if (name.Contains("onnx", StringComparison.OrdinalIgnoreCase))
            {
                tags.Add("onnx");
            }

            yield return new HubModel
            {
                Owner = owner,
                Name = name,
                NumericId = firstNumericId + produced,
                DisplayName = name,
                Description = description,
                License = license,
                Library = family.Library,
                ModelType = family.ModelType,
                Tasks = [family.Task],
                Tags = tags,
                Downloads = downloads,
                Likes = likes,
                CreatedAt = TruncateToSeconds(created),
                LastModified = TruncateToSeconds(modified),
                Gated = rng.NextDouble() < 0.03,
                Revisions = [new HubRevision("master", false, ModelCatalogue.CommitId($"{owner}/{name}@master"), TruncateToSeconds(modified), [])],
            };
            produced++;
        }
    }

    private static string Pick(Random rng, string[] items) => items[rng.Next(items.Length)];

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) => DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());
}
