using System.Text.Json;

namespace ModelIde.Core.Inference;

/// <summary>
/// Reads a SentencePiece-style <c>tokenizer.json</c> (what transformers' converters write for Llama 2, Mistral, Phi-3:
/// BPE with "▁", merges and byte_fallback; or Unigram with Metaspace) into a <see cref="SentencePieceModel"/>. BPE keeps
/// the file's merge list as ranks, since that list is what the tokenizers library merges by.
/// </summary>
internal static class SentencePieceModelFromJson
{
    /// <summary>Unigram, or BPE without a ByteLevel pre-tokenizer/decoder (byte-level BPE is the other loader's).</summary>
    public static bool IsSentencePieceStyle(JsonElement root, string? modelType) =>
        modelType == "Unigram" || (modelType == "BPE" && !ContainsByteLevel(root));

    public static bool ContainsByteLevel(JsonElement root) =>
        new[] { "pre_tokenizer", "decoder" }.Any(name => root.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.Object &&
            s.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal));

    public static SentencePieceModel Read(JsonElement root, string modelType)
    {
        var model = root.GetProperty("model");
        var added = new Dictionary<int, bool>();
        if (root.TryGetProperty("added_tokens", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in list.EnumerateArray())
            {
                added[a.GetProperty("id").GetInt32()] = a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
            }
        }

        var pieces = new List<(string Piece, float Score)>();
        Dictionary<(string, string), int>? ranks = null;
        if (modelType == "Unigram")
        {
            foreach (var entry in model.GetProperty("vocab").EnumerateArray())
            {
                pieces.Add((entry[0].GetString()!, (float)entry[1].GetDouble()));
            }
        }
        else
        {
            var byId = new SortedDictionary<int, string>();
            foreach (var p in model.GetProperty("vocab").EnumerateObject())
            {
                byId[p.Value.GetInt32()] = p.Name;
            }

            var expected = 0;
            foreach (var (id, piece) in byId)
            {
                if (id != expected++)
                {
                    throw new ModelIdeException(ModelIdeErrorKind.InvalidInput, "tokenizer.json's BPE vocabulary has gaps in its ids; it cannot be a SentencePiece vocabulary.");
                }

                pieces.Add((piece, -id));
            }

            ranks = [];
            if (model.TryGetProperty("merges", out var merges) && merges.ValueKind == JsonValueKind.Array)
            {
                foreach (var merge in merges.EnumerateArray())
                {
                    // ["a", "b"] in newer files, "a b" in older ones.
                    var (a, b) = merge.ValueKind == JsonValueKind.Array
                        ? (merge[0].GetString()!, merge[1].GetString()!)
                        : merge.GetString()!.Split(' ', 2) is [var l, var r] ? (l, r) : throw new FormatException($"merge '{merge}' is not two pieces");
                    ranks.TryAdd((a, b), ranks.Count);
                }
            }
        }

        if (pieces.Count == 0)
        {
            throw new FormatException("the vocabulary is empty");
        }

        var unkId = model.TryGetProperty("unk_id", out var u) && u.ValueKind == JsonValueKind.Number ? u.GetInt32() : -1;
        var unkToken = model.TryGetProperty("unk_token", out var ut) && ut.ValueKind == JsonValueKind.String ? ut.GetString() : null;
        if (unkId < 0 && unkToken is not null)
        {
            unkId = pieces.FindIndex(p => p.Piece == unkToken);
        }

        var byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        var typed = new List<(string, float, SentencePieceType)>(pieces.Count);
        for (var i = 0; i < pieces.Count; i++)
        {
            var (piece, score) = pieces[i];
            var type = i == unkId ? SentencePieceType.Unknown
                : added.TryGetValue(i, out var special) ? (special ? SentencePieceType.Control : SentencePieceType.UserDefined)
                : byteFallback && piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>') ? SentencePieceType.Byte
                : SentencePieceType.Normal;
            typed.Add((piece, score, type));
        }

        return new SentencePieceModel(modelType == "Unigram" ? SentencePieceAlgorithm.Unigram : SentencePieceAlgorithm.Bpe, typed,
            unkId, IdOf(pieces, "<s>"), byteFallback, DummyPrefixOf(root), RemoveExtraWhitespaces: false, WhitespaceAsSuffix: false,
            UnknownSurface: " \u2047 ", ranks);
    }

    private static int IdOf(List<(string Piece, float Score)> pieces, string piece) => pieces.FindIndex(p => p.Piece == piece);

    // Prepend("▁") in the normalizer puts "▁" before every run of text; Metaspace does as its prepend_scheme says
    // ("always", "first": only the run at the start of the text, "never"), or add_prefix_space in older files.
    private static DummyPrefix DummyPrefixOf(JsonElement root)
    {
        var normalizer = root.TryGetProperty("normalizer", out var n) ? n.GetRawText() : "";
        if (normalizer.Contains("\"Prepend\"", StringComparison.Ordinal))
        {
            return DummyPrefix.Always;
        }

        var metaspace = FindMetaspace(root.TryGetProperty("pre_tokenizer", out var p) ? p : default);
        if (metaspace.ValueKind != JsonValueKind.Object)
        {
            return DummyPrefix.Never;
        }

        return DecoderModelConfig.Str(metaspace, "prepend_scheme") switch
        {
            "first" => DummyPrefix.First,
            "never" => DummyPrefix.Never,
            "always" => DummyPrefix.Always,
            _ => DecoderModelConfig.Bool(metaspace, "add_prefix_space") is false ? DummyPrefix.Never : DummyPrefix.Always,
        };
    }

    private static JsonElement FindMetaspace(JsonElement pre)
    {
        if (pre.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        if (DecoderModelConfig.Str(pre, "type") == "Metaspace")
        {
            return pre;
        }

        if (pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (FindMetaspace(item) is { ValueKind: JsonValueKind.Object } found)
                {
                    return found;
                }
            }
        }

        return default;
    }
}
