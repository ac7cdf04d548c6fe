using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ModelIde.Core.Inference;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (byte-level BPE, as Qwen2) on Microsoft.ML.Tokenizers, which has no loader for
/// that format: vocab, merges, pre-tokenizer regex and added tokens are parsed here and fed to <see cref="BpeTokenizer"/>.
/// </summary>
public sealed class HfTokenizer
{
    // GPT-2's split pattern, used by byte-level BPE files that carry no Split regex of their own.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _specials;

    private HfTokenizer(BpeTokenizer bpe, Dictionary<string, int> specials)
    {
        _bpe = bpe;
        _specials = specials;
        SpecialTokens = specials;
    }

    /// <summary>Added tokens (content → id), matched as whole tokens in text as HF does by default.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>The model's tokenizer: tokenizer.json found beside the model file or above it.</summary>
    public static HfTokenizer Load(ModelSideFiles files, string modelFile)
    {
        if (files.TokenizerJson is { } json)
        {
            return Load(json);
        }

        throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
            $"No tokenizer.json beside {modelFile} or in the folders above it. Download the repository's tokenizer files " +
            "(tokenizer.json, tokenizer_config.json) with the model.");
    }

    public static HfTokenizer Load(string tokenizerJsonPath)
    {
        if (!File.Exists(tokenizerJsonPath))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"No tokenizer.json next to the model ({tokenizerJsonPath}).");
        }

        try
        {
            using var stream = File.OpenRead(tokenizerJsonPath);
            using var doc = JsonDocument.Parse(stream);
            return FromJson(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"tokenizer.json is not valid JSON: {e.Message}", e);
        }
    }

    public static HfTokenizer FromJson(JsonElement root)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "tokenizer.json has no 'model' section.");
        }

        var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type != "BPE")
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"Unsupported tokenizer model type '{type ?? "(none)"}' in tokenizer.json; only byte-level BPE (GPT-2/Qwen style) is supported.");
        }

        var vocab = new List<KeyValuePair<string, int>>();
        foreach (var p in model.GetProperty("vocab").EnumerateObject())
        {
            vocab.Add(new(p.Name, p.Value.GetInt32()));
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var m))
        {
            foreach (var merge in m.EnumerateArray())
            {
                merges.Add(merge.ValueKind == JsonValueKind.Array
                    ? merge[0].GetString() + " " + merge[1].GetString()
                    : merge.GetString() ?? "");
            }
        }

        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in added.EnumerateArray())
            {
                specials[a.GetProperty("content").GetString()!] = a.GetProperty("id").GetInt32();
            }
        }

        if (!IsByteLevel(root))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                "tokenizer.json uses BPE without a ByteLevel pre-tokenizer/decoder; only byte-level BPE is supported.");
        }

        var pattern = FindSplitPattern(root.TryGetProperty("pre_tokenizer", out var pre) ? pre : default) ?? Gpt2Pattern;
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), specials),
            Normalizer = UsesNfc(root) ? new NfcNormalizer() : null,
        };
        return new HfTokenizer(BpeTokenizer.Create(options), specials);
    }

    public IReadOnlyList<int> Encode(string text) => _bpe.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => _bpe.Decode(ids) ?? "";

    public int? TokenId(string token) => _specials.TryGetValue(token, out var id) ? id : _bpe.Vocabulary.TryGetValue(token, out var v) ? v : null;

    // Only the small sections are serialised; the whole file can be megabytes of vocabulary.
    private static bool IsByteLevel(JsonElement root) =>
        new[] { "pre_tokenizer", "decoder" }.Any(name => root.TryGetProperty(name, out var section) &&
            section.ValueKind == JsonValueKind.Object && section.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal));

    private static bool UsesNfc(JsonElement root) =>
        root.TryGetProperty("normalizer", out var n) && n.ValueKind == JsonValueKind.Object &&
        n.GetRawText().Contains("\"NFC\"", StringComparison.Ordinal);

    private static string? FindSplitPattern(JsonElement pre)
    {
        if (pre.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (pre.TryGetProperty("type", out var type) && type.GetString() == "Split" &&
            pre.TryGetProperty("pattern", out var pattern) && pattern.TryGetProperty("Regex", out var regex))
        {
            return regex.GetString();
        }

        if (pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (FindSplitPattern(item) is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private sealed class NfcNormalizer : Normalizer
    {
        public override string Normalize(string original) => WithoutLoneSurrogates(original).Normalize(NormalizationForm.FormC);

        public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

        // string.Normalize throws on an unpaired surrogate; UTF-8 (what byte-level BPE encodes) turns it into U+FFFD anyway.
        private static string WithoutLoneSurrogates(string s)
        {
            char[]? copy = null;
            for (var i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(s[i]))
                {
                    copy ??= s.ToCharArray();
                    copy[i] = '\uFFFD';
                }
            }

            return copy is null ? s : new string(copy);
        }
    }
}

/// <summary>
/// Turns a growing list of generated ids into text chunks without ever splitting a multi-byte character: the decoded
/// prefix is held back while it ends in U+FFFD (an incomplete UTF-8 sequence).
/// </summary>
public sealed class StreamingDecoder(HfTokenizer tokenizer)
{
    // Only the ids since the last complete character are decoded again, so a step costs O(1), not O(length).
    private readonly List<int> _pending = [];
    private readonly System.Text.StringBuilder _text = new();

    public string Text => _text.ToString();

    /// <summary>Adds one id; returns the new complete text, or an empty string while a character is still partial.</summary>
    public string Add(int id)
    {
        _pending.Add(id);
        var chunk = tokenizer.Decode(_pending);
        if (chunk.Length > 0 && chunk[^1] == '\uFFFD' && _pending.Count < 8)
        {
            return "";
        }

        _pending.Clear();
        _text.Append(chunk);
        return chunk;
    }

    /// <summary>Emits whatever is still held back (a genuinely invalid sequence ends as U+FFFD).</summary>
    public string Flush()
    {
        if (_pending.Count == 0)
        {
            return "";
        }

        var chunk = tokenizer.Decode(_pending);
        _pending.Clear();
        _text.Append(chunk);
        return chunk;
    }
}
