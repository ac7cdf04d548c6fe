using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelIde.Core.Inference;

/// <summary>Where the files that describe a model sit (each may be missing): beside the ONNX file or above it.</summary>
public sealed record ModelSideFiles(string? GenaiConfig, string? Config, string? GenerationConfig, string? TokenizerJson, string? TokenizerModel, string? TokenizerConfig, string? ChatTemplateJinja)
{
    /// <summary>
    /// Looks for each file from the model file's folder upwards, up to three levels (onnx-community keeps the tokenizer
    /// at the repository root and the weights in onnx/; the GenAI builder keeps everything beside the model).
    /// </summary>
    public static ModelSideFiles Near(string modelPath, string? genaiConfig)
    {
        string? Up(string name)
        {
            var dir = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
            for (var level = 0; dir is not null && level <= 3; level++, dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        return new ModelSideFiles(genaiConfig ?? Up("genai_config.json"), Up("config.json"), Up("generation_config.json"), Up("tokenizer.json"),
            Up("tokenizer.model"), Up("tokenizer_config.json"), Up("chat_template.jinja"));
    }
}

/// <summary>
/// I/O names, element types and shapes of a decoder-only ONNX export with a KV cache: from genai_config.json when present,
/// else read from the session's inputs (optimum names: past_key_values.N.key/value, present.N.key/value). Element types
/// always come from the graph: int64 or int32 ids, masks and positions; fp32, fp16 or bf16 KV and logits.
/// </summary>
public sealed record DecoderModelConfig(
    string InputIds,
    string AttentionMask,
    string? PositionIds,
    string Logits,
    IReadOnlyList<string> PastKeys,
    IReadOnlyList<string> PastValues,
    IReadOnlyList<string> PresentKeys,
    IReadOnlyList<string> PresentValues,
    int KvHeads,
    int HeadSize,
    int ContextLength,
    bool SharePastPresent,
    IReadOnlyList<int> EosTokenIds,
    int VocabSize)
{
    public int Layers => PastKeys.Count;

    public TensorElementType InputIdsType { get; init; } = TensorElementType.Int64;

    public TensorElementType MaskType { get; init; } = TensorElementType.Int64;

    public TensorElementType PositionType { get; init; } = TensorElementType.Int64;

    public TensorElementType KvType { get; init; } = TensorElementType.Float;

    public TensorElementType LogitsType { get; init; } = TensorElementType.Float;

    /// <summary>optimum's merged decoder: a bool [1] input, false on the first step (no past), true after.</summary>
    public string? UseCacheBranch { get; init; }

    /// <summary>transformers.js exports: an int64 scalar; 1 asks for the last position's logits only.</summary>
    public string? LogitsToKeep { get; init; }

    /// <summary>
    /// The search defaults of genai_config.json (generation_config.json fills what it leaves out: optimum and onnx-community
    /// exports carry only that file), which become the playground's and the CLI's defaults.
    /// </summary>
    public GenerationDefaults Defaults { get; init; } = new();

    public static DecoderModelConfig Resolve(ModelSideFiles files, InferenceSession session, IReadOnlyList<int> extraEos)
    {
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata;
        JsonElement genai = default;
        var genaiPath = files.GenaiConfig;
        if (genaiPath is not null && File.Exists(genaiPath))
        {
            var text = SideFileReader.ReadText(genaiPath, SideFileReader.JsonLimit);
            try
            {
                genai = JsonDocument.Parse(text).RootElement;
            }
            catch (JsonException e)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"genai_config.json is not valid JSON: {e.Message}", e);
            }
        }

        var model = Get(genai, "model");
        var decoder = Get(model, "decoder");
        var gin = Get(decoder, "inputs");
        var gout = Get(decoder, "outputs");
        var search = Get(genai, "search");

        var inputIds = Str(gin, "input_ids") ?? "input_ids";
        var mask = Str(gin, "attention_mask") ?? "attention_mask";
        var position = Str(gin, "position_ids") ?? "position_ids";
        var logits = Str(gout, "logits") ?? "logits";
        var pastKey = Str(gin, "past_key_names") ?? "past_key_values.%d.key";
        var pastValue = Str(gin, "past_value_names") ?? "past_key_values.%d.value";
        var presentKey = Str(gout, "present_key_names") ?? "present.%d.key";
        var presentValue = Str(gout, "present_value_names") ?? "present.%d.value";

        if (!inputs.ContainsKey(inputIds) || !inputs.ContainsKey(mask) || !outputs.ContainsKey(logits))
        {
            throw NotADecoder(inputs.Keys);
        }

        foreach (var (key, pattern) in new[] { ("past_key_names", pastKey), ("past_value_names", pastValue), ("present_key_names", presentKey), ("present_value_names", presentValue) })
        {
            if (!pattern.Contains("%d", StringComparison.Ordinal))
            {
                throw Invalid($"genai_config.json: {key} must contain %d for the layer number (got \"{pattern}\").");
            }
        }

        var layers = Int(decoder, "num_hidden_layers") ?? CountLayers(inputs, pastKey);
        if (layers <= 0)
        {
            throw NotADecoder(inputs.Keys);
        }

        // Each layer has a key and a value input: a larger count cannot fit this model (and must not allocate billions of names).
        if (layers > inputs.Count / 2)
        {
            throw Invalid($"genai_config.json says num_hidden_layers = {layers}, but the model has only {inputs.Count} inputs.");
        }

        var pk = Names(pastKey, layers);
        var pv = Names(pastValue, layers);
        var prk = Names(presentKey, layers);
        var prv = Names(presentValue, layers);
        if (pk.Concat(pv).Any(n => !inputs.ContainsKey(n)) || prk.Concat(prv).Any(n => !outputs.ContainsKey(n)))
        {
            throw NotADecoder(inputs.Keys);
        }

        // [batch, kv_heads, past_len, head_size]; symbolic dims are -1 and then come from genai_config.
        var dims = inputs[pk[0]].Dimensions;
        if (dims.Length != 4)
        {
            throw NotADecoder(inputs.Keys);
        }

        var kvHeads = dims[1] > 0 ? dims[1] : Int(decoder, "num_key_value_heads") ?? 0;
        var headSize = dims[3] > 0 ? dims[3] : Int(decoder, "head_size") ?? 0;
        if (kvHeads <= 0 || headSize <= 0)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                "The model's KV cache shape is symbolic and there is no genai_config.json with num_key_value_heads/head_size.");
        }

        var context = Int(model, "context_length") ?? ReadContextFromConfig(files.Config) ?? 2048;
        if (context <= 0)
        {
            throw Invalid($"The model's context length must be positive (got {context} from genai_config.json or config.json).");
        }

        var eos = new List<int>();
        AddIds(eos, Get(model, "eos_token_id"), "genai_config.json");
        AddIds(eos, Get(ReadJson(files.GenerationConfig), "eos_token_id"), "generation_config.json");
        if (eos.Count == 0)
        {
            AddIds(eos, Get(ReadJson(files.Config), "eos_token_id"), "config.json");
        }

        eos.AddRange(extraEos);
        var logitsDims = outputs[logits].Dimensions;
        var vocab = logitsDims.Length == 3 && logitsDims[2] > 0 ? logitsDims[2] : Int(model, "vocab_size") ?? 0;
        if (vocab <= 0)
        {
            throw Invalid("The model's vocabulary size is symbolic in the ONNX file and genai_config.json has no positive vocab_size.");
        }

        var positionName = inputs.ContainsKey(position) ? position : null;
        var config = new DecoderModelConfig(
            inputIds, mask, positionName, logits, pk, pv, prk, prv, kvHeads, headSize, context,
            Bool(search, "past_present_share_buffer") ?? false, eos.Distinct().ToArray(), vocab)
        {
            InputIdsType = IntegerType(inputs[inputIds], inputIds),
            MaskType = IntegerType(inputs[mask], mask),
            PositionType = positionName is null ? TensorElementType.Int64 : IntegerType(inputs[positionName], positionName),
            KvType = FloatType(inputs[pk[0]].ElementDataType, pk[0]),
            LogitsType = FloatType(outputs[logits].ElementDataType, logits),
            UseCacheBranch = inputs.ContainsKey("use_cache_branch") ? "use_cache_branch" : null,
            LogitsToKeep = inputs.ContainsKey("num_logits_to_keep") ? "num_logits_to_keep" : inputs.ContainsKey("logits_to_keep") ? "logits_to_keep" : null,
            Defaults = GenerationDefaults.From(search).Or(GenerationDefaults.From(ReadJson(files.GenerationConfig))),
        };
        var known = new HashSet<string>(config.InputNames(), StringComparer.Ordinal);
        var unknown = inputs.Keys.Where(n => !known.Contains(n)).ToArray();
        if (unknown.Length > 0)
        {
            throw Invalid($"The model has inputs this decoder loop does not know how to fill: {string.Join(", ", unknown.Take(6))}. " +
                "It is probably not a text decoder on its own (a multimodal or encoder-decoder part?); pick the repository's text decoder file.");
        }

        return config;
    }

    /// <summary>Every input the loop feeds, in the order it feeds them.</summary>
    public IEnumerable<string> InputNames()
    {
        yield return InputIds;
        yield return AttentionMask;
        if (PositionIds is not null)
        {
            yield return PositionIds;
        }

        if (UseCacheBranch is not null)
        {
            yield return UseCacheBranch;
        }

        if (LogitsToKeep is not null)
        {
            yield return LogitsToKeep;
        }

        for (var i = 0; i < Layers; i++)
        {
            yield return PastKeys[i];
            yield return PastValues[i];
        }
    }

    private static TensorElementType IntegerType(NodeMetadata meta, string name) => meta.ElementDataType switch
    {
        TensorElementType.Int64 or TensorElementType.Int32 => meta.ElementDataType,
        var other => throw Invalid($"The model's input {name} is {other}; this loop feeds int64 or int32 there."),
    };

    private static TensorElementType FloatType(TensorElementType type, string name) => type switch
    {
        TensorElementType.Float or TensorElementType.Float16 or TensorElementType.BFloat16 => type,
        var other => throw Invalid($"The model's {name} is {other}; this loop handles float32, float16 and bfloat16 there."),
    };

    private static ModelIdeException Invalid(string message) => new(ModelIdeErrorKind.InvalidInput, message);

    private static ModelIdeException NotADecoder(IEnumerable<string> inputs) => new(ModelIdeErrorKind.InvalidInput,
        $"The model is not a decoder with a KV cache (inputs: {string.Join(", ", inputs.Take(8))}); expected input_ids, attention_mask and past_key_values.N.key/value.");

    private static int CountLayers(IReadOnlyDictionary<string, NodeMetadata> inputs, string pattern)
    {
        var n = 0;
        while (n < inputs.Count && inputs.ContainsKey(pattern.Replace("%d", n.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)))
        {
            n++;
        }

        return n;
    }

    private static string[] Names(string pattern, int layers) =>
        Enumerable.Range(0, layers).Select(i => pattern.Replace("%d", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)).ToArray();

    private static int? ReadContextFromConfig(string? configPath)
    {
        var config = ReadJson(configPath);
        return Int(config, "max_position_embeddings");
    }

    internal static JsonElement ReadJson(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return default;
        }

        var text = SideFileReader.ReadText(path, SideFileReader.JsonLimit);
        try
        {
            return JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static void AddIds(List<int> ids, JsonElement e, string file)
    {
        var values = e.ValueKind switch
        {
            JsonValueKind.Number => [e],
            JsonValueKind.Array => e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).ToArray(),
            _ => Array.Empty<JsonElement>(),
        };
        foreach (var v in values)
        {
            ids.Add(v.TryGetInt32(out var id) && id >= 0 ? id : throw Invalid($"{file}: eos_token_id must be a token id (a whole number, 0 or more), not {Shorten(v.GetRawText())}."));
        }
    }

    private static string Shorten(string raw) => raw.Length <= 40 ? raw : raw[..40] + "...";

    internal static JsonElement Get(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    internal static string? Str(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    internal static double? Number(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null;

    internal static int? Int(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.Number } v
        ? v.TryGetInt32(out var n) ? n : throw Invalid($"'{name}' in the model's JSON configuration must be a whole number that fits in 32 bits, not {Shorten(v.GetRawText())}.")
        : null;

    internal static bool? Bool(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } v ? v.GetBoolean() : null;
}

/// <summary>
/// genai_config.json's search section, or Hugging Face's generation_config.json (the same key names): what the playground
/// and the CLI start from (each null when absent).
/// </summary>
public sealed record GenerationDefaults(int? MaxLength = null, bool? DoSample = null, double? Temperature = null, int? TopK = null, double? TopP = null, double? RepetitionPenalty = null)
{
    public static GenerationDefaults From(JsonElement search) => new(
        DecoderModelConfig.Int(search, "max_length"), DecoderModelConfig.Bool(search, "do_sample"), DecoderModelConfig.Number(search, "temperature"),
        DecoderModelConfig.Int(search, "top_k"), DecoderModelConfig.Number(search, "top_p"), DecoderModelConfig.Number(search, "repetition_penalty"));

    /// <summary>These values, with the ones left out taken from <paramref name="fallback"/>.</summary>
    public GenerationDefaults Or(GenerationDefaults fallback) => new(
        MaxLength ?? fallback.MaxLength, DoSample ?? fallback.DoSample, Temperature ?? fallback.Temperature,
        TopK ?? fallback.TopK, TopP ?? fallback.TopP, RepetitionPenalty ?? fallback.RepetitionPenalty);

    /// <summary>Options the user did not set take these values; greedy unless the model says do_sample.</summary>
    public GenerationOptions Apply(GenerationOptions options, bool temperatureSet, bool topKSet, bool topPSet, bool penaltySet) => options with
    {
        Temperature = temperatureSet || DoSample != true ? options.Temperature : (float)(Temperature ?? 1.0),
        TopK = topKSet || DoSample != true ? options.TopK : TopK ?? 0,
        TopP = topPSet || DoSample != true ? options.TopP : (float)(TopP ?? 1.0),
        RepetitionPenalty = penaltySet ? options.RepetitionPenalty : (float)(RepetitionPenalty ?? options.RepetitionPenalty),
    };
}
