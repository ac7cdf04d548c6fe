using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace ModelIde.Core.Inference;

/// <summary>
/// I/O names and shapes of a decoder-only ONNX export with a KV cache: from genai_config.json when present, else read
/// from the session's inputs (optimum names: past_key_values.N.key/value, present.N.key/value).
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

    public static DecoderModelConfig Resolve(string modelDir, InferenceSession session, IReadOnlyList<int> extraEos)
    {
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata;
        JsonElement genai = default;
        var genaiPath = Path.Combine(modelDir, "genai_config.json");
        if (File.Exists(genaiPath))
        {
            try
            {
                genai = JsonDocument.Parse(File.ReadAllText(genaiPath)).RootElement;
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

        var context = Int(model, "context_length") ?? ReadContextFromConfig(modelDir) ?? 2048;
        if (context <= 0)
        {
            throw Invalid($"The model's context length must be positive (got {context} from genai_config.json or config.json).");
        }

        var eos = new List<int>();
        AddIds(eos, Get(model, "eos_token_id"), "genai_config.json");
        AddIds(eos, Get(ReadJson(Path.Combine(modelDir, "generation_config.json")), "eos_token_id"), "generation_config.json");
        eos.AddRange(extraEos);
        var logitsDims = outputs[logits].Dimensions;
        var vocab = logitsDims.Length == 3 && logitsDims[2] > 0 ? logitsDims[2] : Int(model, "vocab_size") ?? 0;
        if (vocab <= 0)
        {
            throw Invalid("The model's vocabulary size is symbolic in the ONNX file and genai_config.json has no positive vocab_size.");
        }

        return new DecoderModelConfig(
            inputIds, mask, inputs.ContainsKey(position) ? position : null, logits, pk, pv, prk, prv, kvHeads, headSize, context,
            Bool(search, "past_present_share_buffer") ?? false, eos.Distinct().ToArray(), vocab);
    }

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

    private static int? ReadContextFromConfig(string modelDir)
    {
        var config = ReadJson(Path.Combine(modelDir, "config.json"));
        return Int(config, "max_position_embeddings");
    }

    internal static JsonElement ReadJson(string path)
    {
        if (!File.Exists(path))
        {
            return default;
        }

        try
        {
            return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
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

    private static int? Int(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.Number } v
        ? v.TryGetInt32(out var n) ? n : throw Invalid($"'{name}' in the model's JSON configuration must be a whole number that fits in 32 bits, not {Shorten(v.GetRawText())}.")
        : null;

    private static bool? Bool(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } v ? v.GetBoolean() : null;
}
