using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelIde.Core.Inference;
using ModelIde.Core.Inference.Gpu;

namespace ModelIde.Core.Tests.Inference;

/// <summary>A downloaded model folder is untrusted: whatever it holds, infer ends with a reason, never hangs or reads outside it.</summary>
public sealed class HostileModelFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelide-hostile-").FullName;

    private static string Tiny => ModelIde.TestSupport.RepoPaths.TinyModelDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("../outside/model.onnx")]
    [InlineData("/outside/model.onnx")]
    public void A_genai_config_naming_a_model_outside_the_folder_is_refused(string filename)
    {
        var root = Path.Combine(_dir, "repo");
        var outside = Path.Combine(_dir, "outside");
        Write(Path.Combine(outside, "model.onnx"), 64);
        Write(Path.Combine(root, "model_q4.onnx"), 64);
        var named = filename.StartsWith('/') ? outside + "/model.onnx" : filename;
        File.WriteAllText(Path.Combine(root, "genai_config.json"), JsonSerializer.Serialize(new { model = new { decoder = new { filename = named } } }));

        var e = Assert.Throws<ModelIdeException>(() => ModelVariantChooser.Choose(root, "cpu", 1L << 30));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        Assert.Contains("genai_config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside the model folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_linked_subfolder_that_leads_outside_the_model_folder_offers_no_variant()
    {
        var root = Path.Combine(_dir, "repo");
        Write(Path.Combine(root, "onnx", "model_q4.onnx"), 64);
        Write(Path.Combine(_dir, "elsewhere", "model_fp16.onnx"), 64);
        Directory.CreateSymbolicLink(Path.Combine(root, "more"), Path.Combine(_dir, "elsewhere"));
        Directory.CreateSymbolicLink(Path.Combine(root, "onnx", "up"), "../../elsewhere");

        var found = ModelVariantChooser.Find(root).Select(v => v.RelativeTo(root));

        Assert.Equal(["onnx/model_q4.onnx"], found);
    }

    [Fact]
    public void Links_back_to_the_folder_itself_list_each_model_once()
    {
        // Each link to "." used to multiply the walk (4 links: 87,381 variants and 20 s; 6 links: no end).
        var root = Path.Combine(_dir, "repo");
        Write(Path.Combine(root, "model_q4.onnx"), 64);
        Write(Path.Combine(root, "onnx", "model.onnx"), 64);
        for (var i = 0; i < 6; i++)
        {
            Directory.CreateSymbolicLink(Path.Combine(root, $"loop{i}"), ".");
            Directory.CreateSymbolicLink(Path.Combine(root, "onnx", $"back{i}"), "..");
        }

        var watch = Stopwatch.StartNew();
        var choice = ModelVariantChooser.Choose(root, "cpu", 1L << 30);

        Assert.Equal(["model_q4.onnx", "onnx/model.onnx"], choice.Variants.Select(v => v.RelativeTo(root)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_FIFO_named_model_onnx_is_not_offered_as_a_variant()
    {
        if (!MakeFifo(Path.Combine(_dir, "model.onnx")))
        {
            return;
        }

        Write(Path.Combine(_dir, "model_q4.onnx"), 64);

        Assert.Equal(["model_q4.onnx"], ModelVariantChooser.Find(_dir).Select(v => v.RelativeTo(_dir)));
    }

    [Fact]
    public async Task A_FIFO_named_tokenizer_config_json_does_not_hang_loading()
    {
        CopyTiny();
        File.Delete(Path.Combine(_dir, "tokenizer_config.json"));
        if (!MakeFifo(Path.Combine(_dir, "tokenizer_config.json")))
        {
            return;
        }

        // The old code blocked in open() until something wrote to the FIFO: never.
        using var model = await Task.Run(() => DecoderLanguageModel.Load(_dir, DevicePolicyKind.PreferCpu, threads: 1)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("model.onnx", model.File);
    }

    [Theory]
    [InlineData("tokenizer_config.json", SideFileReader.JsonLimit)]
    [InlineData("genai_config.json", SideFileReader.JsonLimit)]
    [InlineData("chat_template.jinja", SideFileReader.ChatTemplateLimit)]
    [InlineData("tokenizer.json", SideFileReader.TokenizerLimit)]
    public void An_oversized_side_file_is_refused_by_name_before_it_is_read(string file, long limit)
    {
        CopyTiny();
        // chat_template.jinja is read only where tokenizer_config.json has no template of its own.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "tokenizer_config.json")))!.AsObject();
        config.Remove("chat_template");
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), config.ToJsonString());
        // Sparse: the size is real, the disk blocks are not.
        using (var stream = new FileStream(Path.Combine(_dir, file), FileMode.Create))
        {
            stream.SetLength(limit + 1);
        }

        var e = Assert.Throws<ModelIdeException>(() => DecoderLanguageModel.Load(_dir, DevicePolicyKind.PreferCpu, threads: 1));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        Assert.StartsWith($"{file} is ", e.Message, StringComparison.Ordinal);
        Assert.Contains($" MB, more than the {limit >> 20:N0} MB such a file may be", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_added_token_with_empty_content_is_refused_not_looped_on()
    {
        var e = TokenizerFails(t => t["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 4000, ["content"] = "" }));
        Assert.Contains("empty content", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a*")]
    [InlineData("(?:)|x")]
    public void A_split_pattern_that_matches_empty_text_is_refused_not_looped_on(string pattern)
    {
        var e = TokenizerFails(t => SplitPattern(t, pattern));
        Assert.Contains("pre_tokenizer pattern", e.Message, StringComparison.Ordinal);
        Assert.Contains("matches empty text", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_split_pattern_that_matches_empty_text_only_inside_a_prompt_stops_with_a_reason()
    {
        // \b matches nothing in "", so the pattern loads; in a prompt it matches empty at a word's start.
        var tokenizer = Tokenizer(t => SplitPattern(t, @"\b|\s+"));
        var e = await Assert.ThrowsAsync<ModelIdeException>(() => Task.Run(() => tokenizer.Encode("hello world")).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("tokenizer.json's pre_tokenizer pattern matches empty text", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_split_pattern_that_backtracks_without_bound_times_out_with_a_reason()
    {
        // (a+)+$ on 30 a's and a '!' takes minutes without a timeout.
        var tokenizer = Tokenizer(t => SplitPattern(t, "(a+)+$|[^a]"), TimeSpan.FromMilliseconds(100));
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ModelIdeException>(() => tokenizer.Encode(new string('a', 30) + "!"));
        Assert.Contains("tokenizer.json's pre_tokenizer pattern took longer than", e.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    public static TheoryData<string> MalformedByteLevelBpe() =>
    [
        "merge with one token", "merge as a number", "merge as null", "merge of unknown tokens", "empty vocab", "no vocab",
        "duplicate vocab ids", "added token without content", "added token with a string id", "added token reusing an id", "split regex that does not parse",
        "pre_tokenizer type as a number", "post_processor single of strings", "root an array",
    ];

    [Theory]
    [MemberData(nameof(MalformedByteLevelBpe))]
    public void A_malformed_byte_level_bpe_tokenizer_json_is_invalid_input_naming_the_file(string mutation)
    {
        var e = TokenizerFails(mutation switch
        {
            "merge with one token" => t => Model(t)["merges"] = new JsonArray(new JsonArray("Ġ")),
            "merge as a number" => t => Model(t)["merges"] = new JsonArray(1, 2),
            "merge as null" => t => Model(t)["merges"] = new JsonArray((JsonNode?)null),
            "merge of unknown tokens" => t => Model(t)["merges"] = new JsonArray("zzzq qqqz"),
            "empty vocab" => t => Model(t)["vocab"] = new JsonObject(),
            "no vocab" => t => Model(t).Remove("vocab"),
            "duplicate vocab ids" => t => Model(t)["vocab"] = new JsonObject { ["a"] = 0, ["b"] = 0 },
            "added token without content" => t => t["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 4000 }),
            "added token with a string id" => t => t["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = "x", ["content"] = "<x>" }),
            "added token reusing an id" => t => t["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 4093, ["content"] = "<x>" }),
            "split regex that does not parse" => t => SplitPattern(t, "(unclosed"),
            "pre_tokenizer type as a number" => t => t["pre_tokenizer"]!["type"] = 7,
            "post_processor single of strings" => t => t["post_processor"] = new JsonObject { ["type"] = "TemplateProcessing", ["single"] = new JsonArray("<s>") },
            "root an array" => t => { },
            _ => throw new ArgumentOutOfRangeException(nameof(mutation)),
        }, asArray: mutation == "root an array");
        Assert.Contains("tokenizer.json", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_side_file_is_named_and_an_unreadable_subfolder_skipped()
    {
        // Root reads through any permission: there the test has nothing to check.
        if (OperatingSystem.IsWindows() || Environment.IsPrivilegedProcess)
        {
            return;
        }

        CopyTiny();
        var locked = Path.Combine(_dir, "locked");
        Write(Path.Combine(locked, "model_fp16.onnx"), 64);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        File.SetUnixFileMode(Path.Combine(_dir, "tokenizer_config.json"), UnixFileMode.None);
        try
        {
            Assert.Equal(["model.onnx"], ModelVariantChooser.Find(_dir).Select(v => v.RelativeTo(_dir)));
            var e = Assert.Throws<ModelIdeException>(() => DecoderLanguageModel.Load(_dir, DevicePolicyKind.PreferCpu, threads: 1));
            Assert.Equal("Cannot read tokenizer_config.json: permission denied.", e.Message);
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Theory]
    [InlineData(999999)]
    [InlineData(-1)]
    [InlineData(4096)]
    public void A_token_id_outside_the_models_vocabulary_is_refused_by_name_when_a_prompt_uses_it(int id)
    {
        CopyTiny();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "tokenizer.json")))!;
        json["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = id, ["content"] = "<|stray|>", ["special"] = true });
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), json.ToJsonString());

        // The stray token spoils only the prompts that use it.
        using var model = DecoderLanguageModel.Load(_dir, DevicePolicyKind.PreferCpu, threads: 1);
        Assert.True(model.Generate("import os\n", new GenerationOptions { MaxNewTokens = 2 }).PromptTokens > 0);
        var e = Assert.Throws<ModelIdeException>(() => model.Generate("import os<|stray|>", new GenerationOptions { MaxNewTokens = 2 }));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        Assert.Equal($"The prompt has the token id {id} (\"<|stray|>\"), outside the model's vocabulary (ids 0 to 4095): " +
            "the tokenizer files beside model.onnx do not match this model. Download them from the same repository and revision.", e.Message);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("""{"model": null}""")]
    [InlineData("""{"model": []}""")]
    public void A_genai_config_of_the_wrong_shape_leaves_the_gpu_estimate_to_the_weights(string json)
    {
        Write(Path.Combine(_dir, "model.onnx"), 1000);
        File.WriteAllText(Path.Combine(_dir, "genai_config.json"), json);

        var estimate = GpuMemoryEstimate.ForModel(Path.Combine(_dir, "model.onnx"));

        Assert.Equal((1000L, 0L), (estimate.WeightBytes, estimate.KvCacheBytes));
    }

    [Fact]
    public void A_snapshot_whose_files_are_links_to_blobs_loads_and_generates_like_the_files_themselves()
    {
        // An HF-style cache: every file of a snapshot is a link to its blob. A link's own size is its target path's
        // length, so a side file read by the link's size came back cut short ("tokenizer.json is not valid JSON").
        var blobs = Directory.CreateDirectory(Path.Combine(_dir, "blobs")).FullName;
        var snapshot = Directory.CreateDirectory(Path.Combine(_dir, "snapshots", "main")).FullName;
        foreach (var f in Directory.GetFiles(Tiny))
        {
            var blob = Path.Combine(blobs, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
            File.Copy(f, blob, overwrite: true);
            File.CreateSymbolicLink(Path.Combine(snapshot, Path.GetFileName(f)), Path.Combine("..", "..", "blobs", Path.GetFileName(blob)));
        }

        var options = new GenerationOptions { MaxNewTokens = 8 };
        using var linked = DecoderLanguageModel.Load(snapshot, DevicePolicyKind.PreferCpu, threads: 1);
        using var plain = DecoderLanguageModel.Load(Tiny, DevicePolicyKind.PreferCpu, threads: 1);
        Assert.Equal(plain.ChatTemplate, linked.ChatTemplate);
        Assert.Equal(plain.Generate("import os\n", options).TokenIds, linked.Generate("import os\n", options).TokenIds);
    }

    [Fact]
    public void A_kv_cache_too_large_to_allocate_is_said_to_be_the_models_config_not_an_abort()
    {
        // As a config with num_key_value_heads = 1,000,000 over symbolic KV dimensions asks (was: an unhandled
        // OutOfMemoryException from NativeMemory, exit 134).
        NativeBlocks? kept = null;
        var e = Assert.Throws<ModelIdeException>(() => NativeBlocks.Lend(ref kept, 4, 1L << 60, out _));
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        Assert.Contains("num_key_value_heads", e.Message, StringComparison.Ordinal);
        Assert.Null(kept);
    }

    private void CopyTiny()
    {
        foreach (var f in Directory.GetFiles(Tiny))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }
    }

    private static JsonObject Model(JsonNode t) => t["model"]!.AsObject();

    private static void SplitPattern(JsonNode t, string pattern) =>
        t["pre_tokenizer"] = new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = pattern }, ["behavior"] = "Isolated" };

    private static HfTokenizer Tokenizer(Action<JsonNode> mutate, TimeSpan? splitTimeout = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Tiny, "tokenizer.json")))!;
        mutate(json);
        using var doc = JsonDocument.Parse(json.ToJsonString());
        return splitTimeout is { } timeout ? HfTokenizer.FromJson(doc.RootElement, default, timeout) : HfTokenizer.FromJson(doc.RootElement);
    }

    private static ModelIdeException TokenizerFails(Action<JsonNode> mutate, bool asArray = false)
    {
        var e = Assert.Throws<ModelIdeException>(() =>
        {
            if (!asArray)
            {
                return Tokenizer(mutate);
            }

            using var doc = JsonDocument.Parse("[1, 2]");
            return HfTokenizer.FromJson(doc.RootElement);
        });
        Assert.Equal(ModelIdeErrorKind.InvalidInput, e.Kind);
        return e;
    }

    private static void Write(string path, int bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
    }

    // A FIFO (named pipe); false where the platform has none (Windows), and the test then has nothing to check.
    private static bool MakeFifo(string path) => !OperatingSystem.IsWindows() && Mkfifo(path, 0x1b6) == 0;

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int Mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
