using System.Text;
using System.Text.Json;

namespace ModelIde.Core.Inference;

/// <summary>
/// Rebuilds a SentencePiece model (the <c>tokenizer.model</c> protobuf) from a SentencePiece-style
/// <c>tokenizer.json</c> (what transformers' converters write for Llama 2, Mistral, Phi-3: BPE with "▁" and byte_fallback;
/// or Unigram with Metaspace), so Microsoft.ML.Tokenizers' SentencePieceTokenizer, which reads only the protobuf, runs it.
/// BPE pieces get the score SentencePiece's own BPE models have (falling with the id), which ranks merges as the file's
/// merge list does when that list was derived from a SentencePiece model.
/// </summary>
internal static class SentencePieceModelFromJson
{
    private const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Byte = 6;

    /// <summary>Unigram, or BPE without a ByteLevel pre-tokenizer/decoder (byte-level BPE is the other loader's).</summary>
    public static bool IsSentencePieceStyle(JsonElement root, string? modelType) =>
        modelType == "Unigram" || (modelType == "BPE" && !ContainsByteLevel(root));

    public static bool ContainsByteLevel(JsonElement root) =>
        new[] { "pre_tokenizer", "decoder" }.Any(name => root.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.Object &&
            s.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal));

    public static byte[] Build(JsonElement root, string modelType)
    {
        var model = root.GetProperty("model");
        var added = new Dictionary<int, (string Content, bool Special)>();
        if (root.TryGetProperty("added_tokens", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in list.EnumerateArray())
            {
                added[a.GetProperty("id").GetInt32()] = (a.GetProperty("content").GetString()!, a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True);
            }
        }

        var pieces = new List<(string Piece, float Score)>();
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
        }

        var unkId = model.TryGetProperty("unk_id", out var u) && u.ValueKind == JsonValueKind.Number ? u.GetInt32() : -1;
        var unkToken = model.TryGetProperty("unk_token", out var ut) && ut.ValueKind == JsonValueKind.String ? ut.GetString() : null;
        if (unkId < 0 && unkToken is not null)
        {
            unkId = pieces.FindIndex(p => p.Piece == unkToken);
        }

        var byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        var proto = new ProtoWriter();
        for (var i = 0; i < pieces.Count; i++)
        {
            var (piece, score) = pieces[i];
            var type = i == unkId ? Unknown
                : added.TryGetValue(i, out var a) ? (a.Special ? Control : UserDefined)
                : byteFallback && piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>') ? Byte
                : Normal;
            var sp = new ProtoWriter();
            sp.String(1, piece);
            sp.Float(2, score);
            sp.Varint(3, type);
            proto.Message(1, sp);
        }

        var trainer = new ProtoWriter();
        trainer.Varint(3, modelType == "Unigram" ? 1 : 2);
        trainer.Varint(4, pieces.Count);
        trainer.Varint(35, byteFallback ? 1 : 0);
        trainer.Varint(40, unkId);
        trainer.Varint(41, IdOf(pieces, "<s>"));
        trainer.Varint(42, IdOf(pieces, "</s>"));
        trainer.Varint(43, -1);
        proto.Message(2, trainer);

        var normalizer = new ProtoWriter();
        normalizer.String(1, "identity");
        normalizer.Varint(3, AddsDummyPrefix(root) ? 1 : 0);
        normalizer.Varint(4, 0);
        normalizer.Varint(5, 1);
        proto.Message(3, normalizer);
        return proto.ToArray();
    }

    private static int IdOf(List<(string Piece, float Score)> pieces, string piece) => pieces.FindIndex(p => p.Piece == piece);

    // Prepend("▁") in the normalizer, or Metaspace with a prepend scheme other than "never", adds the leading "▁".
    private static bool AddsDummyPrefix(JsonElement root)
    {
        var text = (root.TryGetProperty("normalizer", out var n) ? n.GetRawText() : "") + (root.TryGetProperty("pre_tokenizer", out var p) ? p.GetRawText() : "");
        return text.Contains("\"Prepend\"", StringComparison.Ordinal) ||
               (text.Contains("\"Metaspace\"", StringComparison.Ordinal) && !text.Contains("\"never\"", StringComparison.Ordinal) &&
                !text.Contains("\"add_prefix_space\":false", StringComparison.Ordinal));
    }

    /// <summary>Just enough protobuf encoding for ModelProto: varints, floats, strings and nested messages.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _buffer = new();

        public void Varint(int field, long value)
        {
            Tag(field, 0);
            Raw((ulong)value);
        }

        public void Float(int field, float value)
        {
            Tag(field, 5);
            Span<byte> bytes = stackalloc byte[4];
            BitConverter.TryWriteBytes(bytes, value);
            _buffer.Write(bytes);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter inner) => Bytes(field, inner.ToArray());

        public byte[] ToArray() => _buffer.ToArray();

        private void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            Raw((ulong)value.Length);
            _buffer.Write(value);
        }

        private void Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _buffer.WriteByte((byte)value);
        }
    }
}
