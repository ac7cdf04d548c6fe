using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ModelIde.Core.Inference;

/// <summary>
/// A model's tokenizer. Byte-level BPE (Qwen, Llama 3, GPT-2) in tokenizer.json is parsed here and run by
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>; SentencePiece-style BPE and Unigram (tokenizer.json or
/// tokenizer.model) run on our own <see cref="SentencePieceEncoder"/>, since Microsoft.ML.Tokenizers 2.0.1's
/// SentencePieceTokenizer maps byte-fallback bytes to the wrong ids. BOS comes from the post_processor or
/// tokenizer_config.json's add_bos_token.
/// </summary>
public sealed class HfTokenizer
{
    // GPT-2's split pattern, used by byte-level BPE files that carry no Split regex of their own.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Tokenizer? _inner;
    private readonly SentencePieceEncoder? _sentencePiece;
    private readonly Dictionary<string, int> _specials;
    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly int? _bos;

    // Set for byte-level BPE with ignore_merges (Llama 3); null runs the merges on every pre-token.
    private readonly WholeWordBpeEncoder? _wholeWords;

    private HfTokenizer(Tokenizer? inner, SentencePieceEncoder? sentencePiece, IReadOnlyDictionary<string, int> vocab, Dictionary<string, int> specials, int? bos,
        WholeWordBpeEncoder? wholeWords = null)
    {
        _wholeWords = wholeWords;
        _inner = inner;
        _sentencePiece = sentencePiece;
        _vocab = vocab;
        _specials = specials;
        _bos = bos;
        SpecialTokens = specials;
    }

    /// <summary>The id put in front of a raw prompt (the post_processor's or add_bos_token's BOS), if any.</summary>
    public int? BeginningOfSentenceId => _bos;

    /// <summary>Added tokens (content → id), matched as whole tokens in text as HF does by default.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>The model's tokenizer: tokenizer.json (or else tokenizer.model) found beside the model file or above it.</summary>
    public static HfTokenizer Load(ModelSideFiles files, string modelFile)
    {
        var config = DecoderModelConfig.ReadJson(files.TokenizerConfig);
        if (files.TokenizerJson is { } json)
        {
            return Load(json, config);
        }

        if (files.TokenizerModel is { } spModel)
        {
            SentencePieceModel model;
            try
            {
                model = SentencePieceModel.FromProtobuf(SideFileReader.ReadBytes(spModel, SideFileReader.TokenizerLimit));
            }
            catch (FormatException e)
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"{spModel} is not a SentencePiece model this tokenizer reads: {e.Message}", e);
            }

            return FromSentencePiece(model, config, AddedTokens(config));
        }

        throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
            $"No tokenizer.json or tokenizer.model beside {modelFile} or in the folders above it. Download the repository's " +
            "tokenizer files (tokenizer.json or tokenizer.model, and tokenizer_config.json) with the model.");
    }

    public static HfTokenizer Load(string tokenizerJsonPath, JsonElement tokenizerConfig = default)
    {
        if (!File.Exists(tokenizerJsonPath))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"No tokenizer.json next to the model ({tokenizerJsonPath}).");
        }

        var bytes = SideFileReader.ReadBytes(tokenizerJsonPath, SideFileReader.TokenizerLimit);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return FromJson(doc.RootElement, tokenizerConfig);
        }
        catch (JsonException e)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"tokenizer.json is not valid JSON: {e.Message}", e);
        }
    }

    public static HfTokenizer FromJson(JsonElement root, JsonElement tokenizerConfig = default) => FromJson(root, tokenizerConfig, SplitTimeout);

    /// <summary><paramref name="splitTimeout"/> bounds one match of the split regex (tests shorten it).</summary>
    internal static HfTokenizer FromJson(JsonElement root, JsonElement tokenizerConfig, TimeSpan splitTimeout)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "tokenizer.json has no 'model' section.");
        }

        var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type is not ("BPE" or "Unigram"))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"Unsupported tokenizer model type '{type ?? "(none)"}' in tokenizer.json; byte-level BPE, SentencePiece-style BPE and Unigram are supported.");
        }

        Dictionary<string, int> addedTokens;
        try
        {
            addedTokens = ReadAddedTokens(root);
        }
        catch (Exception e) when (IsMalformed(e))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"tokenizer.json's added_tokens are malformed: {e.Message}", e);
        }

        if (SentencePieceModelFromJson.IsSentencePieceStyle(root, type))
        {
            SentencePieceModel built;
            bool? postProcessorBos;
            try
            {
                built = SentencePieceModelFromJson.Read(root, type!);
                postProcessorBos = PostProcessorAddsBos(root);
            }
            catch (Exception e) when (IsMalformed(e))
            {
                throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"tokenizer.json's {type} model is malformed: {e.Message}", e);
            }

            return FromSentencePiece(built, tokenizerConfig, addedTokens, postProcessorBos);
        }

        try
        {
            return FromByteLevelBpe(root, model, tokenizerConfig, addedTokens, splitTimeout);
        }
        catch (Exception e) when (IsMalformed(e))
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, $"tokenizer.json's BPE model is malformed: {e.Message}", e);
        }
    }

    // What System.Text.Json, Regex and BpeTokenizer throw on a file of the wrong shape (ArgumentException covers
    // RegexParseException and duplicate keys).
    private static bool IsMalformed(Exception e) =>
        e is InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or ArgumentException or FormatException;

    private static Dictionary<string, int> ReadAddedTokens(JsonElement root)
    {
        var addedTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var addedList) && addedList.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in addedList.EnumerateArray())
            {
                var content = a.GetProperty("content").GetString();
                // An empty token matches between every two characters: the pre-tokenizer would never move on.
                if (string.IsNullOrEmpty(content))
                {
                    throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                        $"tokenizer.json has an added token with empty content (id {a.GetProperty("id").GetRawText()}); every added token must be some text.");
                }

                addedTokens[content] = a.GetProperty("id").GetInt32();
            }
        }

        return addedTokens;
    }

    private static HfTokenizer FromByteLevelBpe(JsonElement root, JsonElement model, JsonElement tokenizerConfig, Dictionary<string, int> addedTokens, TimeSpan splitTimeout)
    {
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

        var specials = addedTokens;

        var pattern = FindSplitPattern(root.TryGetProperty("pre_tokenizer", out var pre) ? pre : default) ?? Gpt2Pattern;
        var preTokenizer = new CodePointRegexPreTokenizer(SplitRegex(pattern, splitTimeout), specials);
        Normalizer? normalizer = UsesNfc(root) ? new NfcNormalizer() : null;
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = preTokenizer,
            Normalizer = normalizer,
        };
        var bpe = BpeTokenizer.Create(options);
        var wholeWords = DecoderModelConfig.Bool(model, "ignore_merges") is true
            ? new WholeWordBpeEncoder(bpe, preTokenizer, normalizer, vocab.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), specials)
            : null;
        var bos = FirstPostProcessorToken(root) is { } bosText && specials.TryGetValue(bosText, out var bosId) ? bosId : (int?)null;
        if (DecoderModelConfig.Bool(tokenizerConfig, "add_bos_token") is false)
        {
            bos = null;
        }

        return new HfTokenizer(bpe, null, bpe.Vocabulary, specials, bos, wholeWords);
    }

    // One match of a split regex takes microseconds; a pattern that backtracks exponentially ((a+)+$) must fail, not hang.
    private static readonly TimeSpan SplitTimeout = TimeSpan.FromSeconds(2);

    private static Regex SplitRegex(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern, RegexOptions.Compiled, timeout);
        // The pre-tokenizer moves on by the length of each match: an empty one would repeat forever (see also
        // CodePointRegexPreTokenizer, which stops one found in a prompt).
        if (regex.Match("").Success)
        {
            throw new ModelIdeException(ModelIdeErrorKind.InvalidInput,
                $"tokenizer.json's pre_tokenizer pattern \"{Shorten(pattern)}\" matches empty text; a split pattern must match at least one character.");
        }

        return regex;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private static HfTokenizer FromSentencePiece(SentencePieceModel model, JsonElement tokenizerConfig, Dictionary<string, int> addedTokens, bool? postProcessorBos = null)
    {
        // add_bos_token in tokenizer_config.json wins; else the post_processor; else SentencePiece's own default (BOS).
        var addBos = DecoderModelConfig.Bool(tokenizerConfig, "add_bos_token") ?? postProcessorBos ?? true;
        var sp = new SentencePieceEncoder(model, addedTokens);
        var specials = new Dictionary<string, int>(addedTokens, StringComparer.Ordinal);
        return new HfTokenizer(null, sp, sp.Vocabulary, specials, addBos ? sp.BeginningOfSentenceId : null);
    }

    private static Dictionary<string, int> AddedTokens(JsonElement tokenizerConfig)
    {
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (DecoderModelConfig.Get(tokenizerConfig, "added_tokens_decoder") is { ValueKind: JsonValueKind.Object } decoder)
        {
            foreach (var p in decoder.EnumerateObject())
            {
                if (int.TryParse(p.Name, System.Globalization.CultureInfo.InvariantCulture, out var id) && DecoderModelConfig.Str(p.Value, "content") is { } content)
                {
                    added[content] = id;
                }
            }
        }

        return added;
    }

    private static bool? PostProcessorAddsBos(JsonElement root) =>
        root.TryGetProperty("post_processor", out var pp) && pp.ValueKind == JsonValueKind.Object ? FirstPostProcessorToken(root) is not null : null;

    // TemplateProcessing whose "single" template starts with a special token: that token is the BOS.
    private static string? FirstPostProcessorToken(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var pp) || pp.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var processors = DecoderModelConfig.Str(pp, "type") == "Sequence" && pp.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToArray()
            : [pp];
        foreach (var p in processors)
        {
            if (DecoderModelConfig.Str(p, "type") == "TemplateProcessing" && p.TryGetProperty("single", out var single) &&
                single.ValueKind == JsonValueKind.Array && single.GetArrayLength() > 0 &&
                single[0].TryGetProperty("SpecialToken", out var special))
            {
                return DecoderModelConfig.Str(special, "id");
            }
        }

        return null;
    }

    /// <summary>
    /// Text to ids. A raw prompt gets the BOS the tokenizer adds (<paramref name="addSpecialTokens"/>); a rendered chat
    /// prompt already carries what its template put there, as with transformers' apply_chat_template.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        var ids = _sentencePiece is { } sp ? sp.Encode(text) : _wholeWords is { } whole ? whole.Encode(text) : _inner!.EncodeToIds(text);
        if (addSpecialTokens && _bos is { } bos)
        {
            var withBos = new List<int>(ids.Count + 1) { bos };
            withBos.AddRange(ids);
            return withBos;
        }

        return ids;
    }

    public string Decode(IEnumerable<int> ids) => Decode(ids, atStart: true);

    /// <summary>Ids to text; <paramref name="atStart"/> false for a chunk that continues earlier text, so a SentencePiece
    /// tokenizer keeps the chunk's leading space (it drops only the one its dummy prefix added at the start).</summary>
    public string Decode(IEnumerable<int> ids, bool atStart) =>
        (_sentencePiece is { } sp ? sp.Decode(ids, atStart) : _inner!.Decode(ids)) ?? "";

    /// <summary>The text of a vocabulary or added token by id (for messages); null when no token has the id.</summary>
    internal string? TokenText(int id)
    {
        foreach (var (token, tokenId) in _specials.Concat(_vocab))
        {
            if (tokenId == id)
            {
                return token;
            }
        }

        return null;
    }

    public int? TokenId(string token) => _specials.TryGetValue(token, out var id) ? id : _vocab.TryGetValue(token, out var v) ? v : null;

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

    // Only the first chunk begins the text: a SentencePiece tokenizer drops the dummy prefix's space there, not later.
    private bool _atStart = true;

    public string Text => _text.ToString();

    /// <summary>Adds one id; returns the new complete text, or an empty string while a character is still partial.</summary>
    public string Add(int id)
    {
        _pending.Add(id);
        var chunk = tokenizer.Decode(_pending, _atStart);
        if (chunk.Length > 0 && chunk[^1] == '\uFFFD' && _pending.Count < 8)
        {
            return "";
        }

        _pending.Clear();
        _atStart = false;
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

        var chunk = tokenizer.Decode(_pending, _atStart);
        _pending.Clear();
        _atStart = false;
        _text.Append(chunk);
        return chunk;
    }
}
