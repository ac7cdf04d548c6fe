using System.Text;

namespace ModelIde.Core.Inference;

/// <summary>The kinds of piece a SentencePiece model has (ModelProto.SentencePiece.Type).</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

internal enum SentencePieceAlgorithm
{
    Unigram = 1,
    Bpe = 2,
}

/// <summary>Where the dummy "▁" goes in front of a run of text: every run (SentencePiece's add_dummy_prefix), only a
/// run at the start of the text (Metaspace's prepend_scheme "first"), or none.</summary>
internal enum DummyPrefix
{
    Never,
    First,
    Always,
}

/// <summary>
/// What a SentencePiece-style tokenizer needs, read from <c>tokenizer.model</c> (<see cref="FromProtobuf"/>) or from a
/// SentencePiece-style tokenizer.json (<see cref="SentencePieceModelFromJson"/>). <see cref="MergeRanks"/> is set for a
/// tokenizer.json BPE, which merges by its merge list; a tokenizer.model BPE merges by piece score.
/// </summary>
internal sealed record SentencePieceModel(
    SentencePieceAlgorithm Algorithm,
    IReadOnlyList<(string Piece, float Score, SentencePieceType Type)> Pieces,
    int UnknownId,
    int BeginningOfSentenceId,
    bool ByteFallback,
    DummyPrefix DummyPrefix,
    bool RemoveExtraWhitespaces,
    bool WhitespaceAsSuffix,
    string UnknownSurface,
    IReadOnlyDictionary<(string Left, string Right), int>? MergeRanks = null)
{
    /// <summary>Parses ModelProto: pieces (1), trainer_spec (2) and normalizer_spec (3); other fields are skipped.</summary>
    public static SentencePieceModel FromProtobuf(byte[] bytes)
    {
        var pieces = new List<(string, float, SentencePieceType)>();
        var algorithm = SentencePieceAlgorithm.Unigram;
        bool byteFallback = false, suffix = false, dummy = true, removeSpaces = true, sawTrainer = false, sawNormalizer = false;
        int unk = 0, bos = 1;
        var unkSurface = " \u2047 ";
        var model = new ProtoReader(bytes);
        while (model.Next(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, 2):
                    var p = model.Message();
                    string piece = "";
                    float score = 0;
                    var type = SentencePieceType.Normal;
                    while (p.Next(out var f, out var w))
                    {
                        switch (f, w)
                        {
                            case (1, 2): piece = p.String(); break;
                            case (2, 5): score = p.Float(); break;
                            case (3, 0): type = (SentencePieceType)(int)p.Varint(); break;
                            default: p.Skip(w); break;
                        }
                    }

                    pieces.Add((piece, score, type));
                    break;
                case (2, 2):
                    sawTrainer = true;
                    var t = model.Message();
                    while (t.Next(out var f, out var w))
                    {
                        switch (f, w)
                        {
                            case (3, 0): algorithm = (SentencePieceAlgorithm)(int)t.Varint(); break;
                            case (24, 0): suffix = t.Varint() != 0; break;
                            case (35, 0): byteFallback = t.Varint() != 0; break;
                            case (40, 0): unk = (int)t.Varint(); break;
                            case (41, 0): bos = (int)t.Varint(); break;
                            case (44, 2): unkSurface = t.String(); break;
                            default: t.Skip(w); break;
                        }
                    }

                    break;
                case (3, 2):
                    sawNormalizer = true;
                    var n = model.Message();
                    while (n.Next(out var f, out var w))
                    {
                        switch (f, w)
                        {
                            // precompiled_charsmap (2, nmt_nfkc and friends) is not applied: text is taken as it is, as
                            // the "identity" models (Llama 2, Mistral, Phi-3) do anyway.
                            case (3, 0): dummy = n.Varint() != 0; break;
                            case (4, 0): removeSpaces = n.Varint() != 0; break;
                            default: n.Skip(w); break;
                        }
                    }

                    break;
                default:
                    model.Skip(wire);
                    break;
            }
        }

        if (pieces.Count == 0 || !sawTrainer || !sawNormalizer)
        {
            // The specs follow the pieces in every file SentencePiece writes; without them the file was cut short.
            throw new FormatException(pieces.Count == 0 ? "the model has no pieces" : "the file has no trainer or normalizer spec (cut short?)");
        }

        if (algorithm is not (SentencePieceAlgorithm.Unigram or SentencePieceAlgorithm.Bpe))
        {
            throw new FormatException($"model type {(int)algorithm} (word or char) is not supported; BPE and Unigram are");
        }

        return new SentencePieceModel(algorithm, pieces, unk is >= 0 && unk < pieces.Count ? unk : -1,
            bos is >= 0 && bos < pieces.Count ? bos : -1, byteFallback, dummy ? DummyPrefix.Always : DummyPrefix.Never,
            removeSpaces, suffix, unkSurface);
    }

    /// <summary>Just enough protobuf decoding for ModelProto: varints, 32-bit floats and length-delimited fields.</summary>
    private sealed class ProtoReader(byte[] data, int start = 0, int end = -1)
    {
        private readonly int _end = end < 0 ? data.Length : end;
        private int _pos = start;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_pos >= _end)
            {
                return false;
            }

            var tag = Varint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new FormatException("malformed varint");
        }

        public float Float()
        {
            Need(4);
            var value = BitConverter.ToSingle(data, _pos);
            _pos += 4;
            return value;
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = Length();
            var span = data.AsSpan(_pos, length);
            _pos += length;
            return span;
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public ProtoReader Message()
        {
            var length = Length();
            var inner = new ProtoReader(data, _pos, _pos + length);
            _pos += length;
            return inner;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Need(8); _pos += 8; break;
                case 2: var length = Length(); _pos += length; break; // not "_pos += Length()": that reads _pos first
                case 5: Need(4); _pos += 4; break;
                default: throw new FormatException($"unsupported protobuf wire type {wire}");
            }
        }

        private int Length()
        {
            var length = Varint();
            if (length > (ulong)(_end - _pos))
            {
                throw new FormatException("a field runs past the end of the file");
            }

            return (int)length;
        }

        private byte Byte()
        {
            Need(1);
            return data[_pos++];
        }

        private void Need(int count)
        {
            if (_pos + count > _end)
            {
                throw new FormatException("the file ends inside a field");
            }
        }
    }
}
